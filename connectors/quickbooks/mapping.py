"""QuickBooks Online entities (Customer, sub-customer jobs, Invoice, Payment) as canonical."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.base import (
    Json,
    MappedRecord,
    Ref,
    clean,
    decimal_str,
    domain_of,
    iso_date,
    parse_datetime,
)
from golden_records.canonical import EntityType


def _record(record: Json, attributes: dict[str, Any], refs: dict[str, Ref]) -> MappedRecord:
    return MappedRecord(
        external_id=str(record["Id"]),
        attributes=attributes,
        refs=refs,
        source_updated_at=parse_datetime((record.get("MetaData") or {}).get("LastUpdatedTime")),
        concurrency_token=record.get("SyncToken"),
        # CDC reports deletions as {"status": "Deleted"}; customers are made inactive instead.
        deleted=record.get("status") == "Deleted" or record.get("Active") is False,
    )


def _ref_value(record: Json, key: str) -> str | None:
    value = (record.get(key) or {}).get("value")
    return str(value) if value else None


def payment_terms(name: str | None) -> str | None:
    """ "Net 30" -> "NET_30", "Due on receipt" -> "DUE_ON_RECEIPT"."""
    if not name:
        return None
    return "_".join(name.strip().upper().replace("-", " ").split())


def _address(addr: Json | None) -> dict[str, str | None] | None:
    if not addr or not (addr.get("Line1") or addr.get("City")):
        return None
    return {
        "line1": clean(addr.get("Line1")),
        "line2": clean(addr.get("Line2")),
        "city": clean(addr.get("City")),
        "region": clean(addr.get("CountrySubDivisionCode")),
        "postal_code": clean(addr.get("PostalCode")),
        "country": clean(addr.get("Country")),
    }


def is_job(record: Json) -> bool:
    return bool(record.get("Job")) or bool(record.get("IsProject"))


def map_customer(record: Json) -> MappedRecord:
    website = clean((record.get("WebAddr") or {}).get("URI"))
    attributes = {
        "name": clean(record.get("DisplayName")),
        "legal_name": clean(record.get("CompanyName")),
        "website": website,
        "domain": domain_of(website),
        "status": "ACTIVE" if record.get("Active", True) else "INACTIVE",
        "currency": _ref_value(record, "CurrencyRef"),
        "payment_terms": payment_terms((record.get("SalesTermRef") or {}).get("name")),
        "tax_id": clean(record.get("PrimaryTaxIdentifier"))
        or clean(record.get("BusinessNumber"))
        or clean(record.get("ResaleNum")),
        "billing_address": _address(record.get("BillAddr")),
    }
    refs = {}
    parent = _ref_value(record, "ParentRef")
    if parent:
        refs["parent_id"] = Ref(EntityType.CLIENT, parent)
    return _record(record, attributes, refs)


# QuickBooks has no budget field on a job: the contract amount is one line of its Notes.
CONTRACT_AMOUNT_LABEL = "Contract amount:"


def contract_amount(notes: str | None) -> str | None:
    for line in (notes or "").splitlines():
        if line.strip().startswith(CONTRACT_AMOUNT_LABEL):
            return decimal_str(line.strip()[len(CONTRACT_AMOUNT_LABEL) :].strip())
    return None


def with_contract_amount(notes: str | None, amount: Decimal | None) -> str | None:
    """`notes` with its contract-amount line set to `amount` (removed for None)."""
    lines = [
        line
        for line in (notes or "").splitlines()
        if not line.strip().startswith(CONTRACT_AMOUNT_LABEL)
    ]
    if amount is not None:
        lines.append(f"{CONTRACT_AMOUNT_LABEL} {format(amount, 'f')}")
    return "\n".join(lines) or None


def map_job(record: Json) -> MappedRecord:
    """A sub-customer flagged Job (or a QuickBooks Project) is a project of its parent."""
    attributes = {
        "name": clean(record.get("DisplayName")),
        "status": "ACTIVE" if record.get("Active", True) else "COMPLETED",
        "currency": _ref_value(record, "CurrencyRef"),
        "budget_amount": contract_amount(record.get("Notes")),
    }
    refs = {}
    parent = _ref_value(record, "ParentRef")
    if parent:
        refs["client_id"] = Ref(EntityType.CLIENT, parent)
    return _record(record, attributes, refs)


def _invoice_status(record: Json) -> str:
    total = Decimal(str(record.get("TotalAmt") or 0))
    balance = Decimal(str(record.get("Balance") or 0))
    if "voided" in str(record.get("PrivateNote") or "").lower():
        return "VOID"
    if total > 0 and balance == 0:
        return "PAID"
    if 0 < balance < total:
        return "PARTIALLY_PAID"
    if record.get("EmailStatus") == "EmailSent" or record.get("PrintStatus") == "PrintComplete":
        return "SENT"
    return "DRAFT"


def _customer_refs(record: Json) -> dict[str, Ref]:
    # CustomerRef names either a customer or one of its jobs; whichever the hub knows resolves.
    customer = _ref_value(record, "CustomerRef")
    if not customer:
        return {}
    return {
        "client_id": Ref(EntityType.CLIENT, customer),
        "project_id": Ref(EntityType.PROJECT, customer),
    }


def map_invoice(record: Json) -> MappedRecord:
    attributes = {
        "number": clean(record.get("DocNumber")) or str(record["Id"]),
        "issue_date": iso_date(record.get("TxnDate")),
        "due_date": iso_date(record.get("DueDate")),
        "currency": _ref_value(record, "CurrencyRef"),
        "total_amount": decimal_str(record.get("TotalAmt")),
        "balance": decimal_str(record.get("Balance")),
        "status": _invoice_status(record) if record.get("status") != "Deleted" else None,
    }
    return _record(record, attributes, _customer_refs(record))


def map_payment(record: Json) -> MappedRecord:
    attributes = {
        "paid_date": iso_date(record.get("TxnDate")),
        "currency": _ref_value(record, "CurrencyRef"),
        "amount": decimal_str(record.get("TotalAmt")),
        "reference": clean(record.get("PaymentRefNum")),
    }
    refs = {}
    customer = _ref_value(record, "CustomerRef")
    if customer:
        refs["client_id"] = Ref(EntityType.CLIENT, customer)
    for line in record.get("Line") or []:
        for linked in line.get("LinkedTxn") or []:
            if linked.get("TxnType") == "Invoice" and "invoice_id" not in refs:
                refs["invoice_id"] = Ref(EntityType.INVOICE, str(linked["TxnId"]))
    return _record(record, attributes, refs)
