"""Tenant B's admin, through the real app, finds nothing of tenant A's: not by A's global IDs,
not by A's external IDs, not in lists, keys, the audit log or the CSV export.

Every root field of the schema must have a walk below, so a new field cannot skip the check.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from api_fixtures import OTHER_TENANT, TENANT, seed
from graphql import GraphQLObjectType
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from golden_records.matching_models import MatchCandidate
from golden_records.models import ClientRecord, Crosswalk, ProjectRecord, SourceRecord
from hub.app import create_app
from hub.auth.api_keys import create_key
from hub.models import ApiKey
from hub.outbox_models import MutationRequest, WriteBack
from hub.settings import Settings
from hub.sync_models import SyncRun
from resolvers import writeback_queue
from resolvers.global_ids import MODELS, encode_global_id
from resolvers.steward import candidate_id
from schema import build_schema

Sessions = async_sessionmaker[AsyncSession]

LOOKUPS = {"client": "Client", "project": "Project", "resource": "Resource"}


@dataclass
class TenantA:
    """What tenant A has, that tenant B must never see."""

    gids: dict[str, list[str]] = field(default_factory=dict)  # type name -> global IDs
    refs: list[tuple[str, str, str]] = field(default_factory=list)  # entity, system, external ID
    key_ids: list[int] = field(default_factory=list)
    sync_run_ids: list[int] = field(default_factory=list)
    candidate_ids: list[str] = field(default_factory=list)  # global IDs of match candidates
    source_record_ids: list[int] = field(default_factory=list)
    write_back_ids: list[str] = field(default_factory=list)  # global IDs of outbox rows

    def all_gids(self) -> list[str]:
        return [g for ids in self.gids.values() for g in ids]


class Api:
    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self.client, self.key = client, key
        self.responses: list[str] = []

    async def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.key}"},
        )
        assert response.status_code == 200, response.text
        self.responses.append(response.text)
        body: dict[str, Any] = response.json()
        return body


def no_errors(body: dict[str, Any]) -> dict[str, Any]:
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def walk_node(b: Api, a: TenantA) -> None:
    for g in a.all_gids():
        assert no_errors(await b.gql("query($id: ID!) { node(id: $id) { id } }", id=g)) == {
            "node": None
        }


def lookup(name: str) -> Callable[[Api, TenantA], Awaitable[None]]:
    async def walk(b: Api, a: TenantA) -> None:
        for g in a.gids[LOOKUPS[name]]:
            data = no_errors(await b.gql(f"query($id: ID!) {{ {name}(id: $id) {{ id }} }}", id=g))
            assert data == {name: None}
        refs = [(s, x) for entity, s, x in a.refs if entity == name]
        assert refs, f"tenant A has no {name} crosswalks to try"
        for system, external_id in refs:
            query = f"""query($s: String!, $x: String!) {{
                {name}(ref: {{system: $s, externalId: $x}}) {{ id }} }}"""
            assert no_errors(await b.gql(query, s=system, x=external_id)) == {name: None}

    return walk


def listing(name: str) -> Callable[[Api, TenantA], Awaitable[None]]:
    async def walk(b: Api, a: TenantA) -> None:
        data = no_errors(await b.gql(f"{{ {name}(first: 100) {{ edges {{ node {{ id }} }} }} }}"))
        seen = {e["node"]["id"] for e in data[name]["edges"]}
        assert not seen & set(a.all_gids())

    return walk


async def walk_crosswalk(b: Api, a: TenantA) -> None:
    query = """query($e: EntityType!, $s: String!, $x: String!) {
        crosswalk(entityType: $e, system: $s, externalId: $x) { record { id } } }"""
    for entity, system, external_id in a.refs:
        body = await b.gql(query, e=entity.upper(), s=system, x=external_id)
        assert no_errors(body) == {"crosswalk": None}


async def walk_me(b: Api, a: TenantA) -> None:
    data = no_errors(await b.gql("{ me { tenantId role } }"))
    assert data == {"me": {"tenantId": OTHER_TENANT, "role": "ADMIN"}}


async def walk_margin(b: Api, a: TenantA) -> None:
    body = await b.gql(
        '{ margin(from: "2025-01-01", to: "2026-12-31", currency: "USD", groupBy: [CLIENT]) '
        "{ client { id } } }"
    )
    assert not body.get("errors") or body["errors"][0]["extensions"]["code"] != "FORBIDDEN"


async def walk_api_keys(b: Api, a: TenantA) -> None:
    data = no_errors(await b.gql("{ apiKeys { id } }"))
    assert data["apiKeys"], "B's own key is listed"
    assert not {int(k["id"]) for k in data["apiKeys"]} & set(a.key_ids)


async def walk_audit_log(b: Api, a: TenantA) -> None:
    data = no_errors(await b.gql("{ auditLog(first: 100) { edges { node { entityId } } } }"))
    seen = {int(e["node"]["entityId"]) for e in data["auditLog"]["edges"]}
    assert not seen & set(a.key_ids)
    for key_id in a.key_ids:
        query = "query($id: String) { auditLog(filter: {entityId: $id}) { edges { cursor } } }"
        assert no_errors(await b.gql(query, id=str(key_id))) == {"auditLog": {"edges": []}}


async def walk_create_api_key(b: Api, a: TenantA) -> None:
    query = "mutation { createApiKey(input: {role: VIEWER}) { apiKey { id } errors { code } } }"
    data = no_errors(await b.gql(query))
    assert data["createApiKey"]["errors"] == []
    assert int(data["createApiKey"]["apiKey"]["id"]) not in a.key_ids


async def walk_revoke_api_key(b: Api, a: TenantA) -> None:
    query = "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } errors { code } } }"
    for key_id in a.key_ids:
        data = no_errors(await b.gql(query, id=str(key_id)))
        assert data == {"revokeApiKey": {"apiKey": None, "errors": [{"code": "NOT_FOUND"}]}}


async def walk_sync_runs(b: Api, a: TenantA) -> None:
    data = no_errors(await b.gql("{ syncRuns(first: 100) { totalCount edges { node { id } } } }"))
    assert a.sync_run_ids, "tenant A has a sync run to hide"
    assert data["syncRuns"] == {"totalCount": 0, "edges": []}


async def walk_match_candidates(b: Api, a: TenantA) -> None:
    data = no_errors(await b.gql("{ matchCandidates(first: 100) { edges { node { id } } } }"))
    assert a.candidate_ids, "tenant A has a match candidate to hide"
    assert data["matchCandidates"]["edges"] == []


async def walk_resolve_match_candidate(b: Api, a: TenantA) -> None:
    query = """mutation($id: ID!) { resolveMatchCandidate(
        input: {id: $id, decision: NOT_A_MATCH, reason: "cross-tenant"}) { errors { code } } }"""
    for candidate in a.candidate_ids:
        data = no_errors(await b.gql(query, id=candidate))
        assert data["resolveMatchCandidate"]["errors"] == [{"code": "NOT_FOUND"}]


async def walk_undo_not_a_match(b: Api, a: TenantA) -> None:
    query = """mutation($id: ID, $ids: [ID!]) { undoNotAMatch(
        input: {candidateId: $id, ids: $ids, reason: "cross-tenant"}) { errors { code } } }"""
    for candidate in a.candidate_ids:
        data = no_errors(await b.gql(query, id=candidate))
        assert data["undoNotAMatch"]["errors"] == [{"code": "NOT_FOUND"}]
    data = no_errors(await b.gql(query, ids=a.gids["Client"][:2]))
    assert data["undoNotAMatch"]["errors"] == [{"code": "NOT_FOUND"}]


async def walk_merge_records(b: Api, a: TenantA) -> None:
    first, second = a.gids["Client"][:2]
    query = """mutation($ids: [ID!]!, $s: ID!) { mergeRecords(
        input: {ids: $ids, survivorId: $s, reason: "cross-tenant"}) { errors { code } } }"""
    data = no_errors(await b.gql(query, ids=[first, second], s=first))
    assert data["mergeRecords"]["errors"][0]["code"] == "NOT_FOUND"


async def walk_unmerge_source_record(b: Api, a: TenantA) -> None:
    query = """mutation($id: ID!) { unmergeSourceRecord(
        input: {sourceRecordId: $id, reason: "cross-tenant"}) { errors { code } } }"""
    for source_record_id in a.source_record_ids[:5]:
        data = no_errors(await b.gql(query, id=str(source_record_id)))
        assert data["unmergeSourceRecord"]["errors"][0]["code"] == "NOT_FOUND"


def write_refused(mutation: str, input_type: str, type_name: str, extra: str) -> Any:
    """B writes to each of A's records (or points a new one at them): NOT_FOUND, nothing else."""

    async def walk(b: Api, a: TenantA) -> None:
        query = f"""mutation($input: {input_type}!) {{ {mutation}(input: $input) {{
            errors {{ code field }} }} }}"""
        for g in a.gids[type_name][:5]:
            variables = json.loads(extra.replace("GID", g))
            data = no_errors(await b.gql(query, input=variables))
            assert [e["code"] for e in data[mutation]["errors"]] == ["NOT_FOUND"], data

    return walk


