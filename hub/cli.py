"""The `crosswalk` command line: serve, demo, database migrations."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hub.settings import Settings, get_settings

app = typer.Typer(help="Crosswalk: golden records across CRM, PSA, ERP, HRIS and payroll.")
db_app = typer.Typer(help="Database schema migrations.")
app.add_typer(db_app, name="db")

err = Console(stderr=True)

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


def _serve(settings: Settings) -> None:
    from hub.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
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
) -> None:
    """Seed a realistic firm into the configured database (once), then serve GraphiQL."""
    settings = _settings(host, port)
    asyncio.run(_seed_demo(settings, seed=seed, scale=scale))
    if serve_after:
        err.print(
            f"[bold]Crosswalk demo:[/bold] GraphiQL at http://{settings.host}:{settings.port}/graphql"
        )
        _serve(settings)


async def _seed_demo(settings: Settings, *, seed: int, scale: float) -> None:
    from connectors.sandbox.firm import generate_firm
    from hub.bootstrap import ensure_tenant, prepare_database, tenant_has_data
    from hub.db import create_engine, session_maker
    from hub.seed import load_firm

    await prepare_database(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_maker(engine)
    try:
        tenant = settings.default_tenant
        await ensure_tenant(sessions, tenant, "Demo firm")
        if await tenant_has_data(sessions, tenant):
            err.print(f"Tenant {tenant!r} already has data; not seeding again.")
            return
        firm = generate_firm(seed=seed, scale=scale)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as progress:
            tasks: dict[str, int] = {}

            def report(table: str, rows: int) -> None:
                if table not in tasks:
                    tasks[table] = progress.add_task(f"Loading {table}", total=None)
                progress.update(tasks[table], advance=rows)

            counts = await load_firm(sessions, firm, tenant, progress=report)
        err.print("Seeded: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    finally:
        await engine.dispose()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
