"""The ASGI application: GraphQL at /graphql, the BI export, probes, and the middleware around them.

Middleware, outermost first: request ID and access log, tracing (when configured), body-size
limit, authentication. Only /healthz and /metrics answer without credentials.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from golden_records.fx import load_all_fx_rates
from hub.auth.middleware import AuthenticationMiddleware, Authenticator, get_principal
from hub.db import create_engine, session_maker
from hub.export import margin_export_route
from hub.limits import BodySizeLimitMiddleware, security_extensions
from hub.logging import REQUEST_ID_SCOPE_KEY, RequestIdMiddleware
from hub.outbox import outbox_depth
from hub.outbox_models import EXCEPTION_QUEUE, WriteBackStatus
from hub.outbox_worker import OutboxWorker, WorkerOptions
from hub.settings import Settings, get_settings
from hub.sync_schedule import SyncSchedule
from hub.telemetry import Telemetry, install_telemetry
from hub.tenants import TenantRegistry
from hub.tracing import install_tracing
from resolvers.context import Context
from schema import build_schema

CONTEXT_SCOPE_KEY = "crosswalk.context"
GRAPHQL_PATH = "/graphql"


class CrosswalkGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app, with our per-request context taken from the ASGI scope."""

    def __init__(self, *args: Any, graphiql_api_key: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.graphiql_api_key = graphiql_api_key

    async def get_context(self, request: Any, response: Any) -> Context:
        context: Context = request.scope[CONTEXT_SCOPE_KEY]
        return context

    async def render_graphql_ide(self, request: Request) -> Response:
        html = self.graphql_ide_html
        if self.graphiql_api_key:
            # The demo's page sends its admin key with every query, so it works in one command.
            headers = json.dumps({"Authorization": f"Bearer {self.graphiql_api_key}"})
            html = html.replace("const defaultHeaders = {};", f"const defaultHeaders = {headers};")
        return HTMLResponse(html)


class GraphQLEndpoint:
    """Opens a per-request Context for the caller's tenant around the GraphQL app."""

    def __init__(
        self,
        graphql: CrosswalkGraphQL,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        tenants: TenantRegistry,
    ) -> None:
        self.graphql = graphql
        self.sessions = sessions
        self.settings = settings
        self.tenants = tenants
        # Set once the in-process outbox worker runs: mutations wake it instead of it polling.
        self.outbox_wakeup: Callable[[], None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = get_principal(scope)
        if principal is None:
            # Only the GraphiQL page itself gets here without a caller (the demo's): it is
            # static HTML, and strawberry would want a context even to render it.
            response = await self.graphql.render_graphql_ide(Request(scope, receive))
            await response(scope, receive, send)
            return
        context = Context.create(
            self.sessions,
            tenant_id=principal.tenant_id,
            settings=self.settings,
            principal=principal,
            request_id=scope.get(REQUEST_ID_SCOPE_KEY),
            tenant=self.tenants.get(principal.tenant_id),
            outbox_wakeup=self.outbox_wakeup,
        )
        scope[CONTEXT_SCOPE_KEY] = context
        try:
            await self.graphql(scope, receive, send)
        finally:
            await context.close()


def create_app(
    settings: Settings | None = None,
    *,
    engine: AsyncEngine | None = None,
    graphiql_api_key: str | None = None,
) -> Starlette:
    """Assemble the service. `graphiql_api_key` pre-fills GraphiQL's headers (the demo only)."""
    settings = settings or get_settings()
    tenants = TenantRegistry.load(settings.config_dir)  # invalid configuration fails start-up
    engine = engine or create_engine(settings.database_url, echo=settings.echo_sql)
    sessions = session_maker(engine)
    telemetry = Telemetry()
    schema = build_schema([*security_extensions(settings), telemetry.graphql_extension()])
    graphql = CrosswalkGraphQL(schema, graphql_ide="graphiql", graphiql_api_key=graphiql_api_key)

    async def healthz(_request: Request) -> Response:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # the probe must answer, whatever broke
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok"})

    schedule = (
        SyncSchedule(sessions, tenants, settings.sync_interval_seconds, telemetry=telemetry)
        if settings.sync_interval_seconds > 0
        else None
    )

    worker = (
        OutboxWorker(
            sessions,
            tenants,
            options=WorkerOptions.from_env(),
            telemetry=telemetry,
        )
        if settings.outbox_worker
        else None
    )
    endpoint = GraphQLEndpoint(graphql, sessions, settings, tenants)
    if worker is not None:
        endpoint.outbox_wakeup = worker.wake
    telemetry.add_queue("outbox", lambda: outbox_depth(sessions, WriteBackStatus.PENDING))
    telemetry.add_queue("write_back_exceptions", lambda: outbox_depth(sessions, *EXCEPTION_QUEUE))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Each tenant's dated FX rates from config/ (margin converts with them).
        await load_all_fx_rates(sessions, settings.config_dir)
        if schedule is not None:
            schedule.start()
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            if schedule is not None:
                await schedule.stop()
            await engine.dispose()

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route(GRAPHQL_PATH, endpoint, methods=["GET", "POST"]),
            margin_export_route(sessions, settings),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes),
            Middleware(
                AuthenticationMiddleware,
                authenticator=Authenticator.from_settings(sessions, settings),
                ide_paths=[GRAPHQL_PATH] if graphiql_api_key else [],
            ),
        ],
        lifespan=lifespan,
    )
    install_telemetry(app, engine, settings, telemetry=telemetry)
    install_tracing(app, engine)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.tenants = tenants
    app.state.sync_schedule = schedule
    app.state.outbox_worker = worker
    return app
