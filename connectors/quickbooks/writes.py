"""QuickBooks writes: create, and sparse update carrying the SyncToken we hold (a stale one is
refused with error 5010, raised as `StaleToken`).

Clients are Customers; projects are sub-customers flagged `Job` under their client's Customer.
Every write carries a `requestid` derived from the write's idempotency key (and, for updates,
the SyncToken it is based on): QuickBooks answers a repeated request ID with the original
response, so a create retried after a crash never makes a second Customer.

QuickBooks has no budget or contract-amount field on a customer or job. The contract amount
(canonical `budget_amount`) is kept as one line of the job's Notes, `Contract amount: 1234.50`
(`mapping.CONTRACT_AMOUNT_LABEL`); the rest of the Notes is left as it is. A customer's currency
cannot change once set, as in QuickBooks; changing it is refused there and surfaces as
`PermanentError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from connectors.base import Json
from connectors.quickbooks import mapping
from connectors.quickbooks.client import MINOR_VERSION, QuickBooksClient
from connectors.writeback import (
    CREATE,
    WriteRequest,
    WriteResult,
    address,
    check_request,
    decimal,
    refuse,
    require_places,
    text,
    unsupported,
)
from golden_records.canonical import EntityType

CLIENT_WRITABLE = frozenset(
    {"name", "legal_name", "billing_address", "payment_terms", "tax_id", "currency"}
)
PROJECT_WRITABLE = frozenset({"name", "client", "budget_amount"})


# canonical client attribute -> Customer field, for the fields QuickBooks owns
def customer_fields(attributes: Mapping[str, Any]) -> Json:
    fields: Json = {}
    if "legal_name" in attributes:
        fields["CompanyName"] = attributes["legal_name"]
    if "name" in attributes:
        fields["DisplayName"] = attributes["name"]
    if "currency" in attributes:
        fields["CurrencyRef"] = {"value": attributes["currency"]}
    if "tax_id" in attributes:
        # The mapping reads PrimaryTaxIdentifier first: write where it reads.
        fields["PrimaryTaxIdentifier"] = attributes["tax_id"]
    if "billing_address" in attributes:
        address = attributes["billing_address"] or {}
        fields["BillAddr"] = {
            "Line1": address.get("line1"),
            "Line2": address.get("line2"),
            "City": address.get("city"),
            "CountrySubDivisionCode": address.get("region"),
            "PostalCode": address.get("postal_code"),
            "Country": address.get("country"),
        }
    return fields


def request_id(key: str, token: str | None = None) -> str:
    """A QuickBooks requestid (at most 50 characters) unique to this write and base version."""
    return hashlib.sha256(f"{key}\x00{token or ''}".encode()).hexdigest()[:40]


async def create(
    client: QuickBooksClient, entity: str, fields: Json, *, requestid: str | None = None
) -> Json:
    """POST /v3/company/{realm}/{entity}; returns the created object (with Id and SyncToken).
    With `requestid`, a repeat of the same request returns the original object."""
    params = {"minorversion": MINOR_VERSION}
    if requestid is not None:
        params["requestid"] = requestid
    response = await client.request(
        "POST", f"{client.company_path}/{entity.lower()}", params=params, json=fields
    )
    created: Json = response.json()[entity]
    return created


async def sparse_update(
    client: QuickBooksClient,
    entity: str,
    entity_id: str,
    sync_token: str,
    fields: Json,
    *,
    requestid: str | None = None,
) -> Json:
    """Update only `fields`; returns the object with its new SyncToken."""
    body = {"Id": entity_id, "SyncToken": sync_token, "sparse": True, **fields}
    params = {"minorversion": MINOR_VERSION}
    if requestid is not None:
        params["requestid"] = requestid
    response = await client.request(
        "POST", f"{client.company_path}/{entity.lower()}", params=params, json=body
    )
    updated: Json = response.json()[entity]
    return updated


async def read_entity(client: QuickBooksClient, entity: str, entity_id: str) -> Json:
    body = await client.get_json(
        f"{client.company_path}/{entity.lower()}/{entity_id}", {"minorversion": MINOR_VERSION}
    )
    found: Json = body[entity]
    return found


class QuickBooksWriter:
    """Writes clients (Customers) and projects (jobs) to QuickBooks Online."""

    system = "quickbooks"

    def __init__(self, client: QuickBooksClient) -> None:
        self.client = client
        self._terms: dict[str, Json] | None = None  # canonical payment terms -> Term

    def writable(self, entity_type: EntityType) -> frozenset[str]:
        if entity_type == EntityType.CLIENT:
            return CLIENT_WRITABLE
        if entity_type == EntityType.PROJECT:
            return PROJECT_WRITABLE
        return frozenset()

    async def read(self, entity_type: EntityType, external_id: str) -> WriteResult:
        if entity_type not in (EntityType.CLIENT, EntityType.PROJECT):
            raise unsupported(self.system, entity_type)
        payload = await read_entity(self.client, "Customer", external_id)
        return self._result(entity_type, payload)

    def _result(self, entity_type: EntityType, payload: Json) -> WriteResult:
        mapper = mapping.map_job if entity_type == EntityType.PROJECT else mapping.map_customer
        return WriteResult(str(payload["Id"]), mapper(payload), payload)

    async def write(self, request: WriteRequest) -> WriteResult:
        check_request(self.system, request, self.writable(request.entity_type))
        fields = request.fields
        current: Json | None = None
        if request.entity_type == EntityType.CLIENT:
            body = await self._customer(fields)
        else:
            if request.action != CREATE and "budget_amount" in fields:
                # Notes hold more than our line: start from what QuickBooks has now.
                assert request.external_id is not None
                current = await read_entity(self.client, "Customer", request.external_id)
            body = self._job(fields, current)
        if request.action == CREATE:
            if request.entity_type == EntityType.PROJECT:
                if not fields.get("client"):
                    raise refuse(
                        self.system,
                        "client",
                        "a project is created as a job under its client's customer: "
                        "client is required",
                    )
                body.update({"Job": True, "BillWithParent": True})
            if not body.get("DisplayName"):
                raise refuse(
                    self.system, "name", "name is required to create a customer (its DisplayName)"
                )
            created = await create(
                self.client, "Customer", body, requestid=request_id(request.idempotency_key)
            )
            return self._result(request.entity_type, created)
        assert request.external_id is not None
        token = request.token
        if token is None:
            # Without a token there is nothing to guard with: take the current one.
            current = current or await read_entity(self.client, "Customer", request.external_id)
            token = str(current["SyncToken"])
        if not body:
            return await self.read(request.entity_type, request.external_id)
        updated = await sparse_update(
            self.client,
            "Customer",
            request.external_id,
            token,
            body,
            requestid=request_id(request.idempotency_key, token),
        )
        return self._result(request.entity_type, updated)

    async def _customer(self, fields: Mapping[str, Any]) -> Json:
        values: dict[str, Any] = {k: text(v) for k, v in fields.items() if k != "billing_address"}
        if "billing_address" in fields:
            values["billing_address"] = (
                None
                if fields["billing_address"] is None
                else address(self.system, "billing_address", fields["billing_address"])
            )
        body = customer_fields(values)
        if "tax_id" in fields and fields["tax_id"] is None:
            # The mapping falls back to these: clear them too, or the old ID would show.
            body.update({"BusinessNumber": None, "ResaleNum": None})
        if "currency" in fields and fields["currency"] is None:
            raise refuse(self.system, "currency", "a customer's currency cannot be removed")
        if "payment_terms" in fields:
            wanted = text(fields["payment_terms"])
            if wanted is None:
                body["SalesTermRef"] = None
            else:
                term = (await self._term_table()).get(wanted)
                if term is None:  # perhaps added since we looked: look once more
                    self._terms = None
                    term = (await self._term_table()).get(wanted)
                if term is None:
                    raise refuse(
                        self.system,
                        "payment_terms",
                        f"payment_terms {wanted!r}: no active sales term of that name in "
                        "QuickBooks",
                    )
                body["SalesTermRef"] = {"value": str(term["Id"]), "name": term["Name"]}
        return body

    async def _term_table(self) -> dict[str, Json]:
        if self._terms is None:
            body = await self.client.get_json(
                f"{self.client.company_path}/query",
                {"query": "select * from Term", "minorversion": MINOR_VERSION},
            )
            terms = (body.get("QueryResponse") or {}).get("Term") or []
            self._terms = {
                key: term
                for term in terms
                if term.get("Active", True) and (key := mapping.payment_terms(term.get("Name")))
            }
        return self._terms

    def _job(self, fields: Mapping[str, Any], current: Json | None) -> Json:
        body: Json = {}
        if "name" in fields:
            body["DisplayName"] = text(fields["name"])
        if "client" in fields:
            parent = text(fields["client"])
            if parent is None:
                raise refuse(self.system, "client", "a job must have a parent customer")
            body["ParentRef"] = {"value": parent}
        if "budget_amount" in fields:
            amount = decimal(self.system, "budget_amount", fields["budget_amount"])
            require_places(self.system, "budget_amount", amount, 2)
            notes = (current or {}).get("Notes")
            body["Notes"] = mapping.with_contract_amount(notes, amount)
        return body
