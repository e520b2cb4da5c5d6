"""Salesforce writes: Account upsert by an external-ID field, and PATCH updates guarded by
If-Unmodified-Since.

Creates upsert by `Crosswalk_Key__c` (PATCH /sobjects/Account/Crosswalk_Key__c/{key}), so a
create retried after a crash finds the Account it already made instead of making a second one.
The org needs that custom field on Account: Text(255), flagged External ID and Unique.

Updates send the LastModifiedDate we hold as If-Unmodified-Since (a 412 means someone changed the
record since). That header has whole-second resolution, so the writer also re-reads
LastModifiedDate (millisecond resolution) first and refuses a token that is not current.
"""

from __future__ import annotations

import email.utils
from typing import Any
from urllib.parse import quote

from connectors.base import Json, StaleToken, domain_of, parse_datetime
from connectors.salesforce import mapping
from connectors.salesforce.client import FIELDS, SalesforceClient
from connectors.writeback import (
    CREATE,
    WriteRequest,
    WriteResult,
    address,
    check_request,
    refuse,
    text,
    unsupported,
)
from golden_records.canonical import EntityType

# The custom external-ID field creates upsert by (see the module docstring).
CROSSWALK_KEY_FIELD = "Crosswalk_Key__c"

# canonical client attribute -> Account field, for the fields Salesforce owns
ACCOUNT_FIELDS = {
    "name": "Name",
    "website": "Website",
    "industry": "Industry",
}

# Canonical client status -> the Account Type written for it. The org's Type picklist needs
# these values; mapping._account_status reads each back as the same status.
ACCOUNT_TYPES = {
    "PROSPECT": "Prospect",
    "ACTIVE": "Customer - Direct",
    "INACTIVE": "Former Customer",
}

CLIENT_WRITABLE = frozenset(
    {
        "name",
        "website",
        "domain",
        "industry",
        "status",
        "parent",
        "account_owner",
        "billing_address",
    }
)


async def create_record(client: SalesforceClient, sobject: str, fields: dict[str, Any]) -> str:
    """POST /sobjects/{type}; returns the new record's Id."""
    response = await client.request("POST", f"{client.data_path}/sobjects/{sobject}", json=fields)
    return str(response.json()["id"])


async def upsert_record(
    client: SalesforceClient, sobject: str, key_field: str, key: str, fields: dict[str, Any]
) -> tuple[str, bool]:
    """PATCH /sobjects/{type}/{key_field}/{key}: create, or update the record holding `key`.
    Returns (Id, created). PATCH is idempotent, so the client may retry it."""
    response = await client.request(
        "PATCH",
        f"{client.data_path}/sobjects/{sobject}/{key_field}/{quote(key, safe='')}",
        json=fields,
    )
    body = response.json() if response.content else {}
    return str(body["id"]), bool(body.get("created", response.status_code == 201))


async def update_record(
    client: SalesforceClient,
    sobject: str,
    record_id: str,
    fields: dict[str, Any],
    *,
    last_modified: str | None = None,
) -> None:
    """PATCH /sobjects/{type}/{id}. With `last_modified` (the token we hold), a record changed
    since then answers 412, raised as `StaleToken`."""
    headers = {}
    when = parse_datetime(last_modified)
    if when is not None:
        headers["If-Unmodified-Since"] = email.utils.format_datetime(when, usegmt=True)
    await client.request(
        "PATCH",
        f"{client.data_path}/sobjects/{sobject}/{record_id}",
        json=fields,
        headers=headers,
    )


def account_fields(attributes: dict[str, Any]) -> dict[str, Any]:
    """Canonical client attributes -> Account fields (only those Salesforce holds)."""
    return {ACCOUNT_FIELDS[k]: v for k, v in attributes.items() if k in ACCOUNT_FIELDS}


async def read_account(client: SalesforceClient, account_id: str) -> Json:
    """The Account with the fields the sync stream selects, shaped as a query row."""
    body: Json = await client.get_json(
        f"{client.data_path}/sobjects/Account/{account_id}",
        {"fields": ",".join(FIELDS["Account"])},
    )
    return body


class SalesforceWriter:
    """Writes clients to Salesforce Accounts."""

    system = "salesforce"

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client

    def writable(self, entity_type: EntityType) -> frozenset[str]:
        return CLIENT_WRITABLE if entity_type == EntityType.CLIENT else frozenset()

    async def read(self, entity_type: EntityType, external_id: str) -> WriteResult:
        if entity_type != EntityType.CLIENT:
            raise unsupported(self.system, entity_type)
        payload = await read_account(self.client, external_id)
        return WriteResult(str(payload["Id"]), mapping.map_account(payload), payload)

    async def write(self, request: WriteRequest) -> WriteResult:
        check_request(self.system, request, self.writable(request.entity_type))
        if request.action == CREATE:
            body = self._account(request.fields, current_type=None)
            account_id, _ = await upsert_record(
                self.client, "Account", CROSSWALK_KEY_FIELD, request.idempotency_key, body
            )
            return await self.read(EntityType.CLIENT, account_id)
        assert request.external_id is not None
        current = await self.client.get_json(
            f"{self.client.data_path}/sobjects/Account/{request.external_id}",
            {"fields": "LastModifiedDate,Type"},
        )
        if request.token is not None and parse_datetime(
            current.get("LastModifiedDate")
        ) != parse_datetime(request.token):
            raise StaleToken(
                f"Account {request.external_id} was modified at "
                f"{current.get('LastModifiedDate')}, after the version we hold ({request.token})",
                system=self.system,
                status=412,
            )
        body = self._account(request.fields, current_type=current.get("Type"))
        if body:
            await update_record(
                self.client, "Account", request.external_id, body, last_modified=request.token
            )
        return await self.read(EntityType.CLIENT, request.external_id)

    def _account(self, fields: Any, *, current_type: str | None) -> Json:
        body: Json = {}
        for attribute, name in ACCOUNT_FIELDS.items():
            if attribute in fields:
                body[name] = text(fields[attribute])
        if "domain" in fields:
            # The domain is derived from the website: accept it only alongside a website
            # it agrees with, never as a value Salesforce would not hold.
            website = text(fields.get("website"))
            if "website" not in fields or domain_of(website) != text(fields["domain"]):
                raise refuse(
                    self.system,
                    "domain",
                    "domain is derived from website in Salesforce; send a website whose "
                    f"domain is {fields['domain']!r}",
                )
        if "status" in fields:
            status = text(fields["status"])
            if status is not None and status not in ACCOUNT_TYPES:
                raise refuse(self.system, "status", f"status {status!r} has no Account Type")
            # Keep a Type that already says the same (e.g. "Customer - Channel" is ACTIVE).
            if status is None or mapping._account_status(current_type) != status:
                body["Type"] = None if status is None else ACCOUNT_TYPES[status]
        if "parent" in fields:
            body["ParentId"] = text(fields["parent"])
        if "account_owner" in fields:
            body["OwnerId"] = text(fields["account_owner"])
        if "billing_address" in fields:
            parts = address(self.system, "billing_address", fields["billing_address"])
            street = "\n".join(p for p in (parts["line1"], parts["line2"]) if p) or None
            body.update(
                {
                    "BillingStreet": street,
                    "BillingCity": parts["city"],
                    "BillingState": parts["region"],
                    "BillingPostalCode": parts["postal_code"],
                    "BillingCountry": parts["country"],
                }
            )
        return body
