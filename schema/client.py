"""The Client type (a firm's customer), its filter and ordering inputs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON

from hub.auth.roles import Permission
from schema.common import OrderDirection
from schema.enums import ClientStatus
from schema.margin import MarginRow, client_margin
from schema.node import GoldenRecord, build, build_all, to_many, to_one
from schema.permissions import requires

if TYPE_CHECKING:
    from schema.invoice import Invoice
    from schema.project import Project
    from schema.resource import Resource

_FIELDS = (
    "name",
    "legal_name",
    "website",
    "domain",
    "industry",
    "status",
    "currency",
    "payment_terms",
    "tax_id",
    "billing_address",
    "parent_id",
    "account_owner_id",
)


_parent = to_one("Client", "parent_id")


_children = to_many("Client", "parent_id", order_by=("name",))


_projects = to_many("Project", "client_id", order_by=("name",))


_invoices = to_many("Invoice", "client_id", order_by=("issue_date",))


_account_owner = to_one("Resource", "account_owner_id")


@strawberry.type(description="A customer of the firm, matched across CRM, PSA and ERP.")
class Client(GoldenRecord):
    name: str
    legal_name: str | None
    website: str | None
    domain: str | None
    industry: str | None
    status: ClientStatus
    currency: str = strawberry.field(description="Billing currency, ISO 4217.")
    payment_terms: str | None
    tax_id: str | None
    billing_address: JSON | None
    parent_id: strawberry.Private[int | None]
    account_owner_id: strawberry.Private[int | None]

    parent: Client | None = strawberry.field(
        resolver=_parent, description="The parent in the account hierarchy."
    )
    children: list[Client] = strawberry.field(
        resolver=_children, description="Clients whose parent this is."
    )
    projects: list[Annotated[Project, strawberry.lazy("schema.project")]] = strawberry.field(
        resolver=_projects
    )
    invoices: list[Annotated[Invoice, strawberry.lazy("schema.invoice")]] = strawberry.field(
        resolver=_invoices
    )
    account_owner: Annotated[Resource, strawberry.lazy("schema.resource")] | None = (
        strawberry.field(
            resolver=_account_owner, description="The firm's person who owns the relationship."
        )
    )
    margin: list[MarginRow] | None = strawberry.field(
        resolver=client_margin,
        description="This client's revenue, labour cost and margin (analyst or admin).",
        extensions=requires(Permission.READ_COST),
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> Client:
        return build(cls, row, _FIELDS)

    @classmethod
    def from_rows(cls, rows: Sequence[Row[Any]]) -> list[Client]:
        return build_all(cls, rows, _FIELDS)


@strawberry.input(description="Only clients matching every given field.")
class ClientFilter:
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text in name, legal name or domain."
    )
    status: list[ClientStatus] | None = None
    currency: str | None = None
    updated_since: datetime | None = None


@strawberry.enum
class ClientOrderField(Enum):
    NAME = "name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@strawberry.input
class ClientOrder:
    field: ClientOrderField = ClientOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC
