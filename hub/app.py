"""The ASGI application: GraphQL at /graphql (with GraphiQL), /healthz, and their assembly."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from hub.db import create_engine, session_maker
from hub.settings import Settings, get_settings
from resolvers.context import Context
from schema import build_schema

CONTEXT_SCOPE_KEY = "crosswalk.context"


class CrosswalkGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app, with our per-request context taken from the ASGI scope."""

    async def get_context(self, request: Any, response: Any) -> Context:
        return request.scope[CONTEXT_SCOPE_KEY]  # type: ignore[no-any-return]


class GraphQLEndpoint:
    """Opens a per-request Context around the GraphQL app and always closes it."""

    def __init__(
        self,
        graphql: CrosswalkGraphQL,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        self.graphql = graphql
        self.sessions = sessions
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = await Context.create(
            self.sessions,
            tenant_id=self.settings.default_tenant,
            settings=self.settings,
        )
        scope[CONTEXT_SCOPE_KEY] = context
        try:
            await self.graphql(scope, receive, send)
        finally:
            await context.close()


def create_app(settings: Settings | None = None, *, engine: AsyncEngine | None = None) -> Starlette:
    settings = settings or get_settings()
    engine = engine or create_engine(settings.database_url, echo=settings.echo_sql)
    sessions = session_maker(engine)
    schema = build_schema()
    graphql = CrosswalkGraphQL(schema, graphql_ide="graphiql")

    async def healthz(_request: Request) -> Response:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # the probe must answer, whatever broke
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route(
                "/graphql", GraphQLEndpoint(graphql, sessions, settings), methods=["GET", "POST"]
            ),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    return app
