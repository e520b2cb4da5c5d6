"""Harvest v2: bearer token + Harvest-Account-Id, page/links pagination, updated_since cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx

from connectors.base import Connector, Page, SourceClient, Stream, to_utc_iso
from connectors.harvest import mapping
from golden_records.canonical import EntityType


class HarvestClient(SourceClient):
    system = "harvest"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        access_token: str,
        account_id: str,
        *,
        user_agent: str = "Crosswalk (support@crosswalk.example)",
        per_page: int = 2000,
        **kwargs: Any,
    ) -> None:
        super().__init__(http, base_url, **kwargs)
        self.access_token = access_token
        self.account_id = account_id
        self.user_agent = user_agent
        self.per_page = per_page

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.access_token}",
            "Harvest-Account-Id": str(self.account_id),
            "User-Agent": self.user_agent,  # Harvest requires one naming the integration
        }

    def error_detail(self, response: httpx.Response) -> tuple[str, str | None]:
        # {"error": "invalid_token", "error_description": "..."} or {"message": "..."}
        try:
            body = response.json()
        except ValueError:
            return super().error_detail(response)
        if isinstance(body, dict):
            message = body.get("error_description") or body.get("message") or body.get("error")
            return str(message), body.get("error")
        return super().error_detail(response)

    def list(self, resource: str, *, updated_since: datetime | None = None) -> AsyncIterator[Page]:
        params: dict[str, Any] = {"per_page": self.per_page}
        if updated_since is not None:
            params["updated_since"] = to_utc_iso(updated_since)
        return self.paginate_next_url(
            f"/v2/{resource}",
            params,
            records=lambda body: list(body.get(resource, [])),
            next_url=lambda body: (body.get("links") or {}).get("next"),
        )


class HarvestConnector(Connector):
    system = "harvest"
    streams = (
        Stream("clients", EntityType.CLIENT, "/v2/clients", mapping.map_client, "id", "updated_at"),
        Stream("users", EntityType.RESOURCE, "/v2/users", mapping.map_user, "id", "updated_at"),
        Stream(
            "projects", EntityType.PROJECT, "/v2/projects", mapping.map_project, "id", "updated_at"
        ),
        Stream(
            "user_assignments",
            EntityType.ASSIGNMENT,
            "/v2/user_assignments",
            mapping.map_user_assignment,
            "id",
            "updated_at",
        ),
        Stream(
            "time_entries",
            EntityType.TIME_ENTRY,
            "/v2/time_entries",
            mapping.map_time_entry,
            "id",
            "updated_at",
        ),
    )

    def __init__(self, client: HarvestClient) -> None:
        self.client = client

    def pages(self, stream: Stream, since: datetime | None) -> AsyncIterator[Page]:
        return self.client.list(stream.name, updated_since=since)
