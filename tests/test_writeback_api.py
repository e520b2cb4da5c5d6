"""Write-back through the GraphQL API: each field reaches the system that owns it, and only that
one; validation before anything is sent; versions, idempotency keys, the dry run, the
ownership table and the exception queue. Systems are read through their own APIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from writeback_fixtures import Hub, build_hub, gid, tenant_config

from connectors.sandbox.faults import FaultPlan
from golden_records.models import Lineage, SourceRecord
from hub.auth import Role
from hub.models import AuditEntry
from hub.outbox_worker import WorkerOptions

Sessions = async_sessionmaker[AsyncSession]

PAYLOAD = "writes { system status fields reason } errors { code field message } replayed"
UPDATE_CLIENT = f"""
mutation($input: UpdateClientInput!, $key: String, $wait: Float) {{
  updateClient(input: $input, idempotencyKey: $key, waitSeconds: $wait) {{
    client {{ ... on Client {{ id name legalName industry version }} }}
    {PAYLOAD}
  }}
}}"""


@pytest.fixture
async def hub(sessions: Sessions) -> AsyncIterator[Hub]:
    clients: list[httpx.AsyncClient] = []
    built = await build_hub(sessions, clients)
    built.worker.start()
    try:
        yield built
    finally:
        await built.worker.stop()
        for client in clients:
            await client.aclose()


async def version(hub: Hub, type_name: str, pk: int) -> int:
    query = "query($id: ID!) { node(id: $id) { ... on GoldenRecord { version } } }"
    data = await hub.gql(query, {"id": gid(type_name, pk)})
    return int(data["node"]["version"])


def by_system(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {w["system"]: w for w in payload["writes"]}


async def external(hub: Hub, entity_type: str, golden_id: int, system: str) -> str:
    return (await hub.crosswalks(entity_type, golden_id))[system]


async def salesforce_account(hub: Hub, account_id: str) -> dict[str, Any]:
    path = hub.readers["salesforce"].data_path  # type: ignore[attr-defined]
    account: dict[str, Any] = await hub.api("salesforce", f"{path}/sobjects/Account/{account_id}")
    return account


async def quickbooks_customer(hub: Hub, customer_id: str) -> dict[str, Any]:
    realm = hub.readers["quickbooks"].realm_id  # type: ignore[attr-defined]
    body = await hub.api("quickbooks", f"/v3/company/{realm}/customer/{customer_id}")
    customer: dict[str, Any] = body["Customer"]
    return customer


async def test_each_client_field_reaches_its_owning_system_and_no_other(hub: Hub) -> None:
    golden_id = await hub.golden_with("client", {"salesforce", "quickbooks", "harvest"})
    account_id = await external(hub, "client", golden_id, "salesforce")
    customer_id = await external(hub, "client", golden_id, "quickbooks")
    harvest_id = await external(hub, "client", golden_id, "harvest")
    account_before = await salesforce_account(hub, account_id)
    customer_before = await quickbooks_customer(hub, customer_id)
    harvest_before = await hub.api("harvest", f"/v2/clients/{harvest_id}")

    data = await hub.gql(
        UPDATE_CLIENT,
        {
            "input": {
                "id": gid("Client", golden_id),
                "expectedVersion": await version(hub, "Client", golden_id),
                "name": "Northwind Renamed",
                "industry": "Aerospace",
                "legalName": "Northwind Holdings LLC",
            },
            "wait": 10,
        },
    )

    payload = data["updateClient"]
    assert payload["errors"] == []
    writes = by_system(payload)
    assert writes["salesforce"]["status"] == "APPLIED"
    assert sorted(writes["salesforce"]["fields"]) == ["industry", "name"]
    assert writes["quickbooks"]["status"] == "APPLIED"
    assert writes["quickbooks"]["fields"] == ["legalName"]
    assert set(writes) == {"salesforce", "quickbooks"}
    account = await salesforce_account(hub, account_id)
    customer = await quickbooks_customer(hub, customer_id)
    assert (account["Name"], account["Industry"]) == ("Northwind Renamed", "Aerospace")
    assert customer["CompanyName"] == "Northwind Holdings LLC"
    # ...and nowhere else: QuickBooks keeps its display name, Harvest (which holds the client
    # but owns none of these fields) its name, Salesforce has no legal-name field to touch.
    assert customer["DisplayName"] == customer_before["DisplayName"]
    assert await hub.api("harvest", f"/v2/clients/{harvest_id}") == harvest_before
    assert "Northwind Holdings LLC" not in str(account)
    assert {
        k: v
        for k, v in account.items()
        if k not in ("Name", "Industry", "LastModifiedDate", "SystemModstamp")
    } == {
        k: v
        for k, v in account_before.items()
        if k not in ("Name", "Industry", "LastModifiedDate", "SystemModstamp")
    }
    assert payload["client"]["name"] == "Northwind Renamed"
    assert payload["client"]["legalName"] == "Northwind Holdings LLC"
    async with hub.sessions() as session:
        rule = (
            await session.execute(
                select(Lineage.rule, SourceRecord.system)
                .join(SourceRecord, SourceRecord.id == Lineage.source_record_id)
                .where(
                    Lineage.golden_id == golden_id,
                    Lineage.entity_type == "client",
                    Lineage.attribute == "name",
                )
            )
        ).one()
    assert rule.system == "salesforce"


async def test_resource_fields_go_to_the_hris_the_psa_and_payroll(hub: Hub) -> None:
    person = await hub.golden_with("resource", {"bamboohr", "harvest", "gusto"})
    employee_id = await external(hub, "resource", person, "bamboohr")
    user_id = await external(hub, "resource", person, "harvest")
    employee_uuid = await external(hub, "resource", person, "gusto")
    user_before = await hub.api("harvest", f"/v2/users/{user_id}")
    today = datetime.now(UTC).date().isoformat()
    query = f"""
    mutation($input: UpdateResourceInput!) {{
      updateResource(input: $input, waitSeconds: 10) {{
        resource {{ ... on Resource {{ title defaultBillRate }} }}
        {PAYLOAD}
      }}
    }}"""
    data = await hub.gql(
        query,
        {
            "input": {
                "id": gid("Resource", person),
                "expectedVersion": await version(hub, "Resource", person),
                "title": "Engagement Director",
                "defaultBillRate": "310.00",
                "costRate": {"hourlyCost": "142.50", "currency": "USD", "effectiveFrom": today},
            }
        },
    )

    payload = data["updateResource"]
    assert payload["errors"] == []
    writes = by_system(payload)
    assert {s: w["status"] for s, w in writes.items()} == {
        "bamboohr": "APPLIED",
        "harvest": "APPLIED",
        "gusto": "APPLIED",
    }
    employee = await hub.api("bamboohr", f"/v1/employees/{employee_id}", fields="jobTitle")
    assert employee["jobTitle"] == "Engagement Director"
    user = await hub.api("harvest", f"/v2/users/{user_id}")
    assert float(user["default_hourly_rate"]) == 310.0
    moved = {"default_hourly_rate", "updated_at"}
    assert {k: v for k, v in user.items() if k not in moved} == {
        k: v for k, v in user_before.items() if k not in moved
    }  # the title went to the HRIS only
    jobs = await hub.api("gusto", f"/v1/employees/{employee_uuid}/jobs")
    rates = [(c["rate"], c["effective_date"]) for job in jobs for c in job["compensations"]]
    assert any(float(rate) == 142.5 and when == today for rate, when in rates)
    assert payload["resource"]["title"] == "Engagement Director"


async def test_a_new_client_is_created_in_each_owning_system_with_its_crosswalks(
    hub: Hub,
) -> None:
    query = f"""
    mutation($input: CreateClientInput!) {{
      createClient(input: $input, waitSeconds: 10) {{
        client {{ ... on Client {{ id name crosswalks {{ system externalId }} }} }}
        {PAYLOAD}
      }}
    }}"""
    data = await hub.gql(
        query,
        {"input": {"name": "Fresh Start Co", "legalName": "Fresh Start Co LLC", "currency": "USD"}},
    )

    payload = data["createClient"]
    assert payload["errors"] == []
    assert {w["status"] for w in payload["writes"]} == {"APPLIED"}
    systems = {c["system"]: c["externalId"] for c in payload["client"]["crosswalks"]}
    assert set(systems) == {"salesforce", "quickbooks"}
    account = await salesforce_account(hub, systems["salesforce"])
    customer = await quickbooks_customer(hub, systems["quickbooks"])
    assert account["Name"] == "Fresh Start Co"
    assert customer["CompanyName"] == "Fresh Start Co LLC"


async def test_a_new_project_creates_its_client_in_the_psa_first(hub: Hub) -> None:
    created = await hub.gql(
        """mutation { createClient(input: {name: "Only In CRM", currency: "USD"},
           waitSeconds: 10) { client { id } errors { code } } }"""
    )
    client_gid = created["createClient"]["client"]["id"]
    query = f"""
    mutation($input: CreateProjectInput!) {{
      createProject(input: $input, waitSeconds: 10) {{
        project {{ ... on Project {{ name crosswalks {{ system externalId }} }} }}
        {PAYLOAD}
      }}
    }}"""
    data = await hub.gql(
        query,
        {
            "input": {
                "clientId": client_gid,
                "name": "Discovery Sprint",
                "code": "DS-1",
                "startDate": "2026-12-01",
                "endDate": "2027-02-28",
                "billRate": "250.00",
            }
        },
    )

    payload = data["createProject"]
    assert payload["errors"] == []
    assert {w["status"] for w in payload["writes"]} == {"APPLIED"}
    project_id = {c["system"]: c["externalId"] for c in payload["project"]["crosswalks"]}["harvest"]
    project = await hub.api("harvest", f"/v2/projects/{project_id}")
    assert (project["name"], project["code"], project["starts_on"]) == (
        "Discovery Sprint",
        "DS-1",
        "2026-12-01",
    )
    assert project["client"]["name"] == "Only In CRM"


async def test_invalid_input_is_refused_with_typed_errors_and_nothing_is_queued(
    hub: Hub,
) -> None:
    golden_id = await hub.golden_with("client", {"salesforce"})
    data = await hub.gql(
        UPDATE_CLIENT,
        {
            "input": {
                "id": gid("Client", golden_id),
                "expectedVersion": await version(hub, "Client", golden_id),
                "currency": "DOLLARS",
                "name": "   ",
            }
        },
    )
    errors = data["updateClient"]["errors"]
    assert {(e["code"], e["field"]) for e in errors} >= {
        ("VALIDATION", "currency"),
        ("VALIDATION", "name"),
    }
    assert all(e["message"] for e in errors)
    assert await hub.outbox() == []


async def test_of_two_updates_with_the_same_version_one_wins_and_one_conflicts(
    hub: Hub,
) -> None:
    golden_id = await hub.golden_with("client", {"salesforce"})
    expected = await version(hub, "Client", golden_id)

    def update(name: str) -> Any:
        return hub.gql(
            UPDATE_CLIENT,
            {"input": {"id": gid("Client", golden_id), "expectedVersion": expected, "name": name}},
        )

    first, second = await asyncio.gather(update("Winner A"), update("Winner B"))
    outcomes = [first["updateClient"], second["updateClient"]]
    codes = sorted(e["code"] for o in outcomes for e in o["errors"])
    assert codes == ["VERSION_CONFLICT"]
    [winner] = [o for o in outcomes if not o["errors"]]
    await hub.drain()
    rows = await hub.outbox()
    assert len(rows) == 1 and rows[0].status == "APPLIED"
    account = await salesforce_account(hub, await external(hub, "client", golden_id, "salesforce"))
    assert account["Name"] == rows[0].fields["name"]
    assert winner["writes"][0]["fields"] == ["name"]
    assert await version(hub, "Client", golden_id) > expected


async def test_an_idempotency_key_makes_a_retry_return_the_first_result(hub: Hub) -> None:
    golden_id = await hub.golden_with("client", {"quickbooks"})
    variables = {
        "input": {
            "id": gid("Client", golden_id),
            "expectedVersion": await version(hub, "Client", golden_id),
            "legalName": "Once Only LLC",
        },
        "key": "req-42",
    }
    first = (await hub.gql(UPDATE_CLIENT, variables))["updateClient"]
    again = (await hub.gql(UPDATE_CLIENT, variables))["updateClient"]
    assert first["errors"] == again["errors"] == []
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert len(await hub.outbox()) == 1

    variables["input"]["legalName"] = "Something Else LLC"
    reused = (await hub.gql(UPDATE_CLIENT, variables))["updateClient"]
    assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(await hub.outbox()) == 1


async def test_plan_write_back_says_where_each_field_goes_and_sends_nothing(hub: Hub) -> None:
    golden_id = await hub.golden_with("client", {"salesforce", "quickbooks"})
    query = """query($input: PlanWriteBackInput!) { planWriteBack(input: $input) {
        writes { system action fields } hubFields errors { code field } } }"""
    data = await hub.gql(
        query,
        {
            "input": {
                "updateClient": {
                    "id": gid("Client", golden_id),
                    "expectedVersion": 1,
                    "website": "https://example.org",
                    "taxId": "12-3456789",
                }
            }
        },
    )
    plan = data["planWriteBack"]
    assert plan["errors"] == []
    assert {(w["system"], w["action"], tuple(w["fields"])) for w in plan["writes"]} == {
        ("salesforce", "update", ("website",)),
        ("quickbooks", "update", ("taxId",)),
    }
    assert await hub.outbox() == []


async def test_the_ownership_table_is_the_tenants_and_hub_owned_fields_stay_in_the_hub(
    sessions: Sessions,
) -> None:
    clients: list[httpx.AsyncClient] = []
    config = tenant_config(client={"industry": None, "parent": "quickbooks"})
    hub = await build_hub(sessions, clients, config=config)
    try:
        rules = (
            await hub.gql("{ sourceOfTruth(entityType: CLIENT) { field owner survivorship } }")
        )["sourceOfTruth"]
        owners = {r["field"]: r["owner"] for r in rules}
        assert owners["industry"] == "hub"
        assert owners["parent"] == "quickbooks"
        assert owners["legalName"] == "quickbooks"
        assert owners["name"] == "salesforce"
        assert all(r["survivorship"] for r in rules)

        golden_id = await hub.golden_with("client", {"salesforce"})
        data = await hub.gql(
            UPDATE_CLIENT,
            {
                "input": {
                    "id": gid("Client", golden_id),
                    "expectedVersion": await version(hub, "Client", golden_id),
                    "industry": "Hub Kept",
                }
            },
        )
        payload = data["updateClient"]
        assert payload["writes"] == [
            {"system": "hub", "status": "APPLIED", "fields": ["industry"], "reason": None}
        ]
        assert payload["client"]["industry"] == "Hub Kept"
        assert await hub.outbox() == []
    finally:
        for client in clients:
            await client.aclose()


async def test_stewards_see_failed_writes_retry_them_and_discard_them(hub: Hub) -> None:
    await hub.worker.stop()
    hub.worker.options = WorkerOptions(max_attempts=1, base_backoff=0.01)
    hub.faults["quickbooks"].set(FaultPlan(error_rate=1.0))
    for legal_name in ("Retry Me LLC", "Discard Me LLC"):
        golden_id = await hub.golden_with("client", {"quickbooks"})
        await hub.gql(
            UPDATE_CLIENT,
            {
                "input": {
                    "id": gid("Client", golden_id),
                    "expectedVersion": await version(hub, "Client", golden_id),
                    "legalName": legal_name,
                }
            },
        )
    await hub.drain()
    queue = await hub.gql(
        """{ writeBacks(status: [FAILED, CONFLICT]) { totalCount
            edges { node { id system status attempts errorCode lastError fields } } } }""",
        role=Role.STEWARD,
    )
    nodes = [e["node"] for e in queue["writeBacks"]["edges"]]
    assert queue["writeBacks"]["totalCount"] == 2
    assert all(n["status"] == "FAILED" and n["lastError"] for n in nodes)
    ids = {n["fields"]["legalName"]: n["id"] for n in nodes}

    hub.faults["quickbooks"].clear()
    retried = await hub.gql(
        'mutation($id: ID!) { retryWriteBack(id: $id, reason: "ERP back up") '
        "{ writeBack { status attempts } errors { code } } }",
        {"id": ids["Retry Me LLC"]},
        role=Role.STEWARD,
    )
    assert retried["retryWriteBack"]["writeBack"]["status"] == "PENDING"
    discarded = await hub.gql(
        'mutation($id: ID!) { discardWriteBack(id: $id, reason: "typo, will redo") '
        "{ writeBack { status } errors { code } } }",
        {"id": ids["Discard Me LLC"]},
        role=Role.STEWARD,
    )
    assert discarded["discardWriteBack"]["writeBack"]["status"] == "DISCARDED"
    await hub.drain()
    statuses = {r.fields["legal_name"]: r.status for r in await hub.outbox()}
    assert statuses == {"Retry Me LLC": "APPLIED", "Discard Me LLC": "DISCARDED"}
    again = await hub.gql(
        'mutation($id: ID!) { discardWriteBack(id: $id, reason: "x") { errors { code } } }',
        {"id": ids["Retry Me LLC"]},
        role=Role.STEWARD,
    )
    assert again["discardWriteBack"]["errors"] == [{"code": "WRITE_BACK_NOT_RETRYABLE"}]
    async with hub.sessions() as session:
        actions = set((await session.scalars(select(AuditEntry.action))).all())
    assert {
        "client.update",
        "write_back.failed",
        "write_back.retry",
        "write_back.discard",
        "write_back.applied",
    } <= actions


async def test_guarded_fields_need_the_permission_to_write_them(hub: Hub) -> None:
    person = await hub.golden_with("resource", {"bamboohr"})
    query = """mutation($input: UpdateResourceInput!) { updateResource(input: $input) {
        errors { code field } } }"""
    base = {"id": gid("Resource", person), "expectedVersion": 1}
    for extra, field in (
        ({"dateOfBirth": "1990-01-01"}, "dateOfBirth"),
        (
            {"costRate": {"hourlyCost": "10", "currency": "USD", "effectiveFrom": "2026-01-01"}},
            "costRate",
        ),
    ):
        data = await hub.gql(query, {"input": {**base, **extra}}, role=Role.APP)
        assert data["updateResource"]["errors"] == [{"code": "FORBIDDEN", "field": field}]
    assert await hub.outbox() == []


async def test_the_version_a_mutation_returns_stays_valid_after_the_systems_confirm(
    hub: Hub,
) -> None:
    golden_id = await hub.golden_with("client", {"salesforce", "quickbooks"})
    first = (
        await hub.gql(
            UPDATE_CLIENT,
            {
                "input": {
                    "id": gid("Client", golden_id),
                    "expectedVersion": await version(hub, "Client", golden_id),
                    "name": "Step One",
                    "legalName": "Step One LLC",
                }
            },
        )
    )["updateClient"]
    await hub.drain()  # both systems confirm
    second = (
        await hub.gql(
            UPDATE_CLIENT,
            {
                "input": {
                    "id": gid("Client", golden_id),
                    "expectedVersion": first["client"]["version"],
                    "name": "Step Two",
                },
                "wait": 10,
            },
        )
    )["updateClient"]
    assert second["errors"] == []
    assert second["client"]["name"] == "Step Two"
    assert second["client"]["legalName"] == "Step One LLC"
