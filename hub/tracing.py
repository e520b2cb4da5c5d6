"""OpenTelemetry tracing of requests, SQL and outgoing httpx calls, only when an exporter is set.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (OTLP over HTTP; the standard OTEL_* variables apply)
or `CROSSWALK_OTEL_CONSOLE=1` (spans printed to stdout) is set. When off, nothing is imported
and nothing is wrapped, so tracing costs nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

log = logging.getLogger(__name__)

SERVICE_NAME = "crosswalk"

# Tracing is process-wide (one global provider, one httpx patch); configure it once.
_provider: Any = None


def tracing_enabled(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT")) or env.get("CROSSWALK_OTEL_CONSOLE") == "1"


def configure_tracing(env: Mapping[str, str] | None = None, *, exporter: Any = None) -> Any:
    """The process's TracerProvider, created on first use; None when tracing is off.

    `exporter` overrides the one chosen from the environment (tests pass an in-memory one).
    """
    global _provider
    if _provider is not None:
        return _provider
    if exporter is None and not tracing_enabled(env):
        return None
    from opentelemetry import trace
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    env = os.environ if env is None else env
    provider = TracerProvider(
        resource=Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", SERVICE_NAME)})
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        if env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        if env.get("CROSSWALK_OTEL_CONSOLE") == "1":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    if exporter is None:
        # The global provider can be set once per process; tests keep theirs local.
        trace.set_tracer_provider(provider)
    # Connector clients are httpx: every outgoing call becomes a child span of the request.
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    log.info("tracing enabled", extra={"service": SERVICE_NAME})
    return provider


def trace_engine(engine: AsyncEngine, provider: Any) -> None:
    """Emit a span per SQL statement run on `engine`."""
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter
    from opentelemetry.trace import get_tracer

    if getattr(engine.sync_engine, "_crosswalk_traced", False):
        return
    # EngineTracer (rather than the global instrumentor) so that each app's engine is traced,
    # not only the first one, and engines made by others are left alone.
    connections = get_meter("crosswalk.sql").create_up_down_counter(
        "db.client.connections.usage", unit="connections"
    )
    EngineTracer(
        get_tracer("crosswalk.sql", tracer_provider=provider), engine.sync_engine, connections
    )
    engine.sync_engine._crosswalk_traced = True  # type: ignore[attr-defined]


def install_tracing(
    app: Starlette, engine: AsyncEngine, env: Mapping[str, str] | None = None
) -> bool:
    """Trace `app`'s requests and `engine`'s SQL when an exporter is configured."""
    provider = configure_tracing(env)
    if provider is None:
        return False
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    trace_engine(engine, provider)
    app.add_middleware(
        OpenTelemetryMiddleware,
        tracer_provider=provider,
        excluded_urls="healthz,metrics",
        exclude_spans=["receive", "send"],
    )
    return True


def shutdown_tracing() -> None:
    """Flush pending spans and stop tracing httpx (call at process exit, or after a test)."""
    global _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().uninstrument()
    _provider.shutdown()
    _provider = None
