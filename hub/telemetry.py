"""Prometheus metrics for one app: GraphQL requests, latency, SQL per request, sync and queues."""

from __future__ import annotations

import contextvars
import inspect
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from hub.logging import current_request_id

QueueDepth = Callable[[], int | Awaitable[int]]

# Operation names come from clients; cap how many distinct label values one app will create.
MAX_OPERATION_NAMES = 200
_OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_SQL_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 20, 50, 100, 200, 500, 1000)

# A mutable cell per request: tasks spawned by the request copy the context, not the cell.
_sql_statements: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "crosswalk_sql_statements", default=None
)


class SqlStatementCounter:
    """Counts SQL statements run while a block is active (per task context, not per engine)."""

    def __init__(self) -> None:
        self._cell = [0]
        self._token: contextvars.Token[list[int] | None] | None = None

    def __enter__(self) -> SqlStatementCounter:
        self._token = _sql_statements.set(self._cell)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._token is not None:
            _sql_statements.reset(self._token)

    @property
    def count(self) -> int:
        return self._cell[0]


def _on_cursor_execute(*_args: Any, **_kwargs: Any) -> None:
    cell = _sql_statements.get()
    if cell is not None:
        cell[0] += 1


def count_sql_statements(engine: AsyncEngine) -> None:
    """Make `engine` feed SqlStatementCounter blocks; idempotent per engine."""
    sync_engine = engine.sync_engine
    if not event.contains(sync_engine, "before_cursor_execute", _on_cursor_execute):
        event.listen(sync_engine, "before_cursor_execute", _on_cursor_execute)


def error_code(error: Any) -> str:
    """The stable code of a GraphQL error: its `extensions.code`, else its CrosswalkError's."""
    extensions = getattr(error, "extensions", None) or {}
    code = extensions.get("code") if isinstance(extensions, dict) else None
    if code:
        return str(code)
    original = getattr(error, "original_error", None)
    if original is None:
        # graphql-core raises parse and validation errors without an underlying exception.
        return "GRAPHQL_VALIDATION_FAILED"
    return str(getattr(original, "code", "INTERNAL"))


class Telemetry:
    """All metrics of one app, in a registry of its own so several apps never collide."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._operation_names: set[str] = set()
        self._queues: dict[str, QueueDepth] = {}
        r = self.registry
        self.graphql_requests = Counter(
            "crosswalk_graphql_requests",
            "GraphQL operations by operation name and outcome (ok or the first error code).",
            ["operation", "outcome"],
            registry=r,
        )
        self.graphql_latency = Histogram(
            "crosswalk_graphql_request_duration_seconds",
            "Time to run one GraphQL operation, parse to result.",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.sql_per_request = Histogram(
            "crosswalk_graphql_sql_statements",
            "SQL statements executed by one GraphQL operation.",
            ["operation"],
            buckets=_SQL_BUCKETS,
            registry=r,
        )
        self.sync_records = Counter(
            "crosswalk_sync_records",
            "Source records processed by sync, by system and outcome.",
            ["system", "outcome"],
            registry=r,
        )
        self.writebacks = Counter(
            "crosswalk_writebacks",
            "Write-backs to source systems, by system and status.",
            ["system", "status"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "crosswalk_queue_depth",
            "Items waiting in a work queue (outbox, exception queue, review queue).",
            ["queue"],
            registry=r,
        )

    # -- GraphQL ------------------------------------------------------------------------

    def operation_label(self, name: str | None) -> str:
        """A bounded label for a client-chosen operation name."""
        if not name:
            return "anonymous"
        if not _OPERATION_NAME.match(name):
            return "invalid"
        if name not in self._operation_names:
            if len(self._operation_names) >= MAX_OPERATION_NAMES:
                return "other"
            self._operation_names.add(name)
        return name

    def observe_operation(
        self, operation: str | None, outcome: str, seconds: float, sql_statements: int
    ) -> None:
        label = self.operation_label(operation)
        self.graphql_requests.labels(operation=label, outcome=outcome).inc()
        self.graphql_latency.labels(operation=label).observe(seconds)
        self.sql_per_request.labels(operation=label).observe(sql_statements)

    def graphql_extension(self) -> type[SchemaExtension]:
        """A strawberry extension class reporting into this Telemetry (pass it to the Schema)."""
        telemetry = self

        class GraphQLTelemetry(_GraphQLTelemetryExtension):
            pass

        GraphQLTelemetry.telemetry = telemetry
        return GraphQLTelemetry

    # -- sync, write-back, queues ---------------------------------------------------------

    def record_sync(self, system: str, outcome: str, count: int = 1) -> None:
        self.sync_records.labels(system=system, outcome=outcome).inc(count)

    def record_writeback(self, system: str, status: str, count: int = 1) -> None:
        self.writebacks.labels(system=system, status=status).inc(count)

    def add_queue(self, name: str, depth: QueueDepth) -> None:
        """Report `depth()` (sync or async) as crosswalk_queue_depth{queue=name} on each scrape."""
        self._queues[name] = depth

    async def refresh_queues(self) -> None:
        for name, depth in self._queues.items():
            try:
                value = depth()
                if inspect.isawaitable(value):
                    value = await value
            except Exception:  # a broken probe must not break the scrape; NaN says "unknown"
                self.queue_depth.labels(queue=name).set(float("nan"))
                continue
            self.queue_depth.labels(queue=name).set(float(value))

    # -- exposition -----------------------------------------------------------------------

    async def render(self) -> bytes:
        await self.refresh_queues()
        return generate_latest(self.registry)

    async def metrics_endpoint(self, _request: Request) -> Response:
        """Starlette handler for GET /metrics in the Prometheus text format."""
        return Response(await self.render(), media_type=CONTENT_TYPE_LATEST)


class _GraphQLTelemetryExtension(SchemaExtension):
    """Times each operation, counts its SQL statements, and records its outcome."""

    telemetry: Telemetry

    async def on_operation(self) -> AsyncIterator[None]:
        started = time.perf_counter()
        with SqlStatementCounter() as sql:
            yield
        ctx = self.execution_context
        errors = list(getattr(ctx.result, "errors", None) or [])
        errors += list(getattr(ctx, "pre_execution_errors", None) or [])
        outcome = error_code(errors[0]) if errors else "ok"
        request_id = current_request_id()
        if request_id:
            # Every error a client sees carries the ID that finds its log lines.
            for error in errors:
                if error.extensions is None:
                    error.extensions = {}
                error.extensions.setdefault("requestId", request_id)
        self.telemetry.observe_operation(
            ctx.operation_name, outcome, time.perf_counter() - started, sql.count
        )


def install_telemetry(
    app: Starlette,
    engine: AsyncEngine,
    settings: Any = None,
    *,
    telemetry: Telemetry | None = None,
) -> Telemetry:
    """Count the engine's SQL per request, serve GET /metrics, and keep it in app.state.

    Pass the `telemetry` whose `graphql_extension()` the Schema was built with (the Schema
    usually exists before the app); without one a new Telemetry is made.
    """
    telemetry = telemetry or Telemetry()
    count_sql_statements(engine)
    app.add_route("/metrics", telemetry.metrics_endpoint, methods=["GET"])
    app.state.telemetry = telemetry
    return telemetry
