"""The Assignment type: a resource staffed on a project."""

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
from schema.node import GoldenRecord, build, builder

if TYPE_CHECKING:
    from schema.project import Project
    from schema.resource import Resource

_FIELDS = ("role", "allocation", "start_date", "end_date", "bill_rate", "project_id", "resource_id")


def _project(root: Assignment, info: Info[Context, None]) -> Any:
    return related.load_one(info.context, ProjectRecord, builder("Project"), root.project_id)


def _resource(root: Assignment, info: Info[Context, None]) -> Any:
    return related.load_one(info.context, ResourceRecord, builder("Resource"), root.resource_id)


@strawberry.type(description="A resource staffed on a project.")
class Assignment(GoldenRecord):
    role: str | None
    allocation: Decimal | None
    start_date: date | None
    end_date: date | None
    bill_rate: Decimal | None = strawberry.field(description="Overrides the default bill rate.")
    project_id: strawberry.Private[int]
    resource_id: strawberry.Private[int]

    project: Annotated[Project, strawberry.lazy("schema.project")] | None = strawberry.field(
        resolver=_project
    )
    resource: Annotated[Resource, strawberry.lazy("schema.resource")] | None = strawberry.field(
        resolver=_resource
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> Assignment:
        return build(cls, row, _FIELDS)
