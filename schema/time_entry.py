"""The TimeEntry type: hours a resource booked on a project on one day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row

from schema.enums import ApprovalState
from schema.node import GoldenRecord, build, build_all, to_one

if TYPE_CHECKING:
    from schema.project import Project
    from schema.resource import Resource

_FIELDS = (
    "spent_date",
    "hours",
    "billable",
    "approval_state",
    "notes",
    "project_id",
    "resource_id",
)


_project = to_one("Project", "project_id")


_resource = to_one("Resource", "resource_id")


@strawberry.type(description="Hours a resource booked on a project on one day.")
class TimeEntry(GoldenRecord):
    spent_date: date
    hours: Decimal
    billable: bool
    approval_state: ApprovalState
    notes: str | None
    project_id: strawberry.Private[int]
    resource_id: strawberry.Private[int]

    project: Annotated[Project, strawberry.lazy("schema.project")] | None = strawberry.field(
        resolver=_project
    )
    resource: Annotated[Resource, strawberry.lazy("schema.resource")] | None = strawberry.field(
        resolver=_resource
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> TimeEntry:
        return build(cls, row, _FIELDS)

    @classmethod
    def from_rows(cls, rows: Sequence[Row[Any]]) -> list[TimeEntry]:
        return build_all(cls, rows, _FIELDS)
