"""`crosswalk sync`: pull one tenant's source systems into the hub, with progress and a summary."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated

import httpx
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError

from golden_records.errors import ConfigurationError, UnknownSystem
from golden_records.systems import get_system
from hub.console import err, out, print_table
from hub.settings import Settings, get_settings
from hub.sync import SyncRunResult, configured_systems, tenant_connectors
from hub.tenants import TenantConfig, TenantRegistry

COUNTS = ("fetched", "created", "updated", "unchanged", "deleted", "skipped")
EXIT_FAILED = 1  # a stream failed; the others were still synced
EXIT_USAGE = 2  # nothing was synced: bad configuration or options


def _how_to_configure(settings: Settings, tenant_id: str) -> str:
    path = settings.config_dir / "tenants" / f"{tenant_id}.yaml"
    return (
        f"Tenant {tenant_id!r} has no source systems configured. Write {path} naming each "
        "system's base_url and credentials, e.g.\n"
        "  systems:\n"
        "    harvest:\n"
        "      base_url: https://api.harvestapp.com\n"
        "      credentials: {access_token: ${HARVEST_TOKEN}, account_id: '123456'}\n"
        "(CROSSWALK_CONFIG_DIR sets the directory), or run `crosswalk demo`, which configures "
        "the sandbox systems."
    )


def select_systems(config: TenantConfig, requested: Sequence[str] | None) -> list[str]:
    """The system names to sync; ConfigurationError when one is unknown or not configured."""
    available = configured_systems(config)
    if requested is None or not requested:
        return sorted(available)
    chosen: list[str] = []
    for name in requested:
        try:
            system = get_system(name).name
        except UnknownSystem as exc:
            raise ConfigurationError(exc.message) from None
        if system not in available:
            raise ConfigurationError(
                f"{system} is not configured for tenant {config.id!r} "
                f"(configured: {', '.join(sorted(available)) or 'none'})"
            )
        chosen.append(system)
    return chosen


async def run_sync(
    settings: Settings,
    config: TenantConfig,
    *,
    systems: Sequence[str],
    full: bool,
    progress: Progress | None = None,
) -> list[SyncRunResult]:
    """Sync `systems` of the tenant `config` into the configured database; one run per stream."""
    from hub.bootstrap import ensure_tenant
    from hub.db import create_engine, session_maker
    from hub.refresh import refresh_golden_records
    from hub.sync import sync

    engine = create_engine(settings.database_url)
    sessions = session_maker(engine)
    tasks: dict[tuple[str, str], TaskID] = {}

    def report(system: str, stream: str, fetched: int) -> None:
        if progress is None:
            return
        key = (system, stream)
        if key not in tasks:
            tasks[key] = progress.add_task(f"{system}/{stream}", total=None)
        progress.update(tasks[key], completed=fetched)

    try:
        try:
            await ensure_tenant(sessions, config.id, config.display_name)
        except (OperationalError, ProgrammingError) as exc:  # no tables yet
            raise ConfigurationError(
                f"the database at {engine.url.render_as_string()} is not ready ({exc.orig}); "
                "run `crosswalk db upgrade` first"
            ) from None
        async with httpx.AsyncClient() as http:
            results = await sync(
                sessions,
                tenant_connectors(http, config),
                tenant_id=config.id,
                systems=systems,
                full=full,
                progress=report,
                survivorship=config.survivorship_config(),
            )
        await refresh_golden_records(sessions, config.id, tenant=config)
        return results
    finally:
        await engine.dispose()


def sync_progress(console: Console = err) -> Progress:
    """The bar the CLI and the demo show while syncing: one line per system/stream."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<28}"),
        TextColumn("{task.completed:>8} records"),
        TimeElapsedColumn(),
        console=console,
    )


def summary_table(results: Sequence[SyncRunResult]) -> Table:
    """One row per stream run, with its counts and, when it failed, why."""
    table = Table(title="Sync runs", box=box.SIMPLE_HEAD)
    table.add_column("system", no_wrap=True)
    table.add_column("stream", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for name in COUNTS:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("errors")
    for r in results:
        status = "[green]ok[/green]" if r.status == "succeeded" else "[red]failed[/red]"
        counts = (str(getattr(r, n)) for n in COUNTS)
        table.add_row(r.system, r.stream, status, *counts, escape(r.error or ""))
    return table


def print_summary(console: Console, results: Sequence[SyncRunResult]) -> None:
    # Piped output (logs, CI) would otherwise be cut at 80 columns and lose the counts.
    print_table(console, summary_table(results))


def sync(
    system: Annotated[
        list[str] | None,
        typer.Option("--system", help="Only this system (name or role; repeatable)."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Fetch everything, not only changes since last time.")
    ] = False,
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", help="Tenant to sync (default: CROSSWALK_DEFAULT_TENANT)."),
    ] = None,
) -> None:
    """Pull changes from the tenant's source systems into the hub (incremental by default)."""
    settings = get_settings()
    tenant_id = tenant or settings.default_tenant
    try:
        config = TenantRegistry.load(settings.config_dir).get(tenant_id)
        if not configured_systems(config):
            raise ConfigurationError(_how_to_configure(settings, tenant_id))
        systems = select_systems(config, system)
        with sync_progress() as progress:
            results = asyncio.run(
                run_sync(settings, config, systems=systems, full=full, progress=progress)
            )
    except ConfigurationError as exc:
        err.print(f"[red]Error:[/red] {escape(exc.message)}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    print_summary(out, results)
    failed = [r for r in results if r.status != "succeeded"]
    if failed:
        err.print(f"[red]{len(failed)} of {len(results)} streams failed.[/red]")
        raise typer.Exit(EXIT_FAILED)
    total = sum(r.fetched for r in results)
    err.print(f"Synced {len(results)} streams ({total} records fetched) for tenant {tenant_id!r}.")
