"""The Assignment type: a resource staffed on a project."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row

from schema.node import GoldenRecord, build, build_all, to_one

if TYPE_CHECKING:
    from schema.project import Project
    from schema.resource import Resource

_FIELDS = ("role", "allocation", "start_date", "end_date", "bill_rate", "project_id", "resource_id")


_project = to_one("Project", "project_id")


_resource = to_one("Resource", "resource_id")


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

    @classmethod
    def from_rows(cls, rows: Sequence[Row[Any]]) -> list[Assignment]:
        return build_all(cls, rows, _FIELDS)