async def walk_plan_write_back(b: Api, a: TenantA) -> None:
    query = """query($id: ID!) { planWriteBack(input: {updateClient: {id: $id,
        expectedVersion: 1, name: "x"}}) { writes { system } errors { code } } }"""
    for g in a.gids["Client"][:5]:
        data = no_errors(await b.gql(query, id=g))
        assert data["planWriteBack"] == {"writes": [], "errors": [{"code": "NOT_FOUND"}]}


async def walk_source_of_truth(b: Api, a: TenantA) -> None:
    data = no_errors(await b.gql("{ sourceOfTruth(entityType: CLIENT) { field owner } }"))
    assert {"field": "name", "owner": "salesforce"} in data["sourceOfTruth"]


async def walk_write_backs(b: Api, a: TenantA) -> None:
    assert a.write_back_ids, "tenant A has a write-back to hide"
    data = no_errors(await b.gql("{ writeBacks(first: 100) { totalCount edges { node { id } } } }"))
    assert data["writeBacks"] == {"totalCount": 0, "edges": []}


def write_back_action(mutation: str) -> Any:
    async def walk(b: Api, a: TenantA) -> None:
        query = f"""mutation($id: ID!) {{ {mutation}(id: $id, reason: "cross-tenant") {{
            writeBack {{ id }} errors {{ code }} }} }}"""
        for write_back in a.write_back_ids:
            data = no_errors(await b.gql(query, id=write_back))
            assert data[mutation] == {"writeBack": None, "errors": [{"code": "NOT_FOUND"}]}

    return walk


