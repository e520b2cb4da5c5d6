"""The Resource type (an employee or contractor), its filter and ordering inputs.

Sensitive HRIS attributes (date of birth, national ID, home address) need READ_SENSITIVE and
cost rates READ_COST; they are nullable so that a refusal (a FORBIDDEN error on the field) does
not null out the rest of the resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON

from hub.auth.roles import Permission
from schema.common import OrderDirection
from schema.enums import EmploymentType, ResourceStatus
from schema.margin import MarginRow, resource_margin
from schema.node import GoldenRecord, build, build_all, to_many, to_one
from schema.permissions import requires

if TYPE_CHECKING:
    from schema.assignment import Assignment
    from schema.cost_rate import CostRate

_FIELDS = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "title",
    "department",
    "employment_type",
    "status",
    "hire_date",
    "termination_date",
    "office",
    "region",
    "default_bill_rate",
    "currency",
    "skills",
    "manager_id",
    "date_of_birth",
    "national_id",
    "home_address",
)


_manager = to_one("Resource", "manager_id")


_assignments = to_many("Assignment", "resource_id", order_by=("start_date",))


_cost_rates = to_many("CostRate", "resource_id", order_by=("effective_from",))


@strawberry.type(description="A person who works for the firm, matched across HRIS, PSA, payroll.")
class Resource(GoldenRecord):
    given_name: str
    family_name: str
    email: str | None
    phone: str | None
    title: str | None
    department: str | None
    employment_type: EmploymentType
    status: ResourceStatus
    hire_date: date | None
    termination_date: date | None
    office: str | None
    region: str | None
    default_bill_rate: Decimal | None
    currency: str
    skills: list[str]
    manager_id: strawberry.Private[int | None]

    manager: Resource | None = strawberry.field(resolver=_manager)
    assignments: list[Annotated[Assignment, strawberry.lazy("schema.assignment")]] = (
        strawberry.field(resolver=_assignments)
    )
    date_of_birth: date | None = strawberry.field(
        description="Sensitive (HRIS): admin only.", extensions=requires(Permission.READ_SENSITIVE)
    )
    national_id: str | None = strawberry.field(
        description="Sensitive (HRIS/payroll): admin only.",
        extensions=requires(Permission.READ_SENSITIVE),
    )
    home_address: JSON | None = strawberry.field(
        description="Sensitive (HRIS): admin only.", extensions=requires(Permission.READ_SENSITIVE)
    )
    cost_rates: list[Annotated[CostRate, strawberry.lazy("schema.cost_rate")]] | None = (
        strawberry.field(
            resolver=_cost_rates,
            description="Hourly cost, effective-dated (from payroll): analyst or admin.",
            extensions=requires(Permission.READ_COST),
        )
    )
    margin: list[MarginRow] | None = strawberry.field(
        resolver=resource_margin,
        description="This person's hours, labour cost and revenue (analyst or admin).",
        extensions=requires(Permission.READ_COST),
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> Resource:
        return build(cls, row, _FIELDS)

    @classmethod
    def from_rows(cls, rows: Sequence[Row[Any]]) -> list[Resource]:
        return build_all(cls, rows, _FIELDS)


@strawberry.input(description="Only resources matching every given field.")
class ResourceFilter:
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text in given name, family name or e-mail."
    )
    status: list[ResourceStatus] | None = None
    department: str | None = strawberry.field(
        default=None, description="Exact department name, case-insensitive."
    )
    updated_since: datetime | None = None


@strawberry.enum
class ResourceOrderField(Enum):
    NAME = "family_name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input
class ResourceOrder:
    field: ResourceOrderField = ResourceOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC
