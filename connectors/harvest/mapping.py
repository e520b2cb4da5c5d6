"""Harvest v2 objects (clients, users, projects, user assignments, time entries) as canonical."""

from __future__ import annotations

from typing import Any

from connectors.base import (
    Json,
    MappedRecord,
    Ref,
    clean,
    decimal_str,
    iso_date,
    parse_datetime,
)
from golden_records.canonical import EntityType

_APPROVAL = {"unsubmitted": "DRAFT", "submitted": "SUBMITTED", "approved": "APPROVED"}
_HOUR_BUDGETS = {"project", "task", "task_fees", "person"}


def _record(record: Json, attributes: dict[str, Any], refs: dict[str, Ref]) -> MappedRecord:
    return MappedRecord(
        external_id=str(record["id"]),
        attributes=attributes,
        refs=refs,
        source_updated_at=parse_datetime(record.get("updated_at")),
        # Harvest has no row version; writes check updated_at before patching.
        concurrency_token=record.get("updated_at"),
        # Harvest archives rather than deletes: an archived record is gone from the firm's view.
        deleted=record.get("is_active") is False,
    )


def _ref(
    record: Json, key: str, entity_type: EntityType, column: str | None = None
) -> dict[str, Ref]:
    """Harvest nests references as {"id", "name"}; `column` is the canonical column to fill."""
    nested = record.get(key) or {}
    if not nested.get("id"):
        return {}
    return {column or f"{key}_id": Ref(entity_type, str(nested["id"]))}


def map_client(record: Json) -> MappedRecord:
    attributes = {
        "name": clean(record.get("name")),
        "status": "ACTIVE" if record.get("is_active", True) else "INACTIVE",
        "currency": clean(record.get("currency")),
    }
    return _record(record, attributes, {})


def _billing_type(record: Json) -> str:
    if record.get("is_billable") is False:
        return "NON_BILLABLE"
    if record.get("is_fixed_fee"):
        return "FIXED_FEE"
    return "TIME_AND_MATERIALS"


def map_project(record: Json) -> MappedRecord:
    budget_by = record.get("budget_by")
    budget_hours = decimal_str(record.get("budget")) if budget_by in _HOUR_BUDGETS else None
    budget_amount = (
        decimal_str(record.get("budget")) if budget_by == "project_cost" else None
    ) or decimal_str(record.get("fee"))
    attributes = {
        "name": clean(record.get("name")),
        "code": clean(record.get("code")),
        "status": "ACTIVE" if record.get("is_active", True) else "COMPLETED",
        "billing_type": _billing_type(record),
        "start_date": iso_date(record.get("starts_on")),
        "end_date": iso_date(record.get("ends_on")),
        "budget_hours": budget_hours,
        "budget_amount": budget_amount,
        "bill_rate": decimal_str(record.get("hourly_rate"))
        if record.get("bill_by") == "Project"
        else None,
        "currency": clean((record.get("client") or {}).get("currency")),
    }
    return _record(record, attributes, _ref(record, "client", EntityType.CLIENT))


def map_user(record: Json) -> MappedRecord:
    active = record.get("is_active", True)
    attributes = {
        "given_name": clean(record.get("first_name")),
        "family_name": clean(record.get("last_name")),
        "email": (clean(record.get("email")) or "").lower() or None,
        "phone": clean(record.get("telephone")),
        "employment_type": "CONTRACTOR" if record.get("is_contractor") else "EMPLOYEE",
        "status": "ACTIVE" if active else "TERMINATED",
        "default_bill_rate": decimal_str(record.get("default_hourly_rate")),
        "skills": sorted(record.get("roles") or []),
    }
    return _record(record, attributes, {})


def map_user_assignment(record: Json) -> MappedRecord:
    attributes = {
        "role": "Project Manager" if record.get("is_project_manager") else None,
        "bill_rate": decimal_str(record.get("hourly_rate")),
    }
    refs = {
        **_ref(record, "project", EntityType.PROJECT),
        **_ref(record, "user", EntityType.RESOURCE, "resource_id"),
    }
    return _record(record, attributes, refs)


def map_time_entry(record: Json) -> MappedRecord:
    status = record.get("approval_status")
    approval = _APPROVAL.get(str(status)) if status else None
    if approval is None:
        # Older accounts expose only is_closed: a closed entry has been approved.
        approval = "APPROVED" if record.get("is_closed") else "DRAFT"
    attributes = {
        "spent_date": iso_date(record.get("spent_date")),
        "hours": decimal_str(record.get("hours")),
        "billable": bool(record.get("billable")),
        "approval_state": approval,
        "notes": clean(record.get("notes")),
    }
    refs = {
        **_ref(record, "project", EntityType.PROJECT),
        **_ref(record, "user", EntityType.RESOURCE, "resource_id"),
    }
    mapped = _record(record, attributes, refs)
    mapped.deleted = False  # time entries have no is_active flag
    return mapped
