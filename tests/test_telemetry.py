"""GET /metrics reflects the GraphQL operations served, their outcomes and their SQL."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import strawberry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.testclient import TestClient
from strawberry.asgi import GraphQL

from golden_records.errors import NotFound
from hub.db import create_engine
from hub.logging import RequestIdMiddleware
from hub.telemetry import Telemetry, install_telemetry
from hub.tracing import (
    configure_tracing,
    install_tracing,
    shutdown_tracing,
    tracing_enabled,
)


def _schema(engine: AsyncEngine, telemetry: Telemetry) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        async def three_statements(self) -> int:
            async with engine.connect() as conn:
                for _ in range(3):
                    await conn.execute(text("SELECT 1"))
            return 3

        @strawberry.field
        def missing(self) -> int:
            raise NotFound("no such client")

    return strawberry.Schema(query=Query, extensions=[telemetry.graphql_extension()])


def _app(engine: AsyncEngine) -> Starlette:
    # The order hub.app follows: Telemetry, then the Schema with its extension, then the app.
    telemetry = Telemetry()
    graphql = GraphQL[None, None](_schema(engine, telemetry))
    app = Starlette(middleware=[Middleware(RequestIdMiddleware)])
    install_telemetry(app, engine, telemetry=telemetry)
    app.router.routes.append(Route("/graphql", graphql, methods=["GET", "POST"]))
    return app


def _samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def _value(body: str, name: str, **labels: str) -> float:
    return _samples(body).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def engine(sqlite_url: str) -> AsyncEngine:
    return create_engine(sqlite_url)


def test_metrics_count_operations_outcomes_and_sql(engine: AsyncEngine) -> None:
    with TestClient(_app(engine)) as client:
        for _ in range(2):
            ok = client.post("/graphql", json={"query": "query Three { threeStatements }"})
            assert ok.json() == {"data": {"threeStatements": 3}}
        failed = client.post("/graphql", json={"query": "query Missing { missing }"})
        assert failed.json()["errors"]
        bad = client.post("/graphql", json={"query": "{ nope }"})
        assert bad.json()["errors"]

        scrape = client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    body = scrape.text
    assert _value(body, "crosswalk_graphql_requests_total", operation="Three", outcome="ok") == 2
    assert (
        _value(body, "crosswalk_graphql_requests_total", operation="Missing", outcome="NOT_FOUND")
        == 1
    )
    invalid = {"operation": "anonymous", "outcome": "GRAPHQL_VALIDATION_FAILED"}
    assert _value(body, "crosswalk_graphql_requests_total", **invalid) == 1
    assert _value(body, "crosswalk_graphql_request_duration_seconds_count", operation="Three") == 2
    # Two operations of three statements each.
    assert _value(body, "crosswalk_graphql_sql_statements_sum", operation="Three") == 6
    assert _value(body, "crosswalk_graphql_sql_statements_sum", operation="Missing") == 0


def test_error_code_becomes_the_outcome_label(engine: AsyncEngine) -> None:
    app = Starlette(middleware=[Middleware(RequestIdMiddleware)])
    telemetry = install_telemetry(app, engine)
    graphql = GraphQL[None, None](_schema(engine, telemetry))
    app.router.routes.append(Route("/graphql", graphql, methods=["POST"]))
    with TestClient(app) as client:
        response = client.post("/graphql", json={"query": "query Missing { missing }"})
        error = response.json()["errors"][0]
        # The request ID a client can quote to find the log lines of this failure.
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        body = client.get("/metrics").text
    assert (
        _value(body, "crosswalk_graphql_requests_total", operation="Missing", outcome="NOT_FOUND")
        == 1
    )


def test_two_apps_in_one_process_keep_separate_counts(engine: AsyncEngine) -> None:
    first, second = _app(engine), _app(engine)
    with TestClient(first) as a, TestClient(second) as b:
        a.post("/graphql", json={"query": "query Three { threeStatements }"})
        first_body, second_body = a.get("/metrics").text, b.get("/metrics").text
    assert _value(first_body, "crosswalk_graphql_requests_total", operation="Three", outcome="ok")
    assert not _value(
        second_body, "crosswalk_graphql_requests_total", operation="Three", outcome="ok"
    )


def test_sync_writeback_counters_and_queue_gauges(engine: AsyncEngine) -> None:
    app = Starlette()
    telemetry = install_telemetry(app, engine)
    telemetry.record_sync("salesforce", "created", 5)
    telemetry.record_writeback("quickbooks", "failed")

    async def outbox_depth() -> int:
        return 7

    def broken() -> int:
        raise RuntimeError("database down")

    telemetry.add_queue("outbox", outbox_depth)
    telemetry.add_queue("review", lambda: 3)
    telemetry.add_queue("exceptions", broken)
    with TestClient(app) as client:
        body = client.get("/metrics").text
    assert _value(body, "crosswalk_sync_records_total", system="salesforce", outcome="created") == 5
    assert _value(body, "crosswalk_writebacks_total", system="quickbooks", status="failed") == 1
    assert _value(body, "crosswalk_queue_depth", queue="outbox") == 7
    assert _value(body, "crosswalk_queue_depth", queue="review") == 3
    assert re.search(r'crosswalk_queue_depth\{queue="exceptions"\} NaN', body)


def test_operation_names_cannot_explode_label_cardinality() -> None:
    telemetry = Telemetry()
    labels = {telemetry.operation_label(f"Op{i}") for i in range(500)}
    assert len(labels) == 201
    assert "other" in labels
    assert telemetry.operation_label("drop table; --") == "invalid"
    assert telemetry.operation_label(None) == "anonymous"


def test_tracing_is_off_without_an_exporter(engine: AsyncEngine) -> None:
    app = Starlette()
    assert not tracing_enabled({})
    assert install_tracing(app, engine, env={}) is False
    assert tracing_enabled({"CROSSWALK_OTEL_CONSOLE": "1"})
    assert tracing_enabled({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})


def test_tracing_spans_cover_request_and_sql(engine: AsyncEngine) -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    configure_tracing({}, exporter=exporter)
    try:
        app = _app(engine)
        assert install_tracing(app, engine, env={})
        with TestClient(app) as client:
            client.post("/graphql", json={"query": "query Three { threeStatements }"})
    finally:
        shutdown_tracing()
    spans = exporter.get_finished_spans()
    names = [span.name for span in spans]
    assert any(name.startswith("POST") for name in names), names
    sql = [span for span in spans if span.attributes and "SELECT" in str(span.attributes)]
    assert len(sql) >= 3
    # SQL spans are children of the request span: one trace for the whole request.
    assert len({span.context.trace_id for span in spans}) == 1


def test_create_app_serves_metrics_that_move(sqlite_url: str, tmp_path: Path) -> None:
    from golden_records.models import DEFAULT_TENANT, Tenant
    from hub.app import create_app
    from hub.db import create_all, session_maker
    from hub.settings import Settings

    async def prepare() -> str | None:
        engine = create_engine(sqlite_url)
        try:
            await create_all(engine)
            sessions = session_maker(engine)
            async with sessions() as session, session.begin():
                session.add(Tenant(id=DEFAULT_TENANT, name="Telemetry firm"))
                await _failed_write_back(session)
            try:
                from hub.auth.api_keys import create_key
            except ImportError:
                return None
            return (await create_key(sessions, DEFAULT_TENANT, "admin", "metrics"))[1]
        finally:
            await engine.dispose()

    token = asyncio.run(prepare())
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    app = create_app(Settings(database_url=sqlite_url, config_dir=tmp_path / "config"))
    if not hasattr(app.state, "telemetry"):
        pytest.skip("hub.app.create_app does not call install_telemetry yet")
    with TestClient(app) as client:
        for _ in range(3):
            response = client.post(
                "/graphql",
                json={
                    "query": "query FirstClients { clients(first: 5) { edges { node { id } } } }"
                },
                headers=headers,
            )
            assert response.status_code == 200, response.text
            assert "x-request-id" in response.headers
        body = client.get("/metrics").text
    labels = {"operation": "FirstClients", "outcome": "ok"}
    assert _value(body, "crosswalk_graphql_requests_total", **labels) == 3
    assert _value(body, "crosswalk_graphql_sql_statements_sum", operation="FirstClients") >= 3
    # The outbox gauges read the database on each scrape: one write-back waits for a steward.
    assert _value(body, "crosswalk_queue_depth", queue="write_back_exceptions") == 1
    assert _value(body, "crosswalk_queue_depth", queue="outbox") == 0


async def _failed_write_back(session: Any) -> None:
    from datetime import UTC, datetime

    from hub.outbox_models import MutationRequest, WriteBack

    now = datetime.now(UTC)
    mutation = MutationRequest(
        tenant_id="default",
        operation="client.update",
        request_hash="-",
        entity_type="client",
        golden_id=1,
        actor="test",
        created_at=now,
    )
    session.add(mutation)
    await session.flush()
    session.add(
        WriteBack(
            tenant_id="default",
            mutation_id=mutation.id,
            system="quickbooks",
            entity_type="client",
            golden_id=1,
            action="update",
            fields={"legal_name": "x"},
            status="FAILED",
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )
