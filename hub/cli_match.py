"""`crosswalk match`: one incremental matching pass over a tenant's golden records."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Sequence
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from golden_records.errors import ConfigurationError
from hub.console import err, out, print_table
from hub.matching_service import MatchRunResult, match_tenant
from hub.settings import Settings, get_settings
from hub.tenants import TenantConfig, TenantRegistry

EXIT_USAGE = 2  # nothing was matched: the tenant's file is invalid


class Entity(enum.StrEnum):
    client = "client"
    project = "project"
    resource = "resource"


async def run_match(
    settings: Settings, tenant: TenantConfig, entity: str | None, *, full: bool
) -> list[MatchRunResult]:
    """One pass with the tenant file's thresholds and survivorship rules."""
    from hub.db import create_engine, session_maker

    engine = create_engine(settings.database_url)
    try:
        return await match_tenant(session_maker(engine), tenant, entity, full=full)
    finally:
        await engine.dispose()


def summary_table(results: Sequence[MatchRunResult]) -> Table:
    table = Table(title="Matching", box=box.SIMPLE_HEAD)
    for name in ("entity", "examined", "comparisons", "merged", "queued", "never-match skips"):
        table.add_column(name, justify="left" if name == "entity" else "right")
    for r in results:
        table.add_row(
            r.entity_type,
            str(r.examined),
            str(r.comparisons),
            str(r.merged),
            str(r.candidates),
            str(r.skipped_never_match),
        )
    return table


def match(
    entity: Annotated[
        Entity | None, typer.Option("--entity", help="Only this entity type.")
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Look at every golden record, not only changes since the last pass."
        ),
    ] = False,
    tenant: Annotated[
        str | None,
        typer.Option("--tenant", help="Tenant to match (default: CROSSWALK_DEFAULT_TENANT)."),
    ] = None,
) -> None:
    """Match golden records changed since the last pass: merge sure duplicates, queue likely
    ones for stewards (`matchCandidates` in the API)."""
    settings = get_settings()
    tenant_id = tenant or settings.default_tenant
    # The tenant's file sets the thresholds; an invalid file stops here, naming the field.
    try:
        config = TenantRegistry.load(settings.config_dir).get(tenant_id)
    except ConfigurationError as exc:
        err.print(f"[red]Error:[/red] {escape(exc.message)}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    results = asyncio.run(
        run_match(settings, config, None if entity is None else entity.value, full=full)
    )
    print_table(out, summary_table(results))
    merged = sum(r.merged for r in results)
    queued = sum(r.candidates for r in results)
    err.print(
        f"Merged {merged} duplicates and queued {queued} candidates for tenant {tenant_id!r}."
    )
