"""The CostRate type: a resource's effective-dated hourly cost, from payroll."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from golden_records.models import ResourceRecord
from resolvers import related
from resolvers.context import Context
from schema.node import GoldenRecord, build, builder

if TYPE_CHECKING:
    from schema.resource import Resource

_FIELDS = ("effective_from", "effective_to", "hourly_cost", "currency", "resource_id")


def _resource(root: CostRate, info: Info[Context, None]) -> Any:
    return related.load_one(info.context, ResourceRecord, builder("Resource"), root.resource_id)


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
