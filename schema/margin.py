"""Margin rows for BI: group keys and measures of `margin(...)`; rules in golden_records.margin.

Also the fields' thin resolvers (root `margin` and Client/Project/Resource `margin`), which the
root Query and the entity types attach: they live beside MarginRow so that schema/client.py and
friends need not import resolvers/margin.py, which imports this module's types' package.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from golden_records import margin as domain
from golden_records.models import ClientRecord, ProjectRecord, ResourceRecord
from resolvers import margin as margins
from resolvers import related
from resolvers.context import Context
from resolvers.global_ids import encode_global_id

if TYPE_CHECKING:
    from schema.client import Client
    from schema.project import Project
    from schema.resource import Resource

# Registers the domain enum itself, so resolvers annotate with golden_records.margin's class.
MarginGroupBy = strawberry.enum(
    domain.MarginGroupBy,
    name="MarginGroupBy",
    description="A dimension of margin rows; MONTH is the calendar month of each amount's date.",
)


@strawberry.input(description="Only the amounts matching every given field.")
class MarginFilter:
    client_ids: list[strawberry.ID] | None = None
    project_ids: list[strawberry.ID] | None = None
    resource_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Leaves out invoices, which belong to no person."
    )
    department: str | None = strawberry.field(
        default=None, description="Leaves out invoices, which belong to no department."
    )


def _global(type_name: str, pk: int | None) -> strawberry.ID | None:
    return None if pk is None else strawberry.ID(encode_global_id(type_name, pk))


@strawberry.type(
    description="One group's hours, cost, revenue and margin, every amount in `currency`. "
    "Keys not grouped by are null; an invoice's row has no resource or department."
)
class MarginRow:
    currency: str = strawberry.field(description="The reporting currency, ISO 4217.")
    client_id: strawberry.ID | None
    client_name: str | None
    project_id: strawberry.ID | None
    project_name: str | None
    resource_id: strawberry.ID | None
    resource_name: str | None
    department: str | None
    month: str | None = strawberry.field(description="YYYY-MM.")
    hours: Decimal
    billable_hours: Decimal
    uncosted_hours: Decimal = strawberry.field(
        description="Hours with no cost rate in force: their cost is missing from labourCost."
    )
    unpriced_hours: Decimal = strawberry.field(
        description="Billable time-and-materials hours with no bill rate: no revenue counted."
    )
    labour_cost: Decimal = strawberry.field(description="Hours x the cost rate on each date.")
    revenue: Decimal
    margin: Decimal = strawberry.field(description="revenue - labourCost.")
    margin_pct: Decimal | None = strawberry.field(description="Null when revenue is 0.")
    billed: Decimal = strawberry.field(description="Invoiced in the period.")
    unbilled: Decimal = strawberry.field(
        description="revenue - billed; negative when invoices bill earlier work."
    )
    utilisation: Decimal | None = strawberry.field(description="billableHours / hours.")
    _row: strawberry.Private[domain.MarginRow]

    @classmethod
    def from_domain(cls, row: domain.MarginRow) -> MarginRow:
        return cls(
            currency=row.currency,
            client_id=_global("Client", row.client_id),
            client_name=row.client_name,
            project_id=_global("Project", row.project_id),
            project_name=row.project_name,
            resource_id=_global("Resource", row.resource_id),
            resource_name=row.resource_name,
            department=row.department,
            month=row.month,
            hours=row.hours,
            billable_hours=row.billable_hours,
            uncosted_hours=row.uncosted_hours,
            unpriced_hours=row.unpriced_hours,
            labour_cost=row.labour_cost,
            revenue=row.revenue,
            margin=row.margin,
            margin_pct=row.margin_pct,
            billed=row.billed,
            unbilled=row.unbilled,
            utilisation=row.utilisation,
            _row=row,
        )

    @strawberry.field(description="The golden client, when grouped by CLIENT.")
    async def client(
        self, info: Info[Context, None]
    ) -> Annotated[Client, strawberry.lazy("schema.client")] | None:
        from schema.client import Client

        row = await related.one(info.context, ClientRecord, self._row.client_id)
        return None if row is None else Client.from_row(row)

    @strawberry.field(description="The golden project, when grouped by PROJECT.")
    async def project(
        self, info: Info[Context, None]
    ) -> Annotated[Project, strawberry.lazy("schema.project")] | None:
        from schema.project import Project

        row = await related.one(info.context, ProjectRecord, self._row.project_id)
        return None if row is None else Project.from_row(row)

    @strawberry.field(description="The golden resource, when grouped by RESOURCE.")
    async def resource(
        self, info: Info[Context, None]
    ) -> Annotated[Resource, strawberry.lazy("schema.resource")] | None:
        from schema.resource import Resource

        row = await related.one(info.context, ResourceRecord, self._row.resource_id)
        return None if row is None else Resource.from_row(row)


From = Annotated[date, strawberry.argument(name="from", description="First day, inclusive.")]
To = Annotated[date, strawberry.argument(description="Last day, inclusive.")]
Currency = Annotated[
    str,
    strawberry.argument(
        description="Reporting currency (ISO 4217, any case); amounts convert to it."
    ),
]
GroupBy = Annotated[
    list[domain.MarginGroupBy],
    strawberry.argument(name="groupBy", description="Dimensions, in the order of the rows."),
]
EntityGroupBy = Annotated[
    list[domain.MarginGroupBy] | None,
    strawberry.argument(name="groupBy", description="Dimensions within this record (e.g. MONTH)."),
]


async def _rows(ctx: Context, query: domain.MarginQuery) -> list[MarginRow]:
    return [MarginRow.from_domain(r) for r in await margins.margin_rows(ctx, query)]


async def margin(
    info: Info[Context, None],
    from_: From,
    to: To,
    currency: Currency,
    group_by: GroupBy,
    filter: MarginFilter | None = None,
) -> list[MarginRow] | None:
    """Revenue, labour cost and margin per group over [from, to], in one reporting currency."""
    f = margins.domain_filter(filter)
    return await _rows(info.context, margins.margin_query(from_, to, currency, group_by, f))


async def client_margin(
    root: object,
    info: Info[Context, None],
    from_: From,
    to: To,
    currency: Currency,
    group_by: EntityGroupBy = None,
) -> list[MarginRow] | None:
    """This client's margin rows (one row when not grouped)."""
    f = domain.MarginFilter(client_ids=(margins.pk_of(root),))
    return await _rows(info.context, margins.margin_query(from_, to, currency, group_by, f))


async def project_margin(
    root: object,
    info: Info[Context, None],
    from_: From,
    to: To,
    currency: Currency,
    group_by: EntityGroupBy = None,
) -> list[MarginRow] | None:
    """This project's margin rows (one row when not grouped)."""
    f = domain.MarginFilter(project_ids=(margins.pk_of(root),))
    return await _rows(info.context, margins.margin_query(from_, to, currency, group_by, f))


async def resource_margin(
    root: object,
    info: Info[Context, None],
    from_: From,
    to: To,
    currency: Currency,
    group_by: EntityGroupBy = None,
) -> list[MarginRow] | None:
    """This person's margin rows: their time only (invoices belong to no person)."""
    f = domain.MarginFilter(resource_ids=(margins.pk_of(root),))
    return await _rows(info.context, margins.margin_query(from_, to, currency, group_by, f))
