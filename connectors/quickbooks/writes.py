"""QuickBooks writes: create, and sparse update carrying the SyncToken we hold (a stale one is
refused with error 5010, raised as `StaleToken`)."""

from __future__ import annotations

from typing import Any

from connectors.base import Json
from connectors.quickbooks.client import MINOR_VERSION, QuickBooksClient


# canonical client attribute -> Customer field, for the fields QuickBooks owns
def customer_fields(attributes: dict[str, Any]) -> Json:
    fields: Json = {}
    if "legal_name" in attributes:
        fields["CompanyName"] = attributes["legal_name"]
    if "name" in attributes:
        fields["DisplayName"] = attributes["name"]
    if "currency" in attributes:
        fields["CurrencyRef"] = {"value": attributes["currency"]}
    if "tax_id" in attributes:
        fields["BusinessNumber"] = attributes["tax_id"]
    address = attributes.get("billing_address")
    if address:
        fields["BillAddr"] = {
            "Line1": address.get("line1"),
            "Line2": address.get("line2"),
            "City": address.get("city"),
            "CountrySubDivisionCode": address.get("region"),
            "PostalCode": address.get("postal_code"),
            "Country": address.get("country"),
        }
    return fields


async def create(client: QuickBooksClient, entity: str, fields: Json) -> Json:
    """POST /v3/company/{realm}/{entity}; returns the created object (with Id and SyncToken)."""
    response = await client.request(
        "POST",
        f"{client.company_path}/{entity.lower()}",
        params={"minorversion": MINOR_VERSION},
        json=fields,
    )
    created: Json = response.json()[entity]
    return created


async def sparse_update(
    client: QuickBooksClient, entity: str, entity_id: str, sync_token: str, fields: Json
) -> Json:
    """Update only `fields`; returns the object with its new SyncToken."""
    body = {"Id": entity_id, "SyncToken": sync_token, "sparse": True, **fields}
    response = await client.request(
        "POST",
        f"{client.company_path}/{entity.lower()}",
        params={"minorversion": MINOR_VERSION},
        json=body,
    )
    updated: Json = response.json()[entity]
    return updated
