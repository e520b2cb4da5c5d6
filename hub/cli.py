"""The `crosswalk` command line: serve, demo, database migrations."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from hub.cli_dedupe import dedupe
from hub.cli_export import app as export_app
from hub.cli_match import match
from hub.cli_security import audit_app, keys_app
from hub.cli_sync import sync
from hub.cli_worker import worker
from hub.console import err
from hub.settings import Settings, get_settings

app = typer.Typer(
    help="Crosswalk: golden records across CRM, PSA, ERP, HRIS and payroll.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(export_app, name="export")
app.command()(dedupe)
app.command()(sync)
app.command()(match)
app.command()(worker)


PortOption = Annotated[
    int | None, typer.Option("--port", help="Port to listen on [env: CROSSWALK_PORT].")
]
HostOption = Annotated[
    str | None, typer.Option("--host", help="Interface to bind [env: CROSSWALK_HOST].")
]


def _settings(host: str | None = None, port: int | None = None) -> Settings:
    settings = get_settings()
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    return settings.model_copy(update=overrides) if overrides else settings


def _serve(settings: Settings, *, graphiql_api_key: str | None = None) -> None:
    from hub.app import create_app
    from hub.gc_tuning import freeze_startup_objects
    from hub.logging import configure_logging

    configure_logging(settings.log_level)
    app = create_app(settings, graphiql_api_key=graphiql_api_key)
    freeze_startup_objects()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # keep our JSON logging; RequestIdMiddleware writes the access log
        access_log=False,
    )


@app.command()
def serve(host: HostOption = None, port: PortOption = None) -> None:
    """Serve the GraphQL API (migrations must have been applied: `crosswalk db upgrade`)."""
    _serve(_settings(host, port))


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply database migrations up to REVISION (default: head)."""
    from hub.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, revision)
    err.print(f"[green]Database upgraded to {revision}.[/green]")


@app.command()
def demo(
    host: HostOption = None,
    port: PortOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated firm.")] = 7,
    scale: Annotated[
        float, typer.Option(help="Size of the generated firm (1.0 ≈ 300 clients).")
    ] = 1.0,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after seeding.")
    ] = True,
    sandbox_port: Annotated[
        int, typer.Option(help="Port of the sandbox systems (default: a free one).")
    ] = 0,
    direct: Annotated[
        bool, typer.Option("--direct", help="Load the firm straight into the hub (no HTTP).")
    ] = False,
) -> None:
    """Serve the five sandbox systems, sync them into the hub over HTTP, then serve GraphiQL."""
    settings = _settings(host, port)
    if not direct:
        from golden_records.errors import ConfigurationError
        from hub.demo import run_demo

        api_key = asyncio.run(_demo_key(settings))
        err.print(f"[bold]Admin API key[/bold] for tenant {settings.default_tenant!r}: {api_key}")
        if serve_after:
            url = f"http://{settings.host}:{settings.port}/graphql"
            err.print(f"[bold]Crosswalk demo:[/bold] GraphiQL at {url} (it sends the key for you)")
        try:
            code = asyncio.run(
                run_demo(
                    settings,
                    api_key=api_key,
                    seed=seed,
                    scale=scale,
                    sandbox_port=sandbox_port,
                    serve=serve_after,
                    console=err,
                )
            )
        except ConfigurationError as exc:
            err.print(f"[red]Error:[/red] {exc.message}", markup=False)
            raise typer.Exit(2) from None
        raise typer.Exit(code)
    api_key = asyncio.run(_seed_demo(settings, seed=seed, scale=scale))
    err.print(f"[bold]Admin API key[/bold] for tenant {settings.default_tenant!r}: {api_key}")
    if serve_after:
        url = f"http://{settings.host}:{settings.port}/graphql"
        err.print(f"[bold]Crosswalk demo:[/bold] GraphiQL at {url} (it sends the key for you)")
        _serve(settings, graphiql_api_key=api_key)


async def _demo_key(settings: Settings) -> str:
    """Migrate, create the demo tenant, and return its admin API key."""
    from hub.auth.api_keys import ensure_key, generate_key
    from hub.auth.roles import Role
    from hub.bootstrap import ensure_tenant, prepare_database
    from hub.db import create_engine, session_maker

    await prepare_database(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        sessions = session_maker(engine)
        await ensure_tenant(sessions, settings.default_tenant, "Demo firm")
        demo_key = settings.demo_api_key
        api_key = demo_key.get_secret_value() if demo_key else generate_key()
        await ensure_key(sessions, settings.default_tenant, Role.ADMIN, "demo", api_key)
        return api_key
    finally:
        await engine.dispose()


async def _seed_demo(settings: Settings, *, seed: int, scale: float) -> str:
    """Migrate, seed once, and return the demo's admin API key."""
    from connectors.sandbox.firm import generate_firm
    from golden_records.fx import load_tenant_fx_rates
    from hub.auth.api_keys import ensure_key, generate_key
    from hub.auth.roles import Role
    from hub.bootstrap import ensure_tenant, prepare_database, tenant_has_data
    from hub.db import create_engine, session_maker
    from hub.seed import load_firm

    await prepare_database(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_maker(engine)
    try:
        tenant = settings.default_tenant
        await ensure_tenant(sessions, tenant, "Demo firm")
        demo_key = settings.demo_api_key
        api_key = demo_key.get_secret_value() if demo_key else generate_key()
        await ensure_key(sessions, tenant, Role.ADMIN, "demo", api_key)
        if await tenant_has_data(sessions, tenant):
            err.print(f"Tenant {tenant!r} already has data; not seeding again.")
            return api_key
        firm = generate_firm(seed=seed, scale=scale)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as progress:
            tasks: dict[str, TaskID] = {}

            def report(table: str, rows: int) -> None:
                if table not in tasks:
                    tasks[table] = progress.add_task(f"Loading {table}", total=None)
                progress.update(tasks[table], advance=rows)

            counts = await load_firm(sessions, firm, tenant, progress=report)
        counts["fx_rates"] = await load_tenant_fx_rates(sessions, settings.config_dir, tenant)
        err.print("Seeded: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
        return api_key
    finally:
        await engine.dispose()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
