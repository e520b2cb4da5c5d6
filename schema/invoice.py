"""The Invoice and Payment types (from the ERP)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row

from schema.enums import InvoiceStatus
from schema.node import GoldenRecord, build, build_all, to_many, to_one

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


_client = to_one("Client", "client_id")


_project = to_one("Project", "project_id")


_payments = to_many("Payment", "invoice_id", order_by=("paid_date",))


_invoice = to_one("Invoice", "invoice_id")


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

    @classmethod
    def from_rows(cls, rows: Sequence[Row[Any]]) -> list[Invoice]:
        return build_all(cls, rows, _INVOICE_FIELDS)


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

    @classmethod
    def from_rows(cls, rows: Sequence[Row[Any]]) -> list[Payment]:
        return build_all(cls, rows, _PAYMENT_FIELDS)
