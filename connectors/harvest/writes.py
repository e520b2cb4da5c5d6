"""Harvest writes: POST to create, PATCH to update, guarded by the updated_at we last saw.

What Harvest can hold, and so what round-trips:
- Status: Harvest stores only active or archived (`is_active`). A project that is ACTIVE,
  PROPOSED or ON_HOLD is written active and reads back ACTIVE; COMPLETED or CANCELLED is
  archived and reads back COMPLETED. A client that is ACTIVE or PROSPECT is active (reads back
  ACTIVE); INACTIVE is archived.
- A project's currency is its client's: a project write naming another currency is refused.
- A project's manager is not a field of the project in Harvest (managers are user assignments
  flagged `is_project_manager`), so `project_manager` is not writable here.
- A bill rate is written as the project's `hourly_rate` with `bill_by: "Project"`, budget hours
  as `budget` with `budget_by: "project"`.

Creates are idempotent the Harvest way: client names are unique in an account, so a client of
the same name is taken to be ours; a project is looked up among its client's projects by name
(and code) before one is made. Either found record is brought up to the requested values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors.base import Json, MappedRecord, StaleToken, parse_datetime
from connectors.harvest import mapping
from connectors.harvest.client import HarvestClient
from connectors.writeback import (
    CREATE,
    WriteRequest,
    WriteResult,
    check_request,
    decimal,
    iso,
    number,
    refuse,
    require_places,
    same,
    text,
    unsupported,
)
from golden_records.canonical import EntityType

CLIENT_WRITABLE = frozenset({"name", "currency", "status"})
PROJECT_WRITABLE = frozenset(
    {
        "client",
        "name",
        "code",
        "status",
        "billing_type",
        "start_date",
        "end_date",
        "budget_hours",
        "bill_rate",
        "currency",
    }
)
RESOURCE_WRITABLE = frozenset({"default_bill_rate"})

_ACTIVE_CLIENT = {"ACTIVE": True, "PROSPECT": True, "INACTIVE": False}
_ACTIVE_PROJECT = {
    "PROPOSED": True,
    "ACTIVE": True,
    "ON_HOLD": True,
    "COMPLETED": False,
    "CANCELLED": False,
}
_BILLING = {
    "TIME_AND_MATERIALS": (True, False),  # (is_billable, is_fixed_fee)
    "FIXED_FEE": (True, True),
    "NON_BILLABLE": (False, False),
}
_RESOURCES = {
    EntityType.CLIENT: ("clients", mapping.map_client),
    EntityType.PROJECT: ("projects", mapping.map_project),
    EntityType.RESOURCE: ("users", mapping.map_user),
}


async def create(client: HarvestClient, resource: str, fields: dict[str, Any]) -> Json:
    """POST /v2/{resource} (clients, projects, users, ...); returns the created object."""
    response = await client.request("POST", f"/v2/{resource}", json=fields)
    result: Json = response.json()
    return result


async def update(
    client: HarvestClient,
    resource: str,
    object_id: str,
    fields: dict[str, Any],
    *,
    updated_at: str | None = None,
) -> Json:
    """PATCH /v2/{resource}/{id}. Harvest has no version field, so when `updated_at` (the token
    we hold) is given we re-read first and refuse to overwrite a newer change."""
    if updated_at is not None:
        current = await client.get_json(f"/v2/{resource}/{object_id}")
        if parse_datetime(current.get("updated_at")) != parse_datetime(updated_at):
            raise StaleToken(
                f"{resource}/{object_id} changed since {updated_at}", system=client.system
            )
    response = await client.request("PATCH", f"/v2/{resource}/{object_id}", json=fields)
    result: Json = response.json()
    return result


async def find(
    client: HarvestClient, resource: str, match: Callable[[Json], bool], **filters: Any
) -> Json | None:
    """The first object of a list (all pages, narrowed by Harvest's own filters) that matches."""
    params = {"per_page": client.per_page, **filters}
    async for page in client.paginate_next_url(
        f"/v2/{resource}",
        params,
        records=lambda body: list(body.get(resource, [])),
        next_url=lambda body: (body.get("links") or {}).get("next"),
    ):
        for record in page.records:
            if match(record):
                return record
    return None


class HarvestWriter:
    """Writes clients, projects and people's default bill rates to Harvest."""

    system = "harvest"

    def __init__(self, client: HarvestClient) -> None:
        self.client = client

    def writable(self, entity_type: EntityType) -> frozenset[str]:
        return {
            EntityType.CLIENT: CLIENT_WRITABLE,
            EntityType.PROJECT: PROJECT_WRITABLE,
            EntityType.RESOURCE: RESOURCE_WRITABLE,
        }.get(entity_type, frozenset())

    async def read(self, entity_type: EntityType, external_id: str) -> WriteResult:
        resource, mapper = self._kind(entity_type)
        payload = await self.client.get_json(f"/v2/{resource}/{external_id}")
        return WriteResult(str(payload["id"]), mapper(payload), payload)

    def _kind(self, entity_type: EntityType) -> tuple[str, Callable[[Json], MappedRecord]]:
        if entity_type not in _RESOURCES:
            raise unsupported(self.system, entity_type)
        return _RESOURCES[entity_type]

    async def write(self, request: WriteRequest) -> WriteResult:
        entity_type = request.entity_type
        check_request(
            self.system,
            request,
            self.writable(entity_type),
            creates=entity_type != EntityType.RESOURCE,
        )
        resource, mapper = self._kind(entity_type)
        fields = request.fields
        if entity_type == EntityType.PROJECT and "currency" in fields:
            await self._check_project_currency(request)
        if request.action == CREATE:
            existing = await self._existing(entity_type, fields)
            if existing is None:
                body = self._body(entity_type, fields, creating=True)
                payload = await create(self.client, resource, body)
                return WriteResult(str(payload["id"]), mapper(payload), payload)
            # Ours from an earlier attempt (or the account's same-named one): converge it.
            external_id, token = str(existing["id"]), existing.get("updated_at")
            held = mapper(existing)
            fields = {k: v for k, v in fields.items() if not _holds(held, k, v)}
            if not fields:
                return WriteResult(external_id, held, existing)
        else:
            assert request.external_id is not None
            external_id, token = request.external_id, request.token
        body = self._body(entity_type, fields, creating=False)
        payload = await update(self.client, resource, external_id, body, updated_at=token)
        return WriteResult(str(payload["id"]), mapper(payload), payload)

    async def _existing(self, entity_type: EntityType, fields: Mapping[str, Any]) -> Json | None:
        name = text(fields.get("name"))
        if name is None:
            raise refuse(self.system, "name", f"name is required to create a {entity_type.value}")
        if entity_type == EntityType.CLIENT:
            # Harvest refuses a second client of the same name ("Name has already been taken").
            return await find(self.client, "clients", lambda c: c.get("name") == name)
        client_id = text(fields.get("client"))
        if client_id is None:
            raise refuse(self.system, "client", "client is required to create a project")
        code = text(fields.get("code"))
        return await find(
            self.client,
            "projects",
            lambda p: p.get("name") == name and (code is None or p.get("code") == code),
            client_id=client_id,
        )

    async def _check_project_currency(self, request: WriteRequest) -> None:
        wanted = text(request.fields["currency"])
        client_id = text(request.fields.get("client"))
        if client_id is None and request.external_id is not None:
            project = await self.client.get_json(f"/v2/projects/{request.external_id}")
            client_id = text((project.get("client") or {}).get("id"))
        if client_id is None:
            raise refuse(self.system, "client", "client is required to create a project")
        client = await self.client.get_json(f"/v2/clients/{client_id}")
        if client.get("currency") != wanted:
            raise refuse(
                self.system,
                "currency",
                f"currency {wanted!r}: a Harvest project bills in its client's currency "
                f"({client.get('currency')}); change the client's currency instead",
            )

    def _body(self, entity_type: EntityType, fields: Mapping[str, Any], *, creating: bool) -> Json:
        if entity_type == EntityType.CLIENT:
            return self._client_body(fields)
        if entity_type == EntityType.PROJECT:
            return self._project_body(fields, creating=creating)
        rate = self._money("default_bill_rate", fields["default_bill_rate"])
        return {"default_hourly_rate": number(rate)}

    def _client_body(self, fields: Mapping[str, Any]) -> Json:
        body: Json = {}
        if "name" in fields:
            body["name"] = text(fields["name"])
        if "currency" in fields:
            body["currency"] = text(fields["currency"])
        if "status" in fields:
            body["is_active"] = self._active(_ACTIVE_CLIENT, "client", fields["status"])
        return body

    def _project_body(self, fields: Mapping[str, Any], *, creating: bool) -> Json:
        body: Json = {}
        for attribute, name in (("name", "name"), ("code", "code")):
            if attribute in fields:
                body[name] = text(fields[attribute])
        if "client" in fields:
            body["client_id"] = text(fields["client"])
        if "status" in fields:
            body["is_active"] = self._active(_ACTIVE_PROJECT, "project", fields["status"])
        for attribute, name in (("start_date", "starts_on"), ("end_date", "ends_on")):
            if attribute in fields:
                body[name] = iso(fields[attribute])
        if "billing_type" in fields or creating:
            kind = text(fields.get("billing_type")) or "TIME_AND_MATERIALS"
            if kind not in _BILLING:
                raise refuse(self.system, "billing_type", f"billing_type {kind!r} is unknown")
            body["is_billable"], body["is_fixed_fee"] = _BILLING[kind]
        if "bill_rate" in fields or creating:
            rate = self._money("bill_rate", fields.get("bill_rate"))
            body["bill_by"] = "none" if rate is None else "Project"
            body["hourly_rate"] = number(rate)
        if "budget_hours" in fields or creating:
            hours = self._money("budget_hours", fields.get("budget_hours"))
            body["budget_by"] = "none" if hours is None else "project"
            body["budget"] = number(hours)
        return body

    def _money(self, name: str, value: Any) -> Any:
        amount = decimal(self.system, name, value)
        require_places(self.system, name, amount, 2)
        return amount

    def _active(self, table: dict[str, bool], kind: str, status: Any) -> bool:
        value = text(status)
        if value not in table:
            raise refuse(self.system, "status", f"{kind} status {value!r} is unknown")
        return table[value]


def _holds(held: MappedRecord, attribute: str, wanted: Any) -> bool:
    """Whether Harvest's copy already holds `wanted` (statuses compared as Harvest stores
    them: active or not)."""
    if attribute in ("client", "parent"):
        ref = held.refs.get(f"{attribute}_id")
        return ref is not None and ref.external_id == text(wanted)
    value = held.attributes.get(attribute)
    if attribute == "status":
        table = _ACTIVE_PROJECT if "billing_type" in held.attributes else _ACTIVE_CLIENT
        return table.get(str(value)) == table.get(str(text(wanted)))
    return same(value, wanted)