WALKS: dict[str, Callable[[Api, TenantA], Awaitable[None]]] = {
    "node": walk_node,
    "client": lookup("client"),
    "project": lookup("project"),
    "resource": lookup("resource"),
    "clients": listing("clients"),
    "projects": listing("projects"),
    "resources": listing("resources"),
    "crosswalk": walk_crosswalk,
    "me": walk_me,
    "margin": walk_margin,
    "apiKeys": walk_api_keys,
    "auditLog": walk_audit_log,
    "createApiKey": walk_create_api_key,
    "revokeApiKey": walk_revoke_api_key,
    "syncRuns": walk_sync_runs,
    "matchCandidates": walk_match_candidates,
    "resolveMatchCandidate": walk_resolve_match_candidate,
    "undoNotAMatch": walk_undo_not_a_match,
    "mergeRecords": walk_merge_records,
    "unmergeSourceRecord": walk_unmerge_source_record,
    "createClient": write_refused(
        "createClient", "CreateClientInput", "Client", '{"name": "B", "parentId": "GID"}'
    ),
    "updateClient": write_refused(
        "updateClient", "UpdateClientInput", "Client", '{"id": "GID", "expectedVersion": 1}'
    ),
    "createProject": write_refused(
        "createProject", "CreateProjectInput", "Client", '{"clientId": "GID", "name": "B"}'
    ),
    "updateProject": write_refused(
        "updateProject", "UpdateProjectInput", "Project", '{"id": "GID", "expectedVersion": 1}'
    ),
    "updateResource": write_refused(
        "updateResource", "UpdateResourceInput", "Resource", '{"id": "GID", "expectedVersion": 1}'
    ),
    "planWriteBack": walk_plan_write_back,
    "sourceOfTruth": walk_source_of_truth,
    "writeBacks": walk_write_backs,
    "retryWriteBack": write_back_action("retryWriteBack"),
    "discardWriteBack": write_back_action("discardWriteBack"),
}


def root_fields() -> list[str]:
    schema = build_schema()._schema
    roots = [schema.query_type, schema.mutation_type, schema.subscription_type]
    return [name for t in roots if isinstance(t, GraphQLObjectType) for name in t.fields]


def test_every_root_field_is_walked() -> None:
    missing = sorted(set(root_fields()) - set(WALKS))
    assert not missing, f"add a cross-tenant walk for {missing}"


