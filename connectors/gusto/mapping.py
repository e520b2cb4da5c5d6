"""Gusto employees and their job compensations as canonical resources and cost rates."""

from __future__ import annotations

from decimal import Decimal

from connectors.base import Json, MappedRecord, Ref, clean, decimal_str, iso_date
from golden_records.canonical import EntityType

# Hours a payment unit stands for, to turn any salary into an hourly cost (2080 h/year).
_HOURS_PER_UNIT = {
    "hour": Decimal(1),
    "week": Decimal(40),
    "month": Decimal(2080) / 12,
    "year": Decimal(2080),
}


def _primary_job(record: Json) -> Json:
    jobs = record.get("jobs") or []
    return next((j for j in jobs if j.get("primary")), jobs[0] if jobs else {})


def map_employee(record: Json) -> MappedRecord:
    job = _primary_job(record)
    terminations = record.get("terminations") or []
    terminated = bool(record.get("terminated"))
    attributes = {
        "given_name": clean(record.get("preferred_first_name")) or clean(record.get("first_name")),
        "family_name": clean(record.get("last_name")),
        # Payroll often holds the personal address only; prefer the work one when present.
        "email": (clean(record.get("work_email")) or clean(record.get("email")) or "").lower()
        or None,
        "phone": clean(record.get("phone")),
        "title": clean(job.get("title")),
        "department": clean(record.get("department")),
        "status": "TERMINATED" if terminated else "ACTIVE",
        "hire_date": iso_date(job.get("hire_date")),
        "termination_date": iso_date(terminations[-1].get("effective_date"))
        if terminations
        else None,
        "date_of_birth": iso_date(record.get("date_of_birth")),
        "currency": "USD",  # Gusto pays in US dollars only
    }
    refs = {}
    if record.get("manager_uuid"):
        refs["manager_id"] = Ref(EntityType.RESOURCE, str(record["manager_uuid"]))
    return MappedRecord(
        external_id=str(record["uuid"]),
        attributes=attributes,
        refs=refs,
        # Gusto exposes no modification time; the version changes on every update instead.
        concurrency_token=record.get("version"),
    )


def hourly_cost(rate: object, payment_unit: str | None) -> str | None:
    amount = decimal_str(rate)
    hours = _HOURS_PER_UNIT.get((payment_unit or "").lower())
    if amount is None or hours is None:
        return None
    return format((Decimal(amount) / hours).quantize(Decimal("0.0001")).normalize(), "f")


def map_compensation(record: Json) -> MappedRecord:
    """A compensation as Gusto returns it, plus `employee_uuid` (from its job) added by the
    connector, since compensations name only their job."""
    attributes = {
        "effective_from": iso_date(record.get("effective_date")),
        "effective_to": None,
        "hourly_cost": hourly_cost(record.get("rate"), record.get("payment_unit")),
        "currency": "USD",
    }
    refs = {}
    if record.get("employee_uuid"):
        refs["resource_id"] = Ref(EntityType.RESOURCE, str(record["employee_uuid"]))
    return MappedRecord(
        external_id=str(record["uuid"]),
        attributes=attributes,
        refs=refs,
        concurrency_token=record.get("version"),
    )
