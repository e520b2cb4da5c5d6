"""Harvest writes: POST to create, PATCH to update, guarded by the updated_at we last saw."""

from __future__ import annotations

from typing import Any

from connectors.base import Json, StaleToken, parse_datetime
from connectors.harvest.client import HarvestClient


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
