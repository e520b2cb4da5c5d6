"""The Invoice and Payment types (from the ERP)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from golden_records.models import ClientRecord, InvoiceRecord, PaymentRecord, ProjectRecord
from resolvers import related
from resolvers.context import Context
from schema.enums import InvoiceStatus
from schema.node import GoldenRecord, build, builder

if TYPE_CHECKING:
    from schema.client import Client
    from schema.project import Project

_INVOICE_FIELDS = (
    "number",
    "issue_date",
    "due_date",
    "currency",
    "total_amount",
    "balance",
    "status",
    "client_id",
    "project_id",
)
_PAYMENT_FIELDS = ("paid_date", "currency", "amount", "reference", "client_id", "invoice_id")


def _client(root: Invoice | Payment, info: Info[Context, None]) -> Any:
    return related.load_one(info.context, ClientRecord, builder("Client"), root.client_id)


def _project(root: Invoice, info: Info[Context, None]) -> Any:
    return related.load_one(info.context, ProjectRecord, builder("Project"), root.project_id)


def _payments(root: Invoice, info: Info[Context, None], first: int | None = None) -> Any:
    return related.load_many(
        info.context,
        PaymentRecord,
        Payment.from_row,
        "invoice_id",
        root.pk,
        first,
        order_by=("paid_date",),
    )


def _invoice(root: Payment, info: Info[Context, None]) -> Any:
    return related.load_one(info.context, InvoiceRecord, Invoice.from_row, root.invoice_id)


@strawberry.type(description="An invoice issued to a client.")
class Invoice(GoldenRecord):
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    total_amount: Decimal
    balance: Decimal
    status: InvoiceStatus
    client_id: strawberry.Private[int | None]
    project_id: strawberry.Private[int | None]

    client: Annotated[Client, strawberry.lazy("schema.client")] | None = strawberry.field(
        resolver=_client
    )
    project: Annotated[Project, strawberry.lazy("schema.project")] | None = strawberry.field(
        resolver=_project
    )
    payments: list[Payment] = strawberry.field(resolver=_payments)

    @classmethod
    def from_row(cls, row: Row[Any]) -> Invoice:
        return build(cls, row, _INVOICE_FIELDS)


@strawberry.type(description="Money received from a client, against an invoice.")
class Payment(GoldenRecord):
    paid_date: date
    currency: str
    amount: Decimal
    reference: str | None
    client_id: strawberry.Private[int | None]
    invoice_id: strawberry.Private[int | None]

    client: Annotated[Client, strawberry.lazy("schema.client")] | None = strawberry.field(
        resolver=_client
    )
    invoice: Invoice | None = strawberry.field(resolver=_invoice)

    @classmethod
    def from_row(cls, row: Row[Any]) -> Payment:
        return build(cls, row, _PAYMENT_FIELDS)
