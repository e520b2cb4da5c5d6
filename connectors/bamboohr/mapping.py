"""BambooHR employees (custom report rows, single-employee reads, changed-since) as canonical."""

from __future__ import annotations

from connectors.base import Json, MappedRecord, Ref, clean, iso_date, parse_datetime
from golden_records.canonical import EntityType

# The fields Crosswalk reads from BambooHR (names as in BambooHR's field list).
FIELDS = (
    "id",
    "firstName",
    "lastName",
    "preferredName",
    "workEmail",
    "workPhone",
    "mobilePhone",
    "jobTitle",
    "department",
    "division",
    "location",
    "status",
    "employmentHistoryStatus",
    "hireDate",
    "terminationDate",
    "dateOfBirth",
    "ssn",
    "address1",
    "address2",
    "city",
    "state",
    "zipcode",
    "country",
    "supervisorEId",
    "lastChanged",
)


def _date(value: object) -> str | None:
    # BambooHR sends "0000-00-00" for an empty date.
    if not value or str(value).startswith("0000"):
        return None
    return iso_date(value)


def _status(record: Json) -> str:
    if (record.get("status") or "").lower() == "inactive" or _date(record.get("terminationDate")):
        return "TERMINATED"
    if "leave" in (record.get("employmentHistoryStatus") or "").lower():
        return "ON_LEAVE"
    return "ACTIVE"


def _home_address(record: Json) -> dict[str, str | None] | None:
    if not (clean(record.get("address1")) or clean(record.get("city"))):
        return None
    return {
        "line1": clean(record.get("address1")),
        "line2": clean(record.get("address2")),
        "city": clean(record.get("city")),
        "region": clean(record.get("state")),
        "postal_code": clean(record.get("zipcode")),
        "country": clean(record.get("country")),
    }


def map_employee(record: Json) -> MappedRecord:
    employment = (record.get("employmentHistoryStatus") or "").lower()
    attributes = {
        "given_name": clean(record.get("firstName")),
        "family_name": clean(record.get("lastName")),
        "email": (clean(record.get("workEmail")) or "").lower() or None,
        "phone": clean(record.get("workPhone")) or clean(record.get("mobilePhone")),
        "title": clean(record.get("jobTitle")),
        "department": clean(record.get("department")),
        "employment_type": "CONTRACTOR" if "contract" in employment else "EMPLOYEE",
        "status": _status(record),
        "hire_date": _date(record.get("hireDate")),
        "termination_date": _date(record.get("terminationDate")),
        "office": clean(record.get("location")),
        "region": clean(record.get("division")),
        "date_of_birth": _date(record.get("dateOfBirth")),
        "national_id": clean(record.get("ssn")),
        "home_address": _home_address(record),
    }
    refs = {}
    supervisor = clean(str(record.get("supervisorEId") or ""))
    if supervisor and supervisor != "0":
        refs["manager_id"] = Ref(EntityType.RESOURCE, supervisor)
    return MappedRecord(
        external_id=str(record["id"]),
        attributes=attributes,
        refs=refs,
        source_updated_at=parse_datetime(record.get("lastChanged")),
        # BambooHR has no row version: lastChanged is the best guard writes have.
        concurrency_token=record.get("lastChanged"),
    )


def map_deleted(employee_id: str, last_changed: str | None) -> MappedRecord:
    """An entry of /employees/changed with action "Deleted"."""
    return MappedRecord(
        external_id=str(employee_id),
        attributes={},
        source_updated_at=parse_datetime(last_changed),
        deleted=True,
    )
