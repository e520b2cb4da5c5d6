"""Margin for the API: decode filters of global IDs, normalise arguments, run the domain query.

The GraphQL fields themselves (root `margin(...)` and `margin` on Client, Project, Resource)
are declared in schema/margin.py; the CSV export (hub/export.py) calls the same functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from golden_records import margin as domain
from golden_records.margin import compute_margin
from resolvers.context import Context
from resolvers.global_ids import decode_typed_id

if TYPE_CHECKING:
    from schema.margin import MarginFilter


def _ids(ids: Sequence[str] | None, type_name: str, field: str) -> tuple[int, ...]:
    return tuple(decode_typed_id(i, type_name, field=field) for i in ids or ())


def reporting_currency(value: str) -> str:
    """`usd` means USD, in GraphQL as in the CSV export; validation happens in MarginQuery."""
    return value.strip().upper()


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


async def margin_rows(ctx: Context, query: domain.MarginQuery) -> list[domain.MarginRow]:
    """The rows of `query` for the request's tenant (GraphQL's and the CSV's source).

    Margins reveal cost rates: the schema guards every margin field with READ_COST and the CSV
    endpoint checks it too; this function trusts its caller.
    """
    return await compute_margin(ctx.execute, ctx.tenant_id, query)


def margin_query(
    from_: date,
    to: date,
    currency: str,
    group_by: Sequence[domain.MarginGroupBy] | None,
    f: domain.MarginFilter,
) -> domain.MarginQuery:
    """The domain query for API arguments (raises ValidationFailed on bad ones)."""
    return domain.MarginQuery(
        start=from_,
        end=to,
        currency=reporting_currency(currency),
        group_by=tuple(group_by or ()),
        filter=f,
    )


def pk_of(root: object) -> int:
    pk: int = root.pk  # type: ignore[attr-defined]  # every golden type has its private pk
    return pk
