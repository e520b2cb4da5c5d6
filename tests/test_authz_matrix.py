"""Who may call what: every root field of the schema x every role, and sensitive fields x roles.

The root fields are discovered from the schema itself, so a new query or mutation without a
line in EXPECTED fails here until someone decides who may call it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from api_fixtures import SETTINGS, T0, TENANT, Firm, gid, seed
from graphql import GraphQLObjectType
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.models import CostRateRecord, ResourceRecord, SourceRecord
from hub.auth import AuthMethod, Principal, Role
from resolvers.context import Context
from schema import build_schema

Sessions = async_sessionmaker[AsyncSession]
SCHEMA = build_schema()

V, AN, AP, ST, AD = Role.VIEWER, Role.ANALYST, Role.APP, Role.STEWARD, Role.ADMIN
EVERYONE = frozenset(Role)
COST = frozenset({AN, AD})
STEWARDS = frozenset({ST, AD})
ADMINS = frozenset({AD})
WRITERS = frozenset({AP, ST, AD})

CLIENT_ID = gid("Client", 1)
# root field -> (roles allowed, an operation calling it). Mutations start with "mutation".
EXPECTED: dict[str, tuple[frozenset[Role], str]] = {
    "node": (EVERYONE, f'{{ node(id: "{CLIENT_ID}") {{ id }} }}'),
    "clients": (EVERYONE, "{ clients { totalCount } }"),
    "client": (EVERYONE, f'{{ client(id: "{CLIENT_ID}") {{ id }} }}'),
    "projects": (EVERYONE, "{ projects { totalCount } }"),
    "project": (EVERYONE, '{ project(ref: {system: "harvest", externalId: "H-1"}) { id } }'),
    "resources": (EVERYONE, "{ resources { totalCount } }"),
    "resource": (EVERYONE, '{ resource(ref: {system: "bamboohr", externalId: "E-2"}) { id } }'),
    "crosswalk": (
        EVERYONE,
        '{ crosswalk(entityType: CLIENT, system: "salesforce", externalId: "001A") '
        "{ crosswalks { system } } }",
    ),
    "me": (EVERYONE, "{ me { tenantId role subject } }"),
    "margin": (
        COST,
        '{ margin(from: "2026-01-01", to: "2026-12-31", currency: "USD", groupBy: [CLIENT]) '
        "{ currency } }",
    ),
    "apiKeys": (ADMINS, "{ apiKeys { id name } }"),
    "auditLog": (STEWARDS, "{ auditLog { edges { node { action } } } }"),
    "syncRuns": (EVERYONE, "{ syncRuns { totalCount edges { node { status } } } }"),
    "matchCandidates": (STEWARDS, "{ matchCandidates { edges { node { score } } } }"),
    "mergeRecords": (
        STEWARDS,
        f'mutation {{ mergeRecords(input: {{ids: ["{CLIENT_ID}"], survivorId: "{CLIENT_ID}", '
        'reason: "matrix"}) { errors { code } } }',
    ),
    "unmergeSourceRecord": (
        STEWARDS,
        'mutation { unmergeSourceRecord(input: {sourceRecordId: "999999", reason: "matrix"}) '
        "{ errors { code } } }",
    ),
    "resolveMatchCandidate": (
        STEWARDS,
        'mutation { resolveMatchCandidate(input: {id: "999999", decision: NOT_A_MATCH, '
        'reason: "matrix"}) { errors { code } } }',
    ),
    "undoNotAMatch": (
        STEWARDS,
        'mutation { undoNotAMatch(input: {candidateId: "999999", reason: "matrix"}) '
        "{ errors { code } } }",
    ),
    "createClient": (
        WRITERS,
        'mutation { createClient(input: {name: "Matrix Co"}) { errors { code } } }',
    ),
    "updateClient": (
        WRITERS,
        f'mutation {{ updateClient(input: {{id: "{CLIENT_ID}", expectedVersion: 1, '
        'name: "Matrix"}) { errors { code } } }',
    ),
    "createProject": (
        WRITERS,
        f'mutation {{ createProject(input: {{clientId: "{CLIENT_ID}", name: "Matrix"}}) '
        "{ errors { code } } }",
    ),
    "updateProject": (
        WRITERS,
        f'mutation {{ updateProject(input: {{id: "{gid("Project", 1)}", expectedVersion: 1, '
        'code: "M-1"}) { errors { code } } }',
    ),
    "updateResource": (
        WRITERS,
        f'mutation {{ updateResource(input: {{id: "{gid("Resource", 1)}", expectedVersion: 1, '
        'title: "Matrix"}) { errors { code } } }',
    ),
    "planWriteBack": (
        WRITERS,
        '{ planWriteBack(input: {createClient: {name: "Matrix"}}) { writes { system } } }',
    ),
    "sourceOfTruth": (EVERYONE, "{ sourceOfTruth { field owner } }"),
    "writeBacks": (STEWARDS, "{ writeBacks { totalCount } }"),
    "retryWriteBack": (
        STEWARDS,
        'mutation { retryWriteBack(id: "V3JpdGVCYWNrOjk5OTk5OQ==") { errors { code } } }',
    ),
    "discardWriteBack": (
        STEWARDS,
        'mutation { discardWriteBack(id: "V3JpdGVCYWNrOjk5OTk5OQ==", reason: "matrix") '
        "{ errors { code } } }",
    ),
    "createApiKey": (
        ADMINS,
        'mutation { createApiKey(input: {role: VIEWER, name: "matrix"}) '
        "{ apiKey { id } errors { code } } }",
    ),
    "revokeApiKey": (
        ADMINS,
        'mutation { revokeApiKey(id: "999999") { apiKey { id } errors { code } } }',
    ),
}


def root_fields() -> list[str]:
    schema = SCHEMA._schema
    roots = [schema.query_type, schema.mutation_type, schema.subscription_type]
    return [name for t in roots if isinstance(t, GraphQLObjectType) for name in t.fields]


def principal(role: Role, tenant: str = TENANT) -> Principal:
    return Principal(tenant, role, f"user-{role.value}", None, AuthMethod.JWT)


async def execute(sessions: Sessions, query: str, role: Role) -> Any:
    ctx = Context.create(sessions, tenant_id=TENANT, settings=SETTINGS, principal=principal(role))
    try:
        return await SCHEMA.execute(query, context_value=ctx)
    finally:
        await ctx.close()


def codes_at(result: Any, path: tuple[str | int, ...]) -> list[str]:
    return [
        (e.extensions or {}).get("code", "")
        for e in result.errors or []
        if tuple(e.path or ()) == path
    ]


def test_every_root_field_has_an_entry_in_the_table() -> None:
    missing = sorted(set(root_fields()) - set(EXPECTED))
    assert not missing, f"decide which roles may call {missing} and add them to EXPECTED"


@pytest.fixture
async def firm(sessions: Sessions) -> Firm:
    return await seed(sessions)


async def test_root_fields_by_role(sessions: Sessions, firm: Firm) -> None:
    fields = root_fields()
    for field in fields:
        allowed, query = EXPECTED[field]
        for role in Role:
            result = await execute(sessions, query, role)
            codes = codes_at(result, (field,))
            if role in allowed:
                assert "FORBIDDEN" not in codes, (field, role, result.errors)
                assert "UNAUTHENTICATED" not in codes, (field, role)
            else:
                assert codes == ["FORBIDDEN"], (field, role, result.errors)
                assert result.data is None or result.data.get(field) is None


async def test_mutations_that_succeed_or_fail_say_so_in_their_payload(
    sessions: Sessions, firm: Firm
) -> None:
    result = await execute(sessions, EXPECTED["revokeApiKey"][1], AD)
    assert result.errors is None
    assert result.data == {"revokeApiKey": {"apiKey": None, "errors": [{"code": "NOT_FOUND"}]}}
    result = await execute(sessions, EXPECTED["createApiKey"][1], AD)
    assert result.errors is None
    assert result.data["createApiKey"]["errors"] == []


async def test_anonymous_callers_get_unauthenticated(sessions: Sessions, firm: Firm) -> None:
    ctx = Context.create(sessions, tenant_id=TENANT, settings=SETTINGS)
    try:
        result = await SCHEMA.execute("{ clients { totalCount } }", context_value=ctx)
    finally:
        await ctx.close()
    assert codes_at(result, ("clients",)) == ["UNAUTHENTICATED"]


# --- sensitive fields --------------------------------------------------------------------

# field path inside the result -> roles that may read it
SENSITIVE: dict[tuple[str | int, ...], frozenset[Role]] = {
    ("resource", "dateOfBirth"): ADMINS,
    ("resource", "nationalId"): ADMINS,
    ("resource", "homeAddress"): ADMINS,
    ("resource", "costRates"): COST,
    ("resource", "sourceRecords", 0, "payload"): ADMINS,
    ("resource", "sourceRecords", 0, "attributes"): ADMINS,
    ("costRate",): COST,
    ("costRateByRef",): COST,
}


async def _sensitive_firm(sessions: Sessions, firm: Firm) -> str:
    """Give Ada her personal data and an HRIS copy; the global ID of her cost rate."""
    async with sessions() as s, s.begin():
        await s.execute(
            update(ResourceRecord)
            .where(ResourceRecord.id == firm.ids["r1"])
            .values(
                date_of_birth=date(1815, 12, 10),
                national_id="123-45-6789",
                home_address={"city": "London"},
            )
        )
        s.add(
            SourceRecord(
                tenant_id=TENANT,
                entity_type="resource",
                golden_id=firm.ids["r1"],
                system="bamboohr",
                external_id="E-1",
                payload={"dateOfBirth": "1815-12-10", "ssn": "123-45-6789"},
                attributes={"date_of_birth": "1815-12-10"},
                fetched_at=T0,
            )
        )
        rate_id = await s.scalar(
            select(CostRateRecord.id).where(CostRateRecord.tenant_id == TENANT)
        )
    assert rate_id is not None
    return gid("CostRate", rate_id)


def _value(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


async def test_sensitive_fields_by_role(sessions: Sessions, firm: Firm) -> None:
    rate = await _sensitive_firm(sessions, firm)
    query = f"""{{
      resource(id: "{firm.gid("r1")}") {{
        givenName dateOfBirth nationalId homeAddress
        costRates {{ hourlyCost }}
        sourceRecords {{ system payload attributes }}
      }}
      costRate: node(id: "{rate}") {{ id ... on CostRate {{ hourlyCost }} }}
      costRateByRef: crosswalk(entityType: COST_RATE, system: "gusto", externalId: "1") {{
        crosswalks {{ system }}
      }}
    }}"""
    for role in Role:
        result = await execute(sessions, query, role)
        assert result.data is not None, (role, result.errors)
        # A refusal never takes the rest of the record with it.
        assert result.data["resource"]["givenName"] == "Ada"
        for path, allowed in SENSITIVE.items():
            codes = codes_at(result, path)
            if role in allowed:
                assert codes == [], (path, role, result.errors)
            else:
                assert codes == ["FORBIDDEN"], (path, role, result.errors)
                assert _value(result.data, path) is None
        if role is AD:
            resource = result.data["resource"]
            assert resource["dateOfBirth"] == "1815-12-10"
            assert resource["nationalId"] == "123-45-6789"
            assert resource["homeAddress"] == {"city": "London"}
            assert resource["sourceRecords"][0]["payload"]["ssn"] == "123-45-6789"
        if role in COST:
            rates = result.data["resource"]["costRates"]
            assert [Decimal(r["hourlyCost"]) for r in rates] == [Decimal(55)]
            assert result.data["costRate"]["id"] == rate
