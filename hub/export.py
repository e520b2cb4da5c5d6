"""`GET /export/margin.csv`: the rows of GraphQL `margin(...)` as CSV, for Power BI and Tableau.

Parameters: `groupBy` (comma-separated CLIENT, PROJECT, RESOURCE, DEPARTMENT, MONTH), `from`,
`to` (YYYY-MM-DD, inclusive), `currency` (ISO 4217), and optional filters `clientIds`,
`projectIds`, `resourceIds` (comma-separated global IDs) and `department`. Bad parameters get
a 400 with a JSON `{"error": {"code", "message", "field"}}`; a missing FX rate a 422, a caller
without the `read_cost` permission a 403.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from golden_records.errors import (
    CrosswalkError,
    Forbidden,
    MissingFxRate,
    Unauthenticated,
    ValidationFailed,
)
from golden_records.margin import MarginGroupBy, MarginQuery
from hub.auth.middleware import get_principal
from hub.auth.principal import Principal
from hub.auth.roles import Permission
from hub.settings import Settings
from resolvers.context import Context
from resolvers.margin import domain_filter, margin_rows, reporting_currency
from schema.margin import MarginFilter, MarginRow

EXPORT_PATH = "/export/margin.csv"

# The columns each dimension adds, in the order of `groupBy`, then the measures.
KEY_COLUMNS: dict[MarginGroupBy, tuple[str, ...]] = {
    MarginGroupBy.CLIENT: ("client_id", "client_name"),
    MarginGroupBy.PROJECT: ("project_id", "project_name"),
    MarginGroupBy.RESOURCE: ("resource_id", "resource_name"),
    MarginGroupBy.DEPARTMENT: ("department",),
    MarginGroupBy.MONTH: ("month",),
}
MEASURE_COLUMNS = (
    "currency",
    "hours",
    "billable_hours",
    "uncosted_hours",
    "unpriced_hours",
    "labour_cost",
    "revenue",
    "margin",
    "margin_pct",
    "billed",
    "unbilled",
    "utilisation",
)


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _date(params: Mapping[str, str], name: str) -> date:
    value = params.get(name)
    if not value:
        raise ValidationFailed(f"`{name}` is required (YYYY-MM-DD).", field=name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"`{name}` {value!r} is not a date (YYYY-MM-DD).", field=name
        ) from None


def _ids(params: Mapping[str, str], name: str) -> list[strawberry.ID] | None:
    return [strawberry.ID(i) for i in _list(params.get(name))] or None


def parse_group_by(value: str | None) -> tuple[MarginGroupBy, ...]:
    dimensions = []
    for name in _list(value):
        try:
            dimensions.append(MarginGroupBy(name.upper()))
        except ValueError:
            known = ", ".join(g.value for g in MarginGroupBy)
            raise ValidationFailed(
                f"`groupBy` {name!r} is not one of {known}.", field="groupBy"
            ) from None
    return tuple(dimensions)


def parse_margin_params(params: Mapping[str, str]) -> tuple[MarginQuery, MarginFilter]:
    """The query the parameters ask for (its filter still as global IDs, decoded later)."""
    currency = params.get("currency")
    if not currency:
        raise ValidationFailed("`currency` is required (ISO 4217, e.g. USD).", field="currency")
    query = MarginQuery(
        start=_date(params, "from"),
        end=_date(params, "to"),
        currency=reporting_currency(currency),
        group_by=parse_group_by(params.get("groupBy")),
    )
    margin_filter = MarginFilter(
        client_ids=_ids(params, "clientIds"),
        project_ids=_ids(params, "projectIds"),
        resource_ids=_ids(params, "resourceIds"),
        department=params.get("department") or None,
    )
    return query, margin_filter


async def export_rows(
    ctx: Context, query: MarginQuery, margin_filter: MarginFilter
) -> list[MarginRow]:
    """Exactly what GraphQL `margin(...)` returns for the same arguments."""
    full = MarginQuery(
        start=query.start,
        end=query.end,
        currency=query.currency,
        group_by=query.group_by,
        filter=domain_filter(margin_filter),
    )
    return [MarginRow.from_domain(r) for r in await margin_rows(ctx, full)]


def header(group_by: Iterable[MarginGroupBy]) -> list[str]:
    return [c for g in group_by for c in KEY_COLUMNS[g]] + list(MEASURE_COLUMNS)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # never scientific notation, which BI tools misread
    return str(value)


def csv_lines(group_by: tuple[MarginGroupBy, ...], rows: Iterable[MarginRow]) -> Iterator[str]:
    """The header line, then one line per row (RFC 4180, CRLF line ends)."""
    columns = header(group_by)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(getattr(row, c)) for c in columns])
        yield buffer.getvalue()


def _error(error: CrosswalkError) -> JSONResponse:
    status = 400
    if isinstance(error, MissingFxRate):
        status = 422  # the request is fine; the tenant's rates table cannot satisfy it
    elif isinstance(error, Forbidden):
        status = 403
    return JSONResponse({"error": _error_body(error)}, status_code=status)


def _error_body(error: CrosswalkError) -> dict[str, str | None]:
    return {"code": error.code, "message": error.message, "field": error.field}


def _require_read_cost(principal: Principal) -> None:
    """Margins reveal cost rates: analyst or admin. GraphQL guards its fields the same way."""
    if not principal.has(Permission.READ_COST):
        raise Forbidden("Margins need the `read_cost` permission (analyst or admin role).")


def margin_csv_endpoint(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> Callable[[Request], Any]:
    async def margin_csv(request: Request) -> Response:
        principal = get_principal(request.scope)
        if principal is None:  # the authentication middleware lets no such request through
            error = Unauthenticated("Authentication required: send 'Authorization: Bearer ...'.")
            return JSONResponse({"error": _error_body(error)}, status_code=401)
        async with Context.create(
            sessions, tenant_id=principal.tenant_id, settings=settings, principal=principal
        ) as ctx:
            try:
                _require_read_cost(principal)
                query, margin_filter = parse_margin_params(request.query_params)
                rows = await export_rows(ctx, query, margin_filter)
            except CrosswalkError as error:
                return _error(error)
        filename = f"margin_{query.start}_{query.end}_{query.currency}.csv"
        return StreamingResponse(
            csv_lines(query.group_by, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    return margin_csv


def margin_export_route(sessions: async_sessionmaker[AsyncSession], settings: Settings) -> Route:
    """The route the app mounts: `GET /export/margin.csv`."""
    return Route(EXPORT_PATH, margin_csv_endpoint(sessions, settings), methods=["GET"])
