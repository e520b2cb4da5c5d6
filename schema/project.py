"""The Project type (client work tracked in the PSA), its filter and ordering inputs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import ColumnElement, Row
from strawberry.types import Info

from golden_records.models import TimeEntryRecord
from hub.auth.roles import Permission
from resolvers import related
from resolvers.context import Context
from schema.common import OrderDirection
from schema.enums import BillingType, ProjectStatus
from schema.margin import MarginRow, project_margin
from schema.node import GoldenRecord, build, build_all, builder, to_many, to_one
from schema.permissions import requires

if TYPE_CHECKING:
    from schema.assignment import Assignment
    from schema.client import Client
    from schema.resource import Resource
    from schema.time_entry import TimeEntry

_FIELDS = (
    "name",
    "code",
    "status",
    "billing_type",
    "start_date",
    "end_date",
    "currency",
    "budget_hours",
    "budget_amount",
    "bill_rate",
    "client_id",
    "project_manager_id",
)


_client = to_one("Client", "client_id")


_project_manager = to_one("Resource", "project_manager_id")


_assignments = to_many("Assignment", "project_id", order_by=("start_date",))


def _time_entries(
    root: Project,
    info: Info[Context, None],
    from_: Annotated[date | None, strawberry.argument(name="from")] = None,
    to: date | None = None,
    first: int | None = None,
) -> Any:
    t = TimeEntryRecord.__table__
    where: list[ColumnElement[bool]] = []
    if from_ is not None:
        where.append(t.c.spent_date >= from_)
    if to is not None:
        where.append(t.c.spent_date <= to)
    return related.load_many(
        info.context,
        TimeEntryRecord,
        builder("TimeEntry"),
        "project_id",
        root.pk,
        first,
        order_by=("spent_date",),
        where=where,
        variant=(from_, to),  # one loader (and statement) per distinct date range
    )


@strawberry.type(description="Work for a client, with its team and time.")
class Project(GoldenRecord):
    name: str
    code: str | None
    status: ProjectStatus
    billing_type: BillingType
    start_date: date | None
    end_date: date | None
    currency: str
    budget_hours: Decimal | None
    budget_amount: Decimal | None
    bill_rate: Decimal | None
    client_id: strawberry.Private[int | None]
    project_manager_id: strawberry.Private[int | None]

    client: Annotated[Client, strawberry.lazy("schema.client")] | None = strawberry.field(
        resolver=_client
    )
    project_manager: Annotated[Resource, strawberry.lazy("schema.resource")] | None = (
        strawberry.field(resolver=_project_manager)
    )
    assignments: list[Annotated[Assignment, strawberry.lazy("schema.assignment")]] = (
        strawberry.field(resolver=_assignments)
    )
    time_entries: list[Annotated[TimeEntry, strawberry.lazy("schema.time_entry")]] = (
        strawberry.field(
            resolver=_time_entries,
            description="Time booked on this project, optionally within [from, to].",
        )
    )
    margin: list[MarginRow] | None = strawberry.field(
        resolver=project_margin,
        description="This project's revenue, labour cost and margin (analyst or admin).",
        extensions=requires(Permission.READ_COST),
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> Project:
        return build(cls, row, _FIELDS)

    @classmethod
    def from_rows(cls, rows: Sequence[Row[Any]]) -> list[Project]:
        return build_all(cls, rows, _FIELDS)


@strawberry.input(description="Only projects matching every given field.")
class ProjectFilter:
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text in name or code."
    )
    status: list[ProjectStatus] | None = None
    currency: str | None = None
    client: strawberry.ID | None = strawberry.field(
        default=None, description="Global ID of the client."
    )
    updated_since: datetime | None = None


@strawberry.enum
class ProjectOrderField(Enum):
    NAME = "name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input
class ProjectOrder:
    field: ProjectOrderField = ProjectOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC
