"""`margin(...)` on the root Query and on Client, Project and Resource: one SQL statement each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from golden_records import margin as domain
from golden_records.errors import Forbidden
from golden_records.margin import compute_margin
from resolvers.context import Context
from resolvers.global_ids import decode_typed_id
from schema.margin import MarginFilter, MarginRow

# hub.auth.roles.Permission.READ_COST, by value: resolvers do not import the hub.
READ_COST = "read_cost"

From = Annotated[date, strawberry.argument(name="from", description="First day, inclusive.")]
To = Annotated[date, strawberry.argument(description="Last day, inclusive.")]
Currency = Annotated[
    str, strawberry.argument(description="Reporting currency (ISO 4217); amounts convert to it.")
]
GroupBy = Annotated[
    list[domain.MarginGroupBy],
    strawberry.argument(name="groupBy", description="Dimensions, in the order of the rows."),
]


def _ids(ids: Sequence[str] | None, type_name: str, field: str) -> tuple[int, ...]:
    return tuple(decode_typed_id(i, type_name, field=field) for i in ids or ())


def domain_filter(margin_filter: MarginFilter | None) -> domain.MarginFilter:
    """The domain filter for a GraphQL (or CSV export) filter of global IDs."""
    if margin_filter is None:
        return domain.MarginFilter()
    return domain.MarginFilter(
        client_ids=_ids(margin_filter.client_ids, "Client", "clientIds"),
        project_ids=_ids(margin_filter.project_ids, "Project", "projectIds"),
        resource_ids=_ids(margin_filter.resource_ids, "Resource", "resourceIds"),
        department=margin_filter.department,
    )


async def margin_rows(ctx: Context, query: domain.MarginQuery) -> list[MarginRow]:
    """The rows of `query` for the request's tenant, as GraphQL objects (also the CSV's source)."""
    _require_read_cost(ctx)
    rows = await compute_margin(ctx.execute, ctx.tenant_id, query)
    return [MarginRow.from_domain(r) for r in rows]


async def margin(
    info: Info[Context, None],
    from_: From,
    to: To,
    currency: Currency,
    group_by: GroupBy,
    filter: MarginFilter | None = None,
) -> list[MarginRow]:
    """Revenue, labour cost and margin per group over [from, to], in one reporting currency."""
    query = domain.MarginQuery(
        start=from_,
        end=to,
        currency=currency,
        group_by=tuple(group_by),
        filter=domain_filter(filter),
    )
    return await margin_rows(info.context, query)


def _entity_query(
    from_: date,
    to: date,
    currency: str,
    group_by: list[domain.MarginGroupBy] | None,
    f: domain.MarginFilter,
) -> domain.MarginQuery:
    return domain.MarginQuery(
        start=from_,
        end=to,
        currency=currency,
        group_by=tuple(group_by or ()),
        filter=f,
    )


EntityGroupBy = Annotated[
    list[domain.MarginGroupBy] | None,
    strawberry.argument(name="groupBy", description="Dimensions within this record (e.g. MONTH)."),
]


async def client_margin(
    root: object,
    info: Info[Context, None],
    from_: From,
    to: To,
    currency: Currency,
    group_by: EntityGroupBy = None,
) -> list[MarginRow]:
    """This client's margin rows (one row when not grouped)."""
    f = domain.MarginFilter(client_ids=(_pk(root),))
    return await margin_rows(info.context, _entity_query(from_, to, currency, group_by, f))


async def project_margin(
    root: object,
    info: Info[Context, None],
    from_: From,
    to: To,
    currency: Currency,
    group_by: EntityGroupBy = None,
) -> list[MarginRow]:
    """This project's margin rows (one row when not grouped)."""
    f = domain.MarginFilter(project_ids=(_pk(root),))
    return await margin_rows(info.context, _entity_query(from_, to, currency, group_by, f))


async def resource_margin(
    root: object,
    info: Info[Context, None],
    from_: From,
    to: To,
    currency: Currency,
    group_by: EntityGroupBy = None,
) -> list[MarginRow]:
    """This person's margin rows: their time only (invoices belong to no person)."""
    f = domain.MarginFilter(resource_ids=(_pk(root),))
    return await margin_rows(info.context, _entity_query(from_, to, currency, group_by, f))


def _require_read_cost(ctx: Context) -> None:
    """Margins reveal cost rates: only roles with `read_cost` (analyst, admin) may see them."""
    principal = ctx.principal
    # Without a principal the app runs unauthenticated (demo, tests): nothing to check.
    if principal is not None and not principal.has(READ_COST):  # type: ignore[attr-defined]
        raise Forbidden("Margins need the `read_cost` permission (analyst or admin role).")


def _pk(root: object) -> int:
    pk: int = root.pk  # type: ignore[attr-defined]  # every golden type has its private pk
    return pk
