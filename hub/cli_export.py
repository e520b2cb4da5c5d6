"""`crosswalk export margin`: the CSV of `GET /export/margin.csv`, from the command line."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from golden_records.errors import CrosswalkError
from hub.console import err
from hub.export import csv_lines, export_rows, parse_margin_params
from hub.settings import Settings, get_settings

app = typer.Typer(help="Export data for BI tools.")


async def _margin_csv(settings: Settings, tenant_id: str, params: dict[str, str]) -> list[str]:
    from hub.db import create_engine, session_maker
    from resolvers.context import Context

    query, margin_filter = parse_margin_params(params)
    engine = create_engine(settings.database_url)
    try:
        async with Context.create(
            session_maker(engine), tenant_id=tenant_id, settings=settings
        ) as ctx:
            rows = await export_rows(ctx, query, margin_filter)
    finally:
        await engine.dispose()
    return list(csv_lines(query.group_by, rows))


@app.command("margin")
def margin(
    from_: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (inclusive).")],
    to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive).")],
    currency: Annotated[str, typer.Option(help="Reporting currency, ISO 4217.")],
    group_by: Annotated[
        str,
        typer.Option(
            "--group-by", help="Comma-separated: CLIENT, PROJECT, RESOURCE, DEPARTMENT, MONTH."
        ),
    ] = "",
    client_ids: Annotated[str, typer.Option("--client-ids", help="Global client IDs.")] = "",
    project_ids: Annotated[str, typer.Option("--project-ids", help="Global project IDs.")] = "",
    resource_ids: Annotated[str, typer.Option("--resource-ids", help="Global resource IDs.")] = "",
    department: Annotated[str, typer.Option(help="Only this department.")] = "",
    tenant: Annotated[
        str | None, typer.Option(help="Tenant ID (default: CROSSWALK_DEFAULT_TENANT).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Margin rows (same rules and values as GraphQL `margin`) as CSV with a header row."""
    settings = get_settings()
    params = {
        "from": from_,
        "to": to,
        "currency": currency,
        "groupBy": group_by,
        "clientIds": client_ids,
        "projectIds": project_ids,
        "resourceIds": resource_ids,
        "department": department,
    }
    try:
        lines = asyncio.run(_margin_csv(settings, tenant or settings.default_tenant, params))
    except CrosswalkError as error:
        err.print(f"[red]error[/red] ({error.code}): {error.message}")
        raise typer.Exit(2) from None
    if output is None:
        sys.stdout.write("".join(lines))
    else:
        output.write_text("".join(lines), encoding="utf-8", newline="")
        err.print(f"Wrote {len(lines) - 1} rows to {output}.")
