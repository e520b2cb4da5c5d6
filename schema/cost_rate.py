"""The CostRate type: a resource's effective-dated hourly cost, from payroll."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row

from schema.node import GoldenRecord, build, build_all, to_one

if TYPE_CHECKING:
    from schema.resource import Resource

_FIELDS = ("effective_from", "effective_to", "hourly_cost", "currency", "resource_id")


_resource = to_one("Resource", "resource_id")


@strawberry.type(description="What an hour of a resource costs the firm, from a date.")
class CostRate(GoldenRecord):
    effective_from: date
    effective_to: date | None
    hourly_cost: Decimal
    currency: str
    resource_id: strawberry.Private[int]

    resource: Annotated[Resource, strawberry.lazy("schema.resource")] | None = strawberry.field(
        resolver=_resource
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> CostRate:
        return build(cls, row, _FIELDS)

    @classmethod
    def from_rows(cls, rows: Sequence[Row[Any]]) -> list[CostRate]:
        return build_all(cls, rows, _FIELDS)
