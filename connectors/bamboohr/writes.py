"""BambooHR writes: add an employee, update an employee's fields.

BambooHR has no row version: an update re-reads the employee and refuses (`StaleToken`) when
lastChanged is not the one we hold, then posts the change. Its field names: national ID is
`ssn`, office is `location`, region is `division`, manager is `supervisorEId`, the home address
is address1/address2/city/state/zipcode/country.

Status and employment type share BambooHR's employment status (`employmentHistoryStatus`):
"Full-Time" or "Contractor" for a working or terminated person (terminated is `status:
Inactive` plus a termination date), "Leave of Absence" for one on leave. So a contractor on
leave cannot be stored, and is refused rather than half-written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.bamboohr import mapping
from connectors.bamboohr.client import BambooHRClient
from connectors.base import Json, StaleToken, parse_datetime
from connectors.writeback import (
    WriteRequest,
    WriteResult,
    address,
    check_request,
    iso,
    refuse,
    text,
    unsupported,
)
from golden_records.canonical import EntityType

# canonical resource attribute -> BambooHR field, for the plain fields BambooHR owns
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
    "office": "location",
    "region": "division",
    "national_id": "ssn",
    "manager": "supervisorEId",
}
_DATES = {"hire_date", "termination_date", "date_of_birth"}
_NO_DATE = "0000-00-00"  # BambooHR's empty date
_ADDRESS = {
    "line1": "address1",
    "line2": "address2",
    "city": "city",
    "region": "state",
    "postal_code": "zipcode",
    "country": "country",
}
RESOURCE_WRITABLE = frozenset({*EMPLOYEE_FIELDS, "home_address", "status", "employment_type"})


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


class BambooHRWriter:
    """Updates people's identity fields in BambooHR (people are hired there, not by us)."""

    system = "bamboohr"

    def __init__(self, client: BambooHRClient) -> None:
        self.client = client

    def writable(self, entity_type: EntityType) -> frozenset[str]:
        return RESOURCE_WRITABLE if entity_type == EntityType.RESOURCE else frozenset()

    async def read(self, entity_type: EntityType, external_id: str) -> WriteResult:
        if entity_type != EntityType.RESOURCE:
            raise unsupported(self.system, entity_type)
        payload = await self.client.employee(external_id)
        return WriteResult(str(payload["id"]), mapping.map_employee(payload), payload)

    async def write(self, request: WriteRequest) -> WriteResult:
        check_request(self.system, request, self.writable(request.entity_type), creates=False)
        assert request.external_id is not None
        current = await self.client.employee(request.external_id)
        if request.token is not None and parse_datetime(current.get("lastChanged")) != (
            parse_datetime(request.token)
        ):
            raise StaleToken(
                f"employee {request.external_id} changed at {current.get('lastChanged')}, "
                f"after the version we hold ({request.token})",
                system=self.system,
            )
        body = self._body(request.fields, current)
        await self.client.request("POST", f"/v1/employees/{request.external_id}/", json=body)
        return await self.read(EntityType.RESOURCE, request.external_id)

    def _body(self, fields: Mapping[str, Any], current: Json) -> Json:
        body: Json = {}
        for attribute, name in EMPLOYEE_FIELDS.items():
            if attribute not in fields:
                continue
            value = fields[attribute]
            if attribute in _DATES:
                body[name] = iso(value) or _NO_DATE
            elif attribute == "manager":
                body[name] = text(value) or "0"  # BambooHR's "no supervisor"
            else:
                body[name] = text(value)
        if "phone" in fields and body["workPhone"] is None:
            # The mapping falls back to the mobile number: clear it too, or it would show.
            body["mobilePhone"] = None
        if "home_address" in fields:
            parts = address(self.system, "home_address", fields["home_address"])
            body.update({name: parts[part] for part, name in _ADDRESS.items()})
        if "status" in fields or "employment_type" in fields:
            body.update(self._employment(fields, current, body))
        return body

    def _employment(self, fields: Mapping[str, Any], current: Json, body: Json) -> Json:
        held = mapping.map_employee(current).attributes
        status = text(fields.get("status", held["status"]))
        kind = text(fields.get("employment_type", held["employment_type"]))
        if status not in ("ACTIVE", "ON_LEAVE", "TERMINATED"):
            raise refuse(self.system, "status", f"status {status!r} is unknown")
        if kind not in ("EMPLOYEE", "CONTRACTOR"):
            raise refuse(self.system, "employment_type", f"employment_type {kind!r} is unknown")
        if status == "ON_LEAVE" and kind == "CONTRACTOR":
            raise refuse(
                self.system,
                "status",
                "BambooHR keeps one employment status: a contractor cannot also be on leave",
            )
        terminated_on = body.get("terminationDate", current.get("terminationDate"))
        has_termination = bool(terminated_on) and not str(terminated_on).startswith("0000")
        if status != "TERMINATED" and has_termination:
            raise refuse(
                self.system,
                "termination_date",
                f"status {status}: BambooHR reads anyone with a termination date as "
                "terminated; clear termination_date as well",
            )
        history = "Leave of Absence" if status == "ON_LEAVE" else None
        history = history or ("Contractor" if kind == "CONTRACTOR" else "Full-Time")
        return {
            "status": "Inactive" if status == "TERMINATED" else "Active",
            "employmentHistoryStatus": history,
        }
