"""Gusto writes: every update carries the object's `version`; a stale one answers 409,
raised as `StaleToken`.

A cost rate is a compensation on the employee's primary job, paid per hour: `hourly_cost` is
its `rate` (cents precision, as Gusto keeps it), `effective_from` its `effective_date`. Gusto
pays in US dollars only and keeps no currency field, so a cost rate's currency can only be USD
and a person's pay currency is not writable. Creating a compensation first looks for one with
the same effective date and rate on that job, so a retried create never adds a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.base import Json, PermanentError
from connectors.gusto import mapping
from connectors.gusto.client import GustoClient
from connectors.writeback import (
    CREATE,
    WriteRequest,
    WriteResult,
    check_request,
    decimal,
    iso,
    refuse,
    require_places,
    text,
    unsupported,
)
from golden_records.canonical import EntityType

COST_RATE_WRITABLE = frozenset({"resource", "hourly_cost", "effective_from", "currency"})
HOURLY = "Hour"
# The FLSA status of an hourly compensation: paid for every hour, so overtime-eligible.
HOURLY_FLSA_STATUS = "Nonexempt"


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


async def create_compensation(client: GustoClient, job_uuid: str, fields: dict[str, Any]) -> Json:
    """POST /v1/jobs/{job_uuid}/compensations (rate, payment_unit, flsa_status required)."""
    response = await client.request("POST", f"/v1/jobs/{job_uuid}/compensations", json=fields)
    result: Json = response.json()
    return result


class GustoWriter:
    """Writes cost rates to Gusto as hourly compensations."""

    system = "gusto"

    def __init__(self, client: GustoClient) -> None:
        self.client = client

    def writable(self, entity_type: EntityType) -> frozenset[str]:
        return COST_RATE_WRITABLE if entity_type == EntityType.COST_RATE else frozenset()

    async def read(self, entity_type: EntityType, external_id: str) -> WriteResult:
        if entity_type == EntityType.RESOURCE:
            payload = await self.client.get_json(
                f"/v1/employees/{external_id}", {"include": "all_compensations"}
            )
            return WriteResult(str(payload["uuid"]), mapping.map_employee(payload), payload)
        if entity_type != EntityType.COST_RATE:
            raise unsupported(self.system, entity_type)
        compensation = await self.client.get_json(f"/v1/compensations/{external_id}")
        job = await self.client.get_json(f"/v1/jobs/{compensation['job_uuid']}")
        return self._result(compensation, str(job["employee_uuid"]))

    def _result(self, compensation: Json, employee_uuid: str) -> WriteResult:
        # Shaped as the sync stream stores it: the compensation plus its employee's UUID.
        payload = {**compensation, "employee_uuid": employee_uuid}
        return WriteResult(str(payload["uuid"]), mapping.map_compensation(payload), payload)

    async def write(self, request: WriteRequest) -> WriteResult:
        if request.entity_type == EntityType.RESOURCE and "currency" in request.fields:
            raise refuse(
                self.system,
                "currency",
                "Gusto pays in US dollars only and has no currency field to write",
            )
        check_request(self.system, request, self.writable(request.entity_type))
        fields = request.fields
        body = self._compensation(fields)
        if request.action == CREATE:
            return await self._create(request, body)
        assert request.external_id is not None
        if "resource" in fields:
            raise refuse(
                self.system,
                "resource",
                "a compensation cannot move to another person; create a new cost rate",
            )
        current = None
        version = request.token
        if version is None:
            current = await self.client.get_json(f"/v1/compensations/{request.external_id}")
            version = str(current["version"])
        if body:
            # A new hourly_cost also makes the compensation hourly (a salary's rate is per
            # year), so that its rate is the hourly cost.
            current = await update_compensation(self.client, request.external_id, version, body)
        if current is None:
            return await self.read(EntityType.COST_RATE, request.external_id)
        job = await self.client.get_json(f"/v1/jobs/{current['job_uuid']}")
        return self._result(current, str(job["employee_uuid"]))

    async def _create(self, request: WriteRequest, body: Json) -> WriteResult:
        employee_uuid = text(request.fields.get("resource"))
        if employee_uuid is None or "rate" not in body:
            raise PermanentError(
                "a cost rate is created with its resource and hourly_cost", system=self.system
            )
        jobs = await self.client.get_json(
            f"/v1/employees/{employee_uuid}/jobs", {"include": "all_compensations"}
        )
        if not jobs:
            raise PermanentError(
                f"employee {employee_uuid} has no job to add a compensation to",
                system=self.system,
            )
        job = next((j for j in jobs if j.get("primary")), jobs[0])
        effective = body.get("effective_date")
        # A retried create finds the compensation its first attempt made.
        for existing in job.get("compensations") or []:
            if (
                existing.get("payment_unit") == HOURLY
                and Decimal(str(existing.get("rate"))) == Decimal(body["rate"])
                and (effective is None or existing.get("effective_date") == effective)
            ):
                return self._result(existing, employee_uuid)
        created = await create_compensation(
            self.client,
            str(job["uuid"]),
            {"payment_unit": HOURLY, "flsa_status": HOURLY_FLSA_STATUS, **body},
        )
        return self._result(created, employee_uuid)

    def _compensation(self, fields: Mapping[str, Any]) -> Json:
        body: Json = {}
        if "currency" in fields and text(fields["currency"]) != "USD":
            raise refuse(
                self.system,
                "currency",
                f"currency {text(fields['currency'])!r}: Gusto pays in US dollars only",
            )
        if "hourly_cost" in fields:
            rate = decimal(self.system, "hourly_cost", fields["hourly_cost"])
            if rate is None or rate < 0:
                raise refuse(
                    self.system, "hourly_cost", "hourly_cost must be a non-negative amount"
                )
            require_places(self.system, "hourly_cost", rate, 2)
            body["rate"] = format(rate.quantize(Decimal("0.01")), "f")
            body["payment_unit"] = HOURLY
        if "effective_from" in fields:
            effective = iso(fields["effective_from"])
            if effective is None:
                raise refuse(self.system, "effective_from", "effective_from cannot be removed")
            body["effective_date"] = effective
        return body
