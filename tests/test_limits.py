"""Query limits refuse abusive queries before any resolver runs; oversized bodies get a 413."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import strawberry
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from golden_records.errors import NotFound
from golden_records.models import DEFAULT_TENANT
from hub.auth.principal import AuthMethod, Principal
from hub.auth.roles import Role
from hub.limits import BodySizeLimitMiddleware, security_extensions
from hub.settings import Settings
from schema.errors import CrosswalkErrors

calls: list[str] = []


@strawberry.type
class Node:
    @strawberry.field
    def name(self) -> str:
        calls.append("name")
        return "node"

    @strawberry.field
    def child(self) -> Node:
        calls.append("child")
        return Node()


@strawberry.type
class Query:
    @strawberry.field
    def root(self) -> Node:
        calls.append("root")
        return Node()

    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("SELECT national_id FROM resources -- connection reset")

    @strawberry.field
    def missing(self) -> str:
        raise NotFound("No client with id 42.", field="id")


SETTINGS = Settings(max_query_depth=10, max_aliases=50, max_tokens=5000)


def build_schema(settings: Settings = SETTINGS) -> strawberry.Schema:
    """A tiny schema with the API's own error mapping and the limits, as the app builds it."""
    return strawberry.Schema(
        query=Query, extensions=[CrosswalkErrors, *security_extensions(settings)]
    )


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def deep_query(depth: int) -> str:
    return "{ root { " + "child { " * (depth - 1) + "name" + " }" * depth + " }"


def test_depth_20_query_is_refused_before_any_resolver_runs() -> None:
    result = build_schema().execute_sync(deep_query(20))
    assert result.data is None
    assert result.errors is not None
    (error,) = result.errors
    assert "exceeds maximum operation depth of 10" in error.message
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert calls == []


def test_query_within_depth_runs() -> None:
    result = build_schema().execute_sync(deep_query(5))
    assert result.errors is None
    assert calls  # the resolvers did run


def test_500_aliases_are_refused_before_any_resolver_runs() -> None:
    query = "{ " + " ".join(f"a{i}: root {{ name }}" for i in range(500)) + " }"
    result = build_schema().execute_sync(query)
    assert result.errors is not None
    assert any("aliases" in e.message for e in result.errors)
    assert result.errors[0].extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert calls == []


def test_too_many_tokens_are_refused_while_parsing() -> None:
    query = "{ " + " ".join("root { name }" for _ in range(2000)) + " }"
    result = build_schema().execute_sync(query)
    assert result.errors is not None
    assert "tokens" in result.errors[0].message
    assert calls == []


def test_crosswalk_errors_stay_visible_with_their_code() -> None:
    result = build_schema().execute_sync("{ missing }")
    assert result.errors is not None
    (error,) = result.errors
    assert error.message == "No client with id 42."
    assert error.extensions == {"code": "NOT_FOUND", "field": "id"}


def test_limit_errors_and_masked_errors_both_carry_codes() -> None:
    schema = build_schema()
    too_deep = schema.execute_sync(deep_query(20))
    broken = schema.execute_sync("{ broken }", context_value=SimpleNamespace(request_id="req-9"))
    assert too_deep.errors is not None and broken.errors is not None
    assert too_deep.errors[0].extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert "SELECT" not in broken.errors[0].message
    assert broken.errors[0].extensions == {"code": "INTERNAL", "requestId": "req-9"}
    assert calls == []


def test_syntax_errors_stay_visible() -> None:
    result = build_schema().execute_sync("{ root { name ")
    assert result.errors is not None
    assert "Syntax Error" in result.errors[0].message


def build_app(max_body_bytes: int) -> Starlette:
    graphql = GraphQL(build_schema())

    async def echo_size(request: Request) -> JSONResponse:
        return JSONResponse({"bytes": len(await request.body())})

    routes = [Route("/graphql", graphql), Route("/echo", echo_size, methods=["POST"])]
    app = Starlette(routes=routes)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=max_body_bytes)
    return app


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub")


async def test_oversized_body_is_refused_with_413() -> None:
    async with client(build_app(max_body_bytes=1000)) as http:
        response = await http.post("/graphql", json={"query": "{ root { name } }" + " " * 2000})
        small = await http.post("/graphql", json={"query": "{ root { name } }"})
    assert response.status_code == 413
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "1000 bytes" in error["message"]
    assert small.json() == {"data": {"root": {"name": "node"}}}


async def test_streamed_body_without_length_is_counted() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 200

    async with client(build_app(max_body_bytes=1000)) as http:
        response = await http.post("/echo", content=chunks())
        fits = await http.post("/echo", content=b"x" * 900)
    assert response.status_code == 413
    assert fits.json() == {"bytes": 900}


async def test_real_schema_refuses_deep_and_wide_queries_before_any_sql(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The acceptance test of the issue, against Crosswalk's own schema and database."""
    from resolvers.context import Context
    from schema import build_schema as build_crosswalk_schema

    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    settings = Settings()
    schema = build_crosswalk_schema(security_extensions(settings))

    async def run(query: str) -> Any:
        admin = Principal(DEFAULT_TENANT, Role.ADMIN, "test", None, AuthMethod.API_KEY)
        ctx = Context.create(sessions, tenant_id=DEFAULT_TENANT, settings=settings, principal=admin)
        try:
            return await schema.execute(query, context_value=ctx)
        finally:
            await ctx.close()

    deep = "{ clients { edges { node { " + "parent { " * 18 + "name" + " }" * 18 + " } } } }"
    wide = "{ " + " ".join(f"a{i}: clients(first: 1) {{ totalCount }}" for i in range(500)) + " }"
    for query in (deep, wide):
        result = await run(query)
        assert result.data is None
        assert result.errors is not None
        assert result.errors[0].extensions["code"] == "QUERY_TOO_COMPLEX", result.errors
    assert statements == []

    allowed = await run("{ clients(first: 1) { totalCount } }")
    assert allowed.errors is None
    assert statements  # the counter does see SQL when a query is allowed to run