async def tenant_a(sessions: Sessions, a_admin: Api) -> TenantA:
    a = TenantA()
    async with sessions() as s:
        for type_name, model in MODELS.items():
            ids = await s.scalars(select(model.id).where(model.tenant_id == TENANT))
            a.gids[type_name] = [encode_global_id(type_name, pk) for pk in ids]
        rows = await s.execute(
            select(Crosswalk.entity_type, Crosswalk.system, Crosswalk.external_id).where(
                Crosswalk.tenant_id == TENANT
            )
        )
        a.refs = [(e, sys, x) for e, sys, x in rows]
        a.key_ids = list(await s.scalars(select(ApiKey.id).where(ApiKey.tenant_id == TENANT)))
        a.source_record_ids = list(
            await s.scalars(select(SourceRecord.id).where(SourceRecord.tenant_id == TENANT))
        )
        clients = sorted(
            await s.scalars(select(ClientRecord.id).where(ClientRecord.tenant_id == TENANT))
        )
        run = SyncRun(tenant_id=TENANT, system="harvest", stream="clients", status="succeeded")
        candidate = MatchCandidate(
            tenant_id=TENANT,
            entity_type="client",
            golden_id_a=clients[0],
            golden_id_b=clients[1],
            score=0.7,
            explanation=[],
        )
        mutation = MutationRequest(
            tenant_id=TENANT,
            operation="client.update",
            request_hash="-",
            entity_type="client",
            golden_id=clients[0],
            actor="a",
            created_at=datetime.now(UTC),
        )
        s.add_all([run, candidate, mutation])
        await s.flush()
        failed = WriteBack(
            tenant_id=TENANT,
            mutation_id=mutation.id,
            system="quickbooks",
            entity_type="client",
            golden_id=clients[0],
            action="update",
            fields={"legal_name": "A's secret LLC"},
            status="FAILED",
            next_attempt_at=mutation.created_at,
            created_at=mutation.created_at,
            updated_at=mutation.created_at,
        )
        s.add(failed)
        await s.commit()
        a.write_back_ids = [writeback_queue.encode_id(failed.id)]
        a.sync_run_ids = [run.id]
        a.candidate_ids = [candidate_id(candidate.id)]
    # An audit entry in A, which B's auditLog must not show.
    created = no_errors(
        await a_admin.gql("mutation { createApiKey(input: {role: APP}) { apiKey { id } } }")
    )
    a.key_ids.append(int(created["createApiKey"]["apiKey"]["id"]))
    return a


@pytest.fixture
def app(engine: AsyncEngine) -> Any:
    return create_app(Settings(), engine=engine)


async def test_tenant_b_finds_nothing_of_tenant_a(
    engine: AsyncEngine, sessions: Sessions, app: Any
) -> None:
    await seed(sessions)
    _, a_key = await create_key(sessions, TENANT, "admin", "A admin")
    _, b_key = await create_key(sessions, OTHER_TENANT, "admin", "B admin")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        a = await tenant_a(sessions, Api(client, a_key))
        b = Api(client, b_key)
        present = set(root_fields())
        for name, walk in WALKS.items():
            if name in present:
                await walk(b, a)

        # A's keys still work: B's revocations did nothing.
        assert no_errors(await Api(client, a_key).gql("{ me { tenantId } }")) == {
            "me": {"tenantId": TENANT}
        }
        # The CSV export is the caller's tenant's too.
        export = await client.get(
            "/export/margin.csv",
            params={
                "from": "2025-01-01",
                "to": "2026-12-31",
                "currency": "USD",
                "groupBy": "CLIENT",
            },
            headers={"Authorization": f"Bearer {b_key}"},
        )
        assert export.status_code in (200, 422), export.text
        b.responses.append(export.text)

    # Whatever B asked, no answer held any of A's IDs.
    leaked = [g for g in a.all_gids() for text in b.responses if g in text]
    assert not leaked
    async with sessions() as s:
        tenants = {k.name: k.tenant_id for k in await s.scalars(select(ApiKey))}
    assert tenants["viewer key"] == OTHER_TENANT  # B's createApiKey landed in B
    assert tenants["app key"] == TENANT


async def test_foreign_keys_into_another_tenant_resolve_to_nothing(
    sessions: Sessions, app: Any
) -> None:
    """Loaders fetch by primary key; they must still filter by tenant, so a B row whose
    foreign key (or merge pointer) names an A row never brings that A row along."""
    firm = await seed(sessions)
    async with sessions() as s, s.begin():
        merged = ClientRecord(
            tenant_id=OTHER_TENANT,
            name="Merged away",
            status="ACTIVE",
            currency="USD",
            merged_into_id=firm.ids["c1"],
        )
        s.add(merged)
        s.add(
            ProjectRecord(
                tenant_id=OTHER_TENANT,
                client_id=firm.ids["c1"],
                project_manager_id=firm.ids["r1"],
                name="Stray",
                status="ACTIVE",
                billing_type="FIXED_FEE",
                currency="USD",
            )
        )
        await s.flush()
        merged_gid = encode_global_id("Client", merged.id)
    _, b_key = await create_key(sessions, OTHER_TENANT, "admin")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        b = Api(client, b_key)
        data = no_errors(
            await b.gql(
                "{ projects { edges { node { name client { id } projectManager { id } } } } }"
            )
        )
        assert data["projects"]["edges"] == [
            {"node": {"name": "Stray", "client": None, "projectManager": None}}
        ]
        assert no_errors(
            await b.gql("query($id: ID!) { node(id: $id) { id } }", id=merged_gid)
        ) == {"node": None}
