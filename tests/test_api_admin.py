"""Key administration and the audit log through the real app: keys are created, shown once,
listed without secrets, revoked at once, and every change is in the audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from golden_records.models import DEFAULT_TENANT
from hub.app import create_app
from hub.auth.api_keys import create_key
from hub.models import ApiKey, AuditEntry
from hub.settings import Settings

Sessions = async_sessionmaker[AsyncSession]

CREATE = """mutation($role: Role!, $name: String) {
  createApiKey(input: {role: $role, name: $name}) {
    apiKey { id name role prefix revokedAt }
    secret
    errors { code field message }
  }
}"""
REVOKE = """mutation($id: ID!) {
  revokeApiKey(id: $id) { apiKey { id revokedAt } errors { code field } }
}"""


@pytest.fixture
async def client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        yield client


@pytest.fixture
async def admin_key(sessions: Sessions) -> str:
    _, token = await create_key(sessions, DEFAULT_TENANT, "admin", "root")
    return token


async def gql(
    client: httpx.AsyncClient, key: str, query: str, request_id: str | None = None, **vars: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    if request_id:
        headers["X-Request-ID"] = request_id
    return await client.post("/graphql", json={"query": query, "variables": vars}, headers=headers)


async def test_a_revoked_key_stops_working_at_once(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    created = (await gql(client, admin_key, CREATE, role="VIEWER", name="bi")).json()
    payload = created["data"]["createApiKey"]
    assert payload["errors"] == []
    viewer_key = payload["secret"]
    me = await gql(client, viewer_key, "{ me { role tenantId } }")
    assert me.json() == {"data": {"me": {"role": "VIEWER", "tenantId": DEFAULT_TENANT}}}

    revoked = await gql(client, admin_key, REVOKE, id=payload["apiKey"]["id"])
    assert revoked.json()["data"]["revokeApiKey"]["apiKey"]["revokedAt"] is not None

    again = await gql(client, viewer_key, "{ me { role } }")
    assert again.status_code == 401
    # The admin's own key is untouched.
    assert (await gql(client, admin_key, "{ me { role } }")).status_code == 200


async def test_the_secret_is_shown_once_and_never_listed(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    created = (await gql(client, admin_key, CREATE, role="ANALYST", name="bi")).json()
    secret = created["data"]["createApiKey"]["secret"]
    assert secret.startswith("cwk_")
    listed = await gql(client, admin_key, "{ apiKeys { id name role prefix revokedAt } }")
    keys = listed.json()["data"]["apiKeys"]
    assert [(k["name"], k["role"]) for k in keys] == [("root", "ADMIN"), ("bi", "ANALYST")]
    assert secret not in listed.text
    # The secret part (after cwk_<prefix>_) may itself contain "_": take all of it.
    assert secret.split("_", 2)[2] not in listed.text


async def test_mutations_are_audited_with_actor_request_and_changes(
    client: httpx.AsyncClient, admin_key: str, sessions: Sessions
) -> None:
    created = await gql(client, admin_key, CREATE, request_id="req-create", role="APP")
    key_id = created.json()["data"]["createApiKey"]["apiKey"]["id"]
    await gql(client, admin_key, REVOKE, request_id="req-revoke", id=key_id)

    query = """query($action: String) {
      auditLog(filter: {action: $action}) {
        edges { node { actor actorRole requestId action entityType entityId before after } }
      }
    }"""
    body = (await gql(client, admin_key, query)).json()
    nodes = [e["node"] for e in body["data"]["auditLog"]["edges"]]
    assert [n["action"] for n in nodes] == ["api_key.revoke", "api_key.create"]  # newest first
    revoke, create = nodes
    assert revoke["requestId"] == "req-revoke"
    assert revoke["entityType"] == "api_key" and revoke["entityId"] == key_id
    assert revoke["before"] == {"revokedAt": None}
    assert revoke["after"]["revokedAt"] is not None
    assert revoke["actor"].startswith("key:") and revoke["actorRole"] == "admin"
    assert create["requestId"] == "req-create"
    assert create["after"]["role"] == "app"

    only = (await gql(client, admin_key, query, action="api_key.create")).json()
    assert [e["node"]["action"] for e in only["data"]["auditLog"]["edges"]] == ["api_key.create"]

    # Revoking again changes nothing, so nothing more is logged.
    await gql(client, admin_key, REVOKE, id=key_id)
    async with sessions() as s:
        assert len((await s.scalars(select(AuditEntry))).all()) == 2


async def test_invalid_input_is_an_error_in_the_payload_and_changes_nothing(
    client: httpx.AsyncClient, admin_key: str, sessions: Sessions
) -> None:
    body = (await gql(client, admin_key, CREATE, role="VIEWER", name="x" * 300)).json()
    assert body["data"]["createApiKey"]["apiKey"] is None
    assert body["data"]["createApiKey"]["secret"] is None
    [error] = body["data"]["createApiKey"]["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "name")

    body = (await gql(client, admin_key, REVOKE, id="not-a-key")).json()
    assert body["data"]["revokeApiKey"]["errors"] == [{"code": "NOT_FOUND", "field": "id"}]
    async with sessions() as s:
        assert len((await s.scalars(select(ApiKey))).all()) == 1
        assert (await s.scalars(select(AuditEntry))).all() == []


async def test_audit_log_pages_and_refuses_an_empty_period(
    client: httpx.AsyncClient, admin_key: str
) -> None:
    for _ in range(3):
        await gql(client, admin_key, CREATE, role="VIEWER")
    query = """query($after: String) {
      auditLog(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
    }"""
    first = (await gql(client, admin_key, query)).json()["data"]["auditLog"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"]
    rest = (await gql(client, admin_key, query, after=first["pageInfo"]["endCursor"])).json()
    assert len(rest["data"]["auditLog"]["edges"]) == 1
    assert not rest["data"]["auditLog"]["pageInfo"]["hasNextPage"]

    bad = """{ auditLog(filter: {since: "2026-02-01T00:00:00Z", until: "2026-01-01T00:00:00Z"})
               { edges { cursor } } }"""
    errors = (await gql(client, admin_key, bad)).json()["errors"]
    assert errors[0]["extensions"]["code"] == "VALIDATION"
