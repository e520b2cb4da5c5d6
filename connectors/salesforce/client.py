"""Salesforce REST: bearer auth, SOQL queries paged by nextRecordsUrl, SystemModstamp cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx

from connectors.base import (
    Connector,
    ConnectorError,
    Page,
    RateLimited,
    SourceClient,
    Stream,
    to_utc_iso,
)
from connectors.salesforce import mapping
from golden_records.canonical import EntityType

API_VERSION = "v59.0"


class SalesforceClient(SourceClient):
    system = "salesforce"

    def __init__(
        self,
        http: httpx.AsyncClient,
        instance_url: str,
        access_token: str,
        *,
        api_version: str = API_VERSION,
        **kwargs: Any,
    ) -> None:
        super().__init__(http, instance_url, **kwargs)
        self.access_token = access_token
        self.api_version = api_version

    @property
    def data_path(self) -> str:
        return f"/services/data/{self.api_version}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def error_detail(self, response: httpx.Response) -> tuple[str, str | None]:
        # Errors are a JSON array: [{"message": "...", "errorCode": "INVALID_FIELD"}]
        try:
            body = response.json()
        except ValueError:
            return super().error_detail(response)
        if isinstance(body, list) and body and isinstance(body[0], dict):
            return str(body[0].get("message")), body[0].get("errorCode")
        return super().error_detail(response)

    def classify(self, response: httpx.Response) -> ConnectorError:
        error = super().classify(response)
        if error.source_code == "REQUEST_LIMIT_EXCEEDED":
            return RateLimited(
                error.message,
                system=self.system,
                status=error.status,
                source_code=error.source_code,
                retry_after=error.retry_after,
            )
        return error

    def query(self, soql: str, *, include_deleted: bool = False) -> AsyncIterator[Page]:
        """Run SOQL; queryAll also returns records in the recycle bin (IsDeleted = true)."""
        endpoint = "queryAll" if include_deleted else "query"
        return self.paginate_next_url(
            f"{self.data_path}/{endpoint}",
            {"q": soql},
            records=lambda body: list(body.get("records", [])),
            next_url=lambda body: None if body.get("done", True) else body.get("nextRecordsUrl"),
        )


FIELDS: dict[str, tuple[str, ...]] = {
    "Account": (
        "Id",
        "Name",
        "Website",
        "Industry",
        "Type",
        "ParentId",
        "OwnerId",
        "BillingStreet",
        "BillingCity",
        "BillingState",
        "BillingPostalCode",
        "BillingCountry",
        "LastModifiedDate",
        "SystemModstamp",
        "IsDeleted",
    ),
    "Opportunity": (
        "Id",
        "Name",
        "AccountId",
        "StageName",
        "IsClosed",
        "IsWon",
        "CloseDate",
        "Amount",
        "LastModifiedDate",
        "SystemModstamp",
        "IsDeleted",
    ),
    "User": (
        "Id",
        "FirstName",
        "LastName",
        "Email",
        "Title",
        "Department",
        "IsActive",
        "LastModifiedDate",
        "SystemModstamp",
        "IsDeleted",
    ),
    "Contact": (
        "Id",
        "FirstName",
        "LastName",
        "Email",
        "Phone",
        "Title",
        "Department",
        "ReportsToId",
        "LastModifiedDate",
        "SystemModstamp",
        "IsDeleted",
    ),
}


def soql_for(sobject: str, since: datetime | None) -> str:
    soql = f"SELECT {', '.join(FIELDS[sobject])} FROM {sobject}"
    if since is not None:
        # SOQL datetime literals are unquoted ISO 8601.
        soql += f" WHERE SystemModstamp > {to_utc_iso(since)}"
    return soql + " ORDER BY SystemModstamp ASC, Id ASC"


class SalesforceConnector(Connector):
    system = "salesforce"
    streams = (
        Stream(
            "User", EntityType.RESOURCE, "sobjects/User", mapping.map_user, "Id", "SystemModstamp"
        ),
        Stream(
            "Account",
            EntityType.CLIENT,
            "sobjects/Account",
            mapping.map_account,
            "Id",
            "SystemModstamp",
        ),
        Stream(
            "Contact",
            EntityType.RESOURCE,
            "sobjects/Contact",
            mapping.map_contact,
            "Id",
            "SystemModstamp",
        ),
        Stream(
            "Opportunity",
            EntityType.PROJECT,
            "sobjects/Opportunity",
            mapping.map_opportunity,
            "Id",
            "SystemModstamp",
        ),
    )

    def __init__(self, client: SalesforceClient, *, use_query_all: bool = True) -> None:
        self.client = client
        self.use_query_all = use_query_all

    def pages(self, stream: Stream, since: datetime | None) -> AsyncIterator[Page]:
        # Incremental runs use queryAll so that deletions since the bookmark come through.
        include_deleted = self.use_query_all and since is not None
        return self.client.query(soql_for(stream.name, since), include_deleted=include_deleted)
