"""Salesforce sObjects (Account, Opportunity, Contact) as canonical attributes."""

from __future__ import annotations

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


def _meta(record: Json) -> dict[str, object]:
    return {
        "external_id": str(record["Id"]),
        "source_updated_at": parse_datetime(
            record.get("SystemModstamp") or record.get("LastModifiedDate")
        ),
        # Salesforce has no row version: updates send If-Unmodified-Since with this stamp.
        "concurrency_token": record.get("LastModifiedDate"),
        "deleted": bool(record.get("IsDeleted")),
    }


def _account_status(account_type: str | None) -> str | None:
    if not account_type:
        return None
    if account_type.lower().startswith("prospect"):
        return "PROSPECT"
    if account_type.lower().startswith("customer"):
        return "ACTIVE"
    if account_type.lower() in ("former customer", "inactive"):
        return "INACTIVE"
    return None


def _billing_address(record: Json) -> dict[str, str | None] | None:
    street = clean(record.get("BillingStreet"))
    city = clean(record.get("BillingCity"))
    if not (street or city):
        return None
    lines = (street or "").split("\n", 1)
    return {
        "line1": lines[0] or None,
        "line2": lines[1] if len(lines) > 1 else None,
        "city": city,
        "region": clean(record.get("BillingState")),
        "postal_code": clean(record.get("BillingPostalCode")),
        "country": clean(record.get("BillingCountry")),
    }


def map_account(record: Json) -> MappedRecord:
    website = clean(record.get("Website"))
    attributes = {
        "name": clean(record.get("Name")),
        "website": website,
        "domain": domain_of(website),
        "industry": clean(record.get("Industry")),
        "status": _account_status(record.get("Type")),
        "billing_address": _billing_address(record),
    }
    if record.get("CurrencyIsoCode"):  # only in multi-currency orgs
        attributes["currency"] = record["CurrencyIsoCode"]
    refs = {}
    if record.get("ParentId"):
        refs["parent_id"] = Ref(EntityType.CLIENT, str(record["ParentId"]))
    if record.get("OwnerId"):
        refs["account_owner_id"] = Ref(EntityType.RESOURCE, str(record["OwnerId"]))
    return MappedRecord(attributes=attributes, refs=refs, **_meta(record))  # type: ignore[arg-type]


def _project_status(record: Json) -> str:
    stage = (record.get("StageName") or "").lower()
    if record.get("IsClosed") or stage.startswith("closed"):
        won = record.get("IsWon")
        if won is None:
            won = stage == "closed won"
        return "ACTIVE" if won else "CANCELLED"
    return "PROPOSED"


def map_opportunity(record: Json) -> MappedRecord:
    attributes = {
        "name": clean(record.get("Name")),
        "status": _project_status(record),
        "budget_amount": decimal_str(record.get("Amount")),
        "start_date": iso_date(record.get("CloseDate")),
    }
    if record.get("CurrencyIsoCode"):
        attributes["currency"] = record["CurrencyIsoCode"]
    refs = {}
    if record.get("AccountId"):
        refs["client_id"] = Ref(EntityType.CLIENT, str(record["AccountId"]))
    return MappedRecord(attributes=attributes, refs=refs, **_meta(record))  # type: ignore[arg-type]


def map_contact(record: Json) -> MappedRecord:
    attributes = {
        "given_name": clean(record.get("FirstName")),
        "family_name": clean(record.get("LastName")),
        "email": (clean(record.get("Email")) or "").lower() or None,
        "phone": clean(record.get("Phone")),
        "title": clean(record.get("Title")),
        "department": clean(record.get("Department")),
    }
    refs = {}
    if record.get("ReportsToId"):
        refs["manager_id"] = Ref(EntityType.RESOURCE, str(record["ReportsToId"]))
    return MappedRecord(attributes=attributes, refs=refs, **_meta(record))  # type: ignore[arg-type]


def map_user(record: Json) -> MappedRecord:
    """A Salesforce User is one of the firm's own people (account and opportunity owners)."""
    attributes = {
        "given_name": clean(record.get("FirstName")),
        "family_name": clean(record.get("LastName")),
        "email": (clean(record.get("Email")) or "").lower() or None,
        "title": clean(record.get("Title")),
        "department": clean(record.get("Department")),
        "status": "TERMINATED" if record.get("IsActive") is False else "ACTIVE",
    }
    return MappedRecord(attributes=attributes, **_meta(record))  # type: ignore[arg-type]
