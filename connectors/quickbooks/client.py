"""QuickBooks Online: OAuth bearer, the query endpoint paged by STARTPOSITION/MAXRESULTS, and
Change Data Capture for incremental runs (it is the only way deletions come through)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from connectors.base import (
    Connector,
    Json,
    Page,
    PermanentError,
    SourceClient,
    Stream,
    to_utc_iso,
)
from connectors.quickbooks import mapping
from golden_records.canonical import EntityType

MINOR_VERSION = "75"
CDC_LIMIT = 1000  # CDC returns at most this many objects per entity; beyond it, query instead
CDC_WINDOW = timedelta(days=29)  # CDC looks back at most 30 days; keep a day's margin


class QuickBooksClient(SourceClient):
    system = "quickbooks"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        access_token: str,
        realm_id: str,
        *,
        page_size: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(http, base_url, **kwargs)
        self.access_token = access_token
        self.realm_id = realm_id
        self.page_size = page_size

    @property
    def company_path(self) -> str:
        return f"/v3/company/{self.realm_id}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def error_detail(self, response: httpx.Response) -> tuple[str, str | None]:
        # {"Fault": {"Error": [{"Message", "Detail", "code"}], "type": "ValidationFault"}}
        # (401s come back lower-cased: {"fault": {"error": [{"message", "detail", "code"}]}})
        try:
            body = response.json()
        except ValueError:
            return super().error_detail(response)
        fault = (body.get("Fault") or body.get("fault")) if isinstance(body, dict) else None
        errors = (fault or {}).get("Error") or (fault or {}).get("error") or []
        if errors:
            first = errors[0]
            message = first.get("Detail") or first.get("detail") or first.get("Message")
            return str(message or first.get("message")), str(first.get("code"))
        return super().error_detail(response)

    def is_stale_token(self, response: httpx.Response, source_code: str | None) -> bool:
        return source_code == "5010"  # "Stale Object Error": the SyncToken is out of date

    async def query(self, statement: str, entity: str, start: int, size: int) -> list[Json]:
        body = await self.get_json(
            f"{self.company_path}/query",
            {
                "query": f"{statement} STARTPOSITION {start} MAXRESULTS {size}",
                "minorversion": MINOR_VERSION,
            },
        )
        return list((body.get("QueryResponse") or {}).get(entity, []))

    def query_pages(self, entity: str, where: str = "") -> AsyncIterator[Page]:
        statement = f"SELECT * FROM {entity}{where} ORDERBY Id"
        return self.paginate_offset(
            lambda start, size: self.query(statement, entity, start, size),
            page_size=self.page_size,
        )

    async def cdc(self, entities: list[str], changed_since: datetime) -> dict[str, list[Json]]:
        body = await self.get_json(
            f"{self.company_path}/cdc",
            {
                "entities": ",".join(entities),
                "changedSince": to_utc_iso(changed_since),
                "minorversion": MINOR_VERSION,
            },
        )
        found: dict[str, list[Json]] = {name: [] for name in entities}
        for response in body.get("CDCResponse") or []:
            for query_response in response.get("QueryResponse") or []:
                for name in entities:
                    found[name].extend(query_response.get(name) or [])
        return found


def _where(entity: str, since: datetime | None) -> str:
    # Inactive customers are hidden from queries unless asked for explicitly.
    clauses = ["Active IN (true, false)"] if entity == "Customer" else []
    if since is not None:
        # Queries spell it "Metadata" although the objects carry "MetaData".
        clauses.append(f"Metadata.LastUpdatedTime > '{to_utc_iso(since)}'")
    return (" WHERE " + " AND ".join(clauses)) if clauses else ""


class QuickBooksConnector(Connector):
    system = "quickbooks"
    # Customer and Job both read QuickBooks' Customer entity, split on its Job flag.
    streams = (
        Stream(
            "Customer",
            EntityType.CLIENT,
            "Customer",
            mapping.map_customer,
            "Id",
            "MetaData.LastUpdatedTime",
        ),
        Stream(
            "Job", EntityType.PROJECT, "Customer", mapping.map_job, "Id", "MetaData.LastUpdatedTime"
        ),
        Stream(
            "Invoice",
            EntityType.INVOICE,
            "Invoice",
            mapping.map_invoice,
            "Id",
            "MetaData.LastUpdatedTime",
        ),
        Stream(
            "Payment",
            EntityType.PAYMENT,
            "Payment",
            mapping.map_payment,
            "Id",
            "MetaData.LastUpdatedTime",
        ),
    )

    def __init__(self, client: QuickBooksClient) -> None:
        self.client = client

    async def pages(self, stream: Stream, since: datetime | None) -> AsyncIterator[Page]:
        entity = stream.path
        source: AsyncIterator[Page] | None = None
        if since is not None and since > datetime.now(UTC) - CDC_WINDOW:
            try:
                changed: list[Json] | None = (await self.client.cdc([entity], since))[entity]
            except PermanentError as exc:
                if exc.status != 400:  # outside the CDC window by the server's clock: query
                    raise
                changed = None
            if changed is not None and len(changed) < CDC_LIMIT:
                source = _single(changed)
        if source is None:
            source = self.client.query_pages(entity, _where(entity, since))
        async for page in source:
            if entity == "Customer":
                # A deleted (CDC) row carries no Job flag; both streams see it, only one matches.
                wanted = stream.name == "Job"
                page = Page(
                    [
                        r
                        for r in page.records
                        if mapping.is_job(r) == wanted or r.get("status") == "Deleted"
                    ]
                )
            if page.records:
                yield page


async def _single(records: list[Json]) -> AsyncIterator[Page]:
    if records:
        yield Page(records)
