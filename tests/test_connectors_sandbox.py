"""Each connector against its emulator: paging and change cursors, and writes with tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette

from connectors.bamboohr import BambooHRConnector
from connectors.bamboohr import writes as bamboohr_writes
from connectors.base import Connector, RetryPolicy, StaleToken
from connectors.gusto import GustoConnector
from connectors.gusto import writes as gusto_writes
from connectors.harvest import HarvestConnector
from connectors.harvest import writes as harvest_writes
from connectors.quickbooks import QuickBooksConnector
from connectors.quickbooks import writes as quickbooks_writes
from connectors.salesforce import SalesforceConnector
from connectors.salesforce import writes as salesforce_writes
from connectors.sandbox import salesforce as salesforce_sandbox
from connectors.sandbox.apps import CREDENTIALS, create_sandbox_apps
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.render import SandboxData, render_firm
from hub.sync import connectors_from_credentials

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)


@pytest.fixture(scope="module")
def data() -> SandboxData:
    return render_firm(generate_firm(11, 0.1), 11)


@pytest.fixture
async def connectors(data: SandboxData) -> AsyncIterator[dict[str, Connector]]:
    apps = create_sandbox_apps(data)
    app = Starlette()
    for name, sub in apps.items():
        app.mount(f"/{name}", sub)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        urls = {name: f"http://sandbox/{name}" for name in apps}
        built = connectors_from_credentials(http, urls, CREDENTIALS, retry=FAST)
        yield {c.system: c for c in built}


async def all_records(connector: Connector, stream: str) -> list[dict[str, object]]:
    return [r async for p in connector.pages(connector.stream(stream), None) for r in p.records]


async def test_salesforce_query_follows_next_records_url(data: SandboxData) -> None:
    store = salesforce_sandbox.SalesforceStore(data.records["salesforce"], batch_size=20)
    app = salesforce_sandbox.create_app(store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        [connector] = connectors_from_credentials(
            http, {"salesforce": "http://sf"}, CREDENTIALS, retry=FAST
        )
        pages = [p async for p in connector.pages(connector.stream("Opportunity"), None)]
    expected = len(data.records["salesforce"]["Opportunity"])
    assert expected > 20 and len(pages) == -(-expected // 20)
    assert sum(len(p.records) for p in pages) == expected


async def test_salesforce_update_and_create(connectors: dict[str, Connector]) -> None:
    sf = connectors["salesforce"]
    assert isinstance(sf, SalesforceConnector)
    account = (await all_records(sf, "Account"))[0]
    await salesforce_writes.update_record(
        sf.client, "Account", str(account["Id"]), {"Name": "Renamed Ltd"}
    )
    new_id = await salesforce_writes.create_record(sf.client, "Account", {"Name": "New Co"})
    names = {r["Id"]: r["Name"] for r in await all_records(sf, "Account")}
    assert names[account["Id"]] == "Renamed Ltd" and names[new_id] == "New Co"


async def test_harvest_update_refuses_a_stale_updated_at(
    connectors: dict[str, Connector],
) -> None:
    harvest = connectors["harvest"]
    assert isinstance(harvest, HarvestConnector)
    client = (await all_records(harvest, "clients"))[0]
    updated = await harvest_writes.update(
        harvest.client,
        "clients",
        str(client["id"]),
        {"name": "Fresh Name"},
        updated_at=str(client["updated_at"]),
    )
    assert updated["name"] == "Fresh Name"
    with pytest.raises(StaleToken):
        await harvest_writes.update(
            harvest.client,
            "clients",
            str(client["id"]),
            {"name": "Lost update"},
            updated_at=str(client["updated_at"]),
        )


async def test_quickbooks_sparse_update_with_sync_token(
    connectors: dict[str, Connector],
) -> None:
    qbo = connectors["quickbooks"]
    assert isinstance(qbo, QuickBooksConnector)
    customer = (await all_records(qbo, "Customer"))[0]
    token = str(customer["SyncToken"])
    updated = await quickbooks_writes.sparse_update(
        qbo.client, "Customer", str(customer["Id"]), token, {"CompanyName": "Legal Name Inc"}
    )
    assert updated["CompanyName"] == "Legal Name Inc" and updated["SyncToken"] != token
    with pytest.raises(StaleToken):
        await quickbooks_writes.sparse_update(
            qbo.client, "Customer", str(customer["Id"]), token, {"CompanyName": "Lost"}
        )


async def test_quickbooks_incremental_uses_cdc(connectors: dict[str, Connector]) -> None:
    qbo = connectors["quickbooks"]
    assert isinstance(qbo, QuickBooksConnector)
    invoices = await all_records(qbo, "Invoice")
    newest = max(qbo.stream("Invoice").map(i).source_updated_at for i in invoices)  # type: ignore[type-var]
    assert newest is not None
    changed = [r async for p in qbo.pages(qbo.stream("Invoice"), newest) for r in p.records]
    assert changed == []
    customers = [
        r
        async for p in qbo.pages(qbo.stream("Customer"), newest - timedelta(days=3650))
        for r in p.records
    ]
    assert customers  # the CDC window reaches back to the seed


async def test_bamboohr_update_then_changed_since(connectors: dict[str, Connector]) -> None:
    bamboo = connectors["bamboohr"]
    assert isinstance(bamboo, BambooHRConnector)
    employees = await all_records(bamboo, "employees")
    target = employees[0]
    mapped = bamboo.stream("employees").map(target)
    await bamboohr_writes.update_employee(
        bamboo.client,
        str(target["id"]),
        {"jobTitle": "Principal"},
        last_changed=mapped.concurrency_token,
    )
    since = max(
        e.source_updated_at
        for e in map(bamboo.stream("employees").map, employees)
        if e.source_updated_at
    )
    changed = [r async for p in bamboo.pages(bamboo.stream("employees"), since) for r in p.records]
    assert [str(r["id"]) for r in changed] == [str(target["id"])]
    assert changed[0]["jobTitle"] == "Principal"


async def test_gusto_update_carries_the_version(connectors: dict[str, Connector]) -> None:
    gusto = connectors["gusto"]
    assert isinstance(gusto, GustoConnector)
    employee = (await all_records(gusto, "employees"))[0]
    version = str(employee["version"])
    updated = await gusto_writes.update_employee(
        gusto.client, str(employee["uuid"]), version, {"first_name": "Kim"}
    )
    assert updated["first_name"] == "Kim" and updated["version"] != version
    with pytest.raises(StaleToken):
        await gusto_writes.update_employee(
            gusto.client, str(employee["uuid"]), version, {"first_name": "Lost"}
        )
