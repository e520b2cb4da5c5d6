"""The TimeEntry type: hours a resource booked on a project on one day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from golden_records.models import ProjectRecord, ResourceRecord
from resolvers import related
from resolvers.context import Context
from schema.enums import ApprovalState
from schema.node import GoldenRecord, build, builder

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


def _project(root: TimeEntry, info: Info[Context, None]) -> Any:
    return related.load_one(info.context, ProjectRecord, builder("Project"), root.project_id)


def _resource(root: TimeEntry, info: Info[Context, None]) -> Any:
    return related.load_one(info.context, ResourceRecord, builder("Resource"), root.resource_id)


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
