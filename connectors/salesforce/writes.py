"""Salesforce writes: sObject create and PATCH update guarded by If-Unmodified-Since."""

from __future__ import annotations

import email.utils
from typing import Any

from connectors.base import parse_datetime
from connectors.salesforce.client import SalesforceClient

# canonical client attribute -> Account field, for the fields Salesforce owns
ACCOUNT_FIELDS = {
    "name": "Name",
    "website": "Website",
    "industry": "Industry",
}


async def create_record(client: SalesforceClient, sobject: str, fields: dict[str, Any]) -> str:
    """POST /sobjects/{type}; returns the new record's Id."""
    response = await client.request("POST", f"{client.data_path}/sobjects/{sobject}", json=fields)
    return str(response.json()["id"])


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
