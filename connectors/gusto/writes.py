"""Gusto writes: every update carries the object's `version`; a stale one answers 409,
raised as `StaleToken`."""

from __future__ import annotations

from typing import Any

from connectors.base import Json
from connectors.gusto.client import GustoClient


async def update_employee(
    client: GustoClient, employee_uuid: str, version: str, fields: dict[str, Any]
) -> Json:
    response = await client.request(
        "PUT", f"/v1/employees/{employee_uuid}", json={"version": version, **fields}
    )
    result: Json = response.json()
    return result


async def update_compensation(
    client: GustoClient, compensation_uuid: str, version: str, fields: dict[str, Any]
) -> Json:
    """fields: rate, payment_unit ("Hour", "Year", ...), flsa_status, effective_date."""
    response = await client.request(
        "PUT", f"/v1/compensations/{compensation_uuid}", json={"version": version, **fields}
    )
    result: Json = response.json()
    return result


async def create_employee(client: GustoClient, fields: dict[str, Any]) -> Json:
    """POST /v1/companies/{company_uuid}/employees (first_name, last_name required)."""
    response = await client.request(
        "POST", f"/v1/companies/{client.company_uuid}/employees", json=fields
    )
    result: Json = response.json()
    return result
