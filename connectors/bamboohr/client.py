"""BambooHR: API key over HTTP Basic, a custom report for full runs and
/employees/changed for incremental ones (the only change feed BambooHR offers)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx

from connectors.bamboohr import mapping
from connectors.base import Connector, Json, MappedRecord, Page, SourceClient, Stream, to_utc_iso
from golden_records.canonical import EntityType


class BambooHRClient(SourceClient):
    system = "bamboohr"

    def __init__(self, http: httpx.AsyncClient, base_url: str, api_key: str, **kwargs: Any) -> None:
        """`base_url` is https://api.bamboohr.com/api/gateway.php/{companyDomain}."""
        super().__init__(http, base_url, **kwargs)
        self.api_key = api_key

    def auth_headers(self) -> dict[str, str]:
        # The API key is the Basic user name; the password is ignored ("x" by convention).
        token = base64.b64encode(f"{self.api_key}:x".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def error_detail(self, response: httpx.Response) -> tuple[str, str | None]:
        # BambooHR explains errors in a header, not the body.
        header = response.headers.get("X-BambooHR-Error-Message")
        if header:
            return header, None
        return super().error_detail(response)

    async def employees_report(self, fields: tuple[str, ...] = mapping.FIELDS) -> list[Json]:
        """Every employee, current and former, with `fields`: one call."""
        response = await self.request(
            "POST",
            "/v1/reports/custom",
            params={"format": "JSON", "onlyCurrent": "false"},
            json={"title": "Crosswalk sync", "fields": list(fields)},
        )
        return list(response.json().get("employees", []))

    async def employee(self, employee_id: str, fields: tuple[str, ...] = mapping.FIELDS) -> Json:
        body: Json = await self.get_json(
            f"/v1/employees/{employee_id}/", {"fields": ",".join(fields)}
        )
        return body

    async def directory_ids(self) -> list[str]:
        """IDs of the employees in the directory (current employees only)."""
        body = await self.get_json("/v1/employees/directory")
        return [str(e["id"]) for e in body.get("employees", [])]

    async def changed(self, since: datetime) -> dict[str, Json]:
        """{employee id: {"id", "action": Inserted|Updated|Deleted, "lastChanged"}}."""
        body = await self.get_json("/v1/employees/changed/", {"since": to_utc_iso(since)})
        employees = body.get("employees") or {}
        return {str(k): v for k, v in employees.items()}


def map_row(record: Json) -> MappedRecord:
    """The stream's mapper: an employee, or the deletion marker `pages` emits."""
    if record.get("__deleted__"):
        return mapping.map_deleted(str(record["id"]), record.get("lastChanged"))
    return mapping.map_employee(record)


class BambooHRConnector(Connector):
    system = "bamboohr"
    streams = (
        Stream("employees", EntityType.RESOURCE, "/v1/employees", map_row, "id", "lastChanged"),
    )

    def __init__(
        self, client: BambooHRClient, *, page_size: int = 500, full_read: str = "report"
    ) -> None:
        """`full_read`: "report" (one custom report, former employees included) or
        "directory" (the directory, then one read per employee: for accounts whose API key
        may not run reports; the directory lists current employees only)."""
        if full_read not in ("report", "directory"):
            raise ValueError("full_read must be 'report' or 'directory'")
        self.client = client
        self.page_size = page_size
        self.full_read = full_read

    async def pages(self, stream: Stream, since: datetime | None) -> AsyncIterator[Page]:
        if since is None and self.full_read == "report":
            rows = await self.client.employees_report()
            for start in range(0, len(rows), self.page_size):
                yield Page(rows[start : start + self.page_size])
            return
        if since is None:
            changes: dict[str, Json] = {i: {} for i in await self.client.directory_ids()}
        else:
            changes = await self.client.changed(since)
        batch: list[Json] = []
        for employee_id, change in changes.items():
            if change.get("action") == "Deleted":
                # No record to read any more; hand the sync a marker it maps as deleted.
                batch.append(
                    {
                        "id": employee_id,
                        "lastChanged": change.get("lastChanged"),
                        "__deleted__": True,
                    }
                )
            else:
                batch.append(await self.client.employee(employee_id))
            if len(batch) >= self.page_size:
                yield Page(batch)
                batch = []
        if batch:
            yield Page(batch)
