"""The demo over HTTP: the five sandbox systems served in-process, synced, then the hub served.

Everything runs in one event loop: the sandbox's uvicorn server keeps answering while the hub
serves, so later syncs (and write-backs) reach the same emulated systems.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
import yaml
from rich.console import Console
from sqlalchemy import select
from starlette.applications import Starlette

from golden_records.errors import ConfigurationError
from hub.settings import Settings

DEMO_MARKER = "# Written by `crosswalk demo`: the sandbox systems it serves in-process."


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: a free one), bound before the server starts, so no race."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


@contextlib.asynccontextmanager
async def serve_in_background(app: Starlette, sock: socket.socket) -> AsyncIterator[None]:
    """Serve `app` on `sock` in this event loop until the block ends. Signals stay with the
    hub's server, which owns the process; this one is stopped by leaving the block."""
    config = uvicorn.Config(app, log_level="warning", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    config.load()
    server.lifespan = config.lifespan_class(config)
    await server.startup(sockets=[sock])
    task = asyncio.create_task(server.main_loop())
    try:
        yield
    finally:
        server.should_exit = True
        await task
        await server.shutdown(sockets=[sock])


def write_demo_tenant(config_dir: Path, tenant_id: str, base_url: str) -> Path:
    """Point the tenant's configuration at the sandbox systems under `base_url`. A file that
    `crosswalk demo` did not write is never overwritten: it may hold real credentials."""
    from connectors.sandbox.apps import CREDENTIALS

    path = config_dir / "tenants" / f"{tenant_id}.yaml"
    if path.exists() and not path.read_text().startswith(DEMO_MARKER):
        raise ConfigurationError(
            f"{path} exists and was not written by the demo; move it away or point "
            "CROSSWALK_CONFIG_DIR elsewhere to run the demo."
        )
    body = {
        "display_name": "Demo firm",
        "systems": {
            system: {"base_url": f"{base_url}/{system}", "credentials": dict(credentials)}
            for system, credentials in CREDENTIALS.items()
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{DEMO_MARKER}\n{yaml.safe_dump(body, sort_keys=False)}")
    return path


async def _loaded_directly(settings: Settings, tenant_id: str) -> bool:
    """True when the tenant holds data that no sync brought (`demo --direct`): syncing the
    sandbox on top would give every record a second golden record."""
    from hub.bootstrap import tenant_has_data
    from hub.db import create_engine, session_maker
    from hub.sync_models import SyncCursor

    engine = create_engine(settings.database_url)
    try:
        sessions = session_maker(engine)
        if not await tenant_has_data(sessions, tenant_id):
            return False
        async with sessions() as session:
            cursor = await session.scalar(
                select(SyncCursor.id).where(SyncCursor.tenant_id == tenant_id).limit(1)
            )
        return cursor is None
    finally:
        await engine.dispose()


async def run_demo(
    settings: Settings,
    *,
    api_key: str,
    seed: int,
    scale: float,
    sandbox_port: int,
    serve: bool,
    console: Console,
) -> int:
    """Serve the sandbox, sync it over HTTP, then (if `serve`) serve the hub until stopped.
    Returns the exit code: 1 when a stream failed to sync and the hub was not served."""
    from connectors.sandbox import create_sandbox_apps, mount_sandbox, render_firm
    from connectors.sandbox.firm import generate_firm
    from hub.cli_sync import print_summary, run_sync, sync_progress
    from hub.tenants import TenantRegistry

    tenant_id = settings.default_tenant
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    with console.status(f"Generating the sandbox firm (seed {seed}, scale {scale:g})"):
        data = render_firm(generate_firm(seed, scale), seed)
    sock = bind_socket(host, sandbox_port)
    sandbox_url = f"http://{host}:{sock.getsockname()[1]}"
    async with serve_in_background(mount_sandbox(create_sandbox_apps(data)), sock):
        path = write_demo_tenant(settings.config_dir, tenant_id, sandbox_url)
        console.print(
            f"[bold]Sandbox systems[/bold] at {sandbox_url}/<system> (configured in {path})"
        )
        failed = 0
        if await _loaded_directly(settings, tenant_id):
            console.print(f"Tenant {tenant_id!r} was loaded with --direct; not syncing over it.")
        else:
            config = TenantRegistry.load(settings.config_dir).get(tenant_id)
            with sync_progress(console) as progress:
                results = await run_sync(
                    settings,
                    config,
                    systems=sorted(config.systems),
                    full=False,
                    progress=progress,
                )
            print_summary(console, results)
            failed = sum(r.status != "succeeded" for r in results)
        if not serve:
            return 1 if failed else 0
        await serve_hub(settings, api_key)
    return 0


async def serve_hub(settings: Settings, api_key: str | None) -> None:
    """`crosswalk serve` inside an already running event loop (so the sandbox keeps serving)."""
    from hub.app import create_app
    from hub.logging import configure_logging

    configure_logging(settings.log_level)
    config = uvicorn.Config(
        create_app(settings, graphiql_api_key=api_key),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # keep our JSON logging; RequestIdMiddleware writes the access log
        access_log=False,
    )
    await uvicorn.Server(config).serve()
