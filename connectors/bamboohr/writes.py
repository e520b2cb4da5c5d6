"""BambooHR writes: add an employee, update an employee's fields."""

from __future__ import annotations

from typing import Any

from connectors.bamboohr.client import BambooHRClient
from connectors.base import StaleToken, parse_datetime

# canonical resource attribute -> BambooHR field, for the fields BambooHR owns
EMPLOYEE_FIELDS = {
    "given_name": "firstName",
    "family_name": "lastName",
    "email": "workEmail",
    "title": "jobTitle",
    "department": "department",
    "hire_date": "hireDate",
    "termination_date": "terminationDate",
    "date_of_birth": "dateOfBirth",
    "phone": "workPhone",
}


def employee_fields(attributes: dict[str, Any]) -> dict[str, Any]:
    return {EMPLOYEE_FIELDS[k]: v for k, v in attributes.items() if k in EMPLOYEE_FIELDS}


async def create_employee(client: BambooHRClient, fields: dict[str, Any]) -> str:
    """POST /v1/employees/ (firstName and lastName required); returns the new employee ID,
    which BambooHR gives only in the Location header."""
    response = await client.request("POST", "/v1/employees/", json=fields)
    location = response.headers.get("Location", "")
    return location.rstrip("/").rsplit("/", 1)[-1]


async def update_employee(
    client: BambooHRClient,
    employee_id: str,
    fields: dict[str, Any],
    *,
    last_changed: str | None = None,
) -> None:
    """POST /v1/employees/{id}/. BambooHR has no version field, so with `last_changed` (the
    token we hold) we re-read lastChanged first and refuse to overwrite a newer change."""
    if last_changed is not None:
        current = await client.employee(employee_id, ("lastChanged",))
        if parse_datetime(current.get("lastChanged")) != parse_datetime(last_changed):
            raise StaleToken(
                f"employee {employee_id} changed since {last_changed}", system=client.system
            )
    await client.request("POST", f"/v1/employees/{employee_id}/", json=fields)
