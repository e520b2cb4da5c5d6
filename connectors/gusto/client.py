"""Gusto: bearer token and API-version header, page/per pagination. Gusto has no change feed
for employees, so every run reads them all and the sync keeps only what differs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx

from connectors.base import Connector, Json, Page, SourceClient, Stream
from connectors.gusto import mapping
from golden_records.canonical import EntityType

API_VERSION = "2024-04-01"


class GustoClient(SourceClient):
    system = "gusto"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        access_token: str,
        company_uuid: str,
        *,
        per_page: int = 100,
        **kwargs: Any,
    ) -> None:
        super().__init__(http, base_url, **kwargs)
        self.access_token = access_token
        self.company_uuid = company_uuid
        self.per_page = per_page

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.access_token}",
            "X-Gusto-API-Version": API_VERSION,
        }

    def error_detail(self, response: httpx.Response) -> tuple[str, str | None]:
        # {"errors": [{"error_key": "version", "category": "invalid_operation", "message": ...}]}
        try:
            body = response.json()
        except ValueError:
            return super().error_detail(response)
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            first = errors[0]
            return str(first.get("message")), first.get("category") or first.get("error_key")
        if isinstance(body, dict) and body.get("message"):
            return str(body["message"]), None
        return super().error_detail(response)

    def employees(self) -> AsyncIterator[Page]:
        return self.paginate_page_number(
            f"/v1/companies/{self.company_uuid}/employees",
            {"include": "all_compensations"},
            page_size=self.per_page,
        )


def compensations_of(employee: Json) -> list[Json]:
    rows = []
    for job in employee.get("jobs") or []:
        for compensation in job.get("compensations") or []:
            rows.append({**compensation, "employee_uuid": employee.get("uuid")})
    return rows


class GustoConnector(Connector):
    system = "gusto"
    streams = (
        Stream(
            "employees",
            EntityType.RESOURCE,
            "/v1/companies/{company}/employees",
            mapping.map_employee,
            "uuid",
        ),
        Stream(
            "compensations",
            EntityType.COST_RATE,
            "/v1/companies/{company}/employees",
            mapping.map_compensation,
            "uuid",
        ),
    )

    def __init__(self, client: GustoClient) -> None:
        self.client = client

    async def pages(self, stream: Stream, since: datetime | None) -> AsyncIterator[Page]:
        async for page in self.client.employees():
            if stream.name == "employees":
                yield page
            else:
                yield Page([c for employee in page.records for c in compensations_of(employee)])
