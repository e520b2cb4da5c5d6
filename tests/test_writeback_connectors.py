"""Each system's writer against its emulator: what is written is in the system's own API after,
stale tokens are refused, creates are idempotent, and unwritable fields are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connectors.base import Connector, PermanentError, RateLimited, RetryPolicy, StaleToken
from connectors.sandbox import (
    CREDENTIALS,
    FaultControl,
    FaultPlan,
    SandboxData,
    create_sandbox_apps,
    mount_sandbox,
    render_firm,
)
from connectors.sandbox.firm import generate_firm
from connectors.writeback import SystemWriter, WriteRequest, WriteResult, same, writer_for
from golden_records.canonical import EntityType
from hub.sync import connectors_from_credentials

E = EntityType
BASE = "http://sandbox"


class TickingClock:
    """Each reading one second later: systems stamp whole seconds, and every write must
    look newer than the one before it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(scope="module")
def data() -> SandboxData:
    return render_firm(generate_firm(5, 0.04), 5)


@dataclass
class Sandbox:
    http: httpx.AsyncClient
    connectors: dict[str, Connector]
    faults: dict[str, FaultControl]

    def writer(self, system: str) -> SystemWriter:
        return writer_for(self.connectors[system])

    async def api(self, system: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call a system's own API with its credentials (the client adds them)."""
        client = self.connectors[system].client  # type: ignore[attr-defined]
        return await client.request(method, path, **kwargs)


@pytest.fixture
async def sandbox(data: SandboxData) -> AsyncIterator[Sandbox]:
    faults = {name: FaultControl() for name in CREDENTIALS}
    apps = create_sandbox_apps(
        data, clock=TickingClock(data.as_of + timedelta(seconds=1)), faults=faults
    )
    transport = httpx.ASGITransport(app=mount_sandbox(apps))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:

        async def no_sleep(_: float) -> None:
            return None

        connectors = connectors_from_credentials(
            http,
            {name: f"{BASE}/{name}" for name in CREDENTIALS},
            CREDENTIALS,
            retry=RetryPolicy(max_attempts=2, base_delay=0.0),
            sleep=no_sleep,
        )
        yield Sandbox(http, {c.system: c for c in connectors}, faults)


def request(
    entity_type: EntityType,
    fields: dict[str, Any],
    *,
    external_id: str | None = None,
    token: str | None = None,
    key: str = "crosswalk-test-1",
) -> WriteRequest:
    return WriteRequest(
        entity_type=entity_type,
        action="update" if external_id else "create",
        external_id=external_id,
        token=token,
        fields=fields,
        idempotency_key=key,
    )


def assert_round_trip(result: WriteResult, fields: dict[str, Any]) -> None:
    """Every written field reads back through the sync stream's own mapper."""
    held = dict(result.record.attributes)
    held.update({c.removesuffix("_id"): r.external_id for c, r in result.record.refs.items()})
    for name, value in fields.items():
        assert same(held.get(name), value), f"{name}: wrote {value!r}, reads {held.get(name)!r}"


# --- Salesforce -------------------------------------------------------------------------------

SF = "/services/data/v59.0"


async def sf_account(sandbox: Sandbox, account_id: str) -> dict[str, Any]:
    body: dict[str, Any] = (
        await sandbox.api("salesforce", "GET", f"{SF}/sobjects/Account/{account_id}")
    ).json()
    return body


async def sf_rows(sandbox: Sandbox, soql: str) -> list[dict[str, Any]]:
    response = await sandbox.api("salesforce", "GET", f"{SF}/query", params={"q": soql})
    rows: list[dict[str, Any]] = response.json()["records"]
    return rows


async def test_salesforce_creates_and_updates_an_account(sandbox: Sandbox) -> None:
    writer = sandbox.writer("salesforce")
    row = (await sf_rows(sandbox, "SELECT Id, OwnerId FROM Account LIMIT 1"))[0]
    fields = {
        "name": "Northwind Analytics",
        "website": "https://www.northwind-analytics.example",
        "domain": "northwind-analytics.example",
        "industry": "Technology",
        "status": "PROSPECT",
        "parent": row["Id"],
        "account_owner": row["OwnerId"],
        "billing_address": {
            "line1": "1 Main St",
            "line2": "Suite 5",
            "city": "Boston",
            "region": "MA",
            "postal_code": "02110",
            "country": "US",
        },
    }

    created = await writer.write(request(E.CLIENT, fields))
    assert_round_trip(created, fields)
    raw = await sf_account(sandbox, created.external_id)
    assert raw["Name"] == "Northwind Analytics"
    assert raw["Website"] == "https://www.northwind-analytics.example"
    assert raw["Industry"] == "Technology"
    assert raw["Type"] == "Prospect"
    assert (raw["ParentId"], raw["OwnerId"]) == (row["Id"], row["OwnerId"])
    assert raw["BillingStreet"] == "1 Main St\nSuite 5"
    assert (raw["BillingCity"], raw["BillingPostalCode"]) == ("Boston", "02110")
    assert created.payload["Id"] == created.external_id
    assert created.record.concurrency_token == raw["LastModifiedDate"]

    change = {"name": "Northwind Analytics Inc.", "status": "ACTIVE", "industry": None}
    updated = await writer.write(
        request(
            E.CLIENT,
            change,
            external_id=created.external_id,
            token=created.record.concurrency_token,
        )
    )
    assert_round_trip(updated, change)
    raw = await sf_account(sandbox, created.external_id)
    assert (raw["Name"], raw["Type"], raw["Industry"]) == (
        "Northwind Analytics Inc.",
        "Customer - Direct",
        None,
    )
    assert raw["Website"] == "https://www.northwind-analytics.example"  # untouched


async def test_salesforce_stale_token_then_read_gives_the_fresh_one(sandbox: Sandbox) -> None:
    writer = sandbox.writer("salesforce")
    account_id = (await sf_rows(sandbox, "SELECT Id FROM Account LIMIT 1"))[0]["Id"]
    held = await writer.read(E.CLIENT, account_id)
    await sandbox.api(
        "salesforce", "PATCH", f"{SF}/sobjects/Account/{account_id}", json={"Industry": "Retail"}
    )
    stale = request(
        E.CLIENT, {"name": "Renamed"}, external_id=account_id, token=held.record.concurrency_token
    )
    with pytest.raises(StaleToken):
        await writer.write(stale)
    assert (await sf_account(sandbox, account_id))["Name"] != "Renamed"

    fresh = await writer.read(E.CLIENT, account_id)
    assert fresh.record.attributes["industry"] == "Retail"
    result = await writer.write(replace(stale, token=fresh.record.concurrency_token))
    assert (await sf_account(sandbox, account_id))["Name"] == "Renamed"
    assert result.record.concurrency_token != fresh.record.concurrency_token


async def test_salesforce_create_is_idempotent_by_crosswalk_key(sandbox: Sandbox) -> None:
    writer = sandbox.writer("salesforce")
    once = await writer.write(request(E.CLIENT, {"name": "Once Only Ltd"}, key="k-sf-1"))
    again = await writer.write(request(E.CLIENT, {"name": "Once Only Ltd"}, key="k-sf-1"))
    assert again.external_id == once.external_id
    rows = await sf_rows(sandbox, "SELECT Id FROM Account WHERE Name = 'Once Only Ltd'")
    assert [r["Id"] for r in rows] == [once.external_id]


# --- QuickBooks -------------------------------------------------------------------------------


async def qbo_customer(sandbox: Sandbox, customer_id: str) -> dict[str, Any]:
    client = sandbox.connectors["quickbooks"].client  # type: ignore[attr-defined]
    response = await sandbox.api(
        "quickbooks", "GET", f"{client.company_path}/customer/{customer_id}"
    )
    body: dict[str, Any] = response.json()["Customer"]
    return body


async def qbo_query(sandbox: Sandbox, statement: str) -> list[dict[str, Any]]:
    client = sandbox.connectors["quickbooks"].client  # type: ignore[attr-defined]
    response = await sandbox.api(
        "quickbooks", "GET", f"{client.company_path}/query", params={"query": statement}
    )
    rows: list[dict[str, Any]] = response.json()["QueryResponse"].get("Customer", [])
    return rows


async def test_quickbooks_creates_and_updates_a_customer(sandbox: Sandbox) -> None:
    writer = sandbox.writer("quickbooks")
    fields = {
        "name": "Contoso Consulting",
        "legal_name": "Contoso Consulting GmbH",
        "currency": "EUR",
        "payment_terms": "NET_45",
        "tax_id": "DE123456789",
        "billing_address": {
            "line1": "Hauptstr. 1",
            "line2": None,
            "city": "Berlin",
            "region": "BE",
            "postal_code": "10115",
            "country": "DE",
        },
    }
    created = await writer.write(request(E.CLIENT, fields))
    assert_round_trip(created, fields)
    raw = await qbo_customer(sandbox, created.external_id)
    assert raw["DisplayName"] == "Contoso Consulting"
    assert raw["CompanyName"] == "Contoso Consulting GmbH"
    assert raw["CurrencyRef"]["value"] == "EUR"
    assert raw["SalesTermRef"]["name"] == "Net 45"
    assert raw["PrimaryTaxIdentifier"] == "DE123456789"
    assert raw["BillAddr"]["City"] == "Berlin"
    assert created.record.concurrency_token == raw["SyncToken"] == "0"

    change = {"legal_name": "Contoso Consulting AG", "payment_terms": "NET_15"}
    updated = await writer.write(
        request(E.CLIENT, change, external_id=created.external_id, token="0")
    )
    assert_round_trip(updated, change)
    raw = await qbo_customer(sandbox, created.external_id)
    assert (raw["CompanyName"], raw["SalesTermRef"]["name"]) == ("Contoso Consulting AG", "Net 15")
    assert raw["DisplayName"] == "Contoso Consulting"  # a sparse update left it alone


async def test_quickbooks_refuses_changing_a_customers_currency(sandbox: Sandbox) -> None:
    writer = sandbox.writer("quickbooks")
    created = await writer.write(request(E.CLIENT, {"name": "Fixed Currency", "currency": "USD"}))
    with pytest.raises(PermanentError, match="currency"):
        await writer.write(
            request(E.CLIENT, {"currency": "GBP"}, external_id=created.external_id, token="0")
        )


async def test_quickbooks_creates_a_job_with_its_contract_amount(sandbox: Sandbox) -> None:
    writer = sandbox.writer("quickbooks")
    parent = await writer.write(request(E.CLIENT, {"name": "Job Parent", "currency": "CAD"}))
    fields = {
        "name": "Data platform",
        "client": parent.external_id,
        "budget_amount": Decimal("120000.50"),
    }
    job = await writer.write(request(E.PROJECT, fields, key="k-job"))
    assert_round_trip(job, fields)
    raw = await qbo_customer(sandbox, job.external_id)
    assert raw["Job"] is True
    assert raw["ParentRef"]["value"] == parent.external_id
    assert "120000.50" in raw["Notes"]
    assert job.record.attributes["currency"] == "CAD"  # a job bills in its parent's currency

    # a note of someone's own survives a new contract amount
    await sandbox.api(
        "quickbooks",
        "POST",
        f"{sandbox.connectors['quickbooks'].client.company_path}/customer",  # type: ignore[attr-defined]
        json={
            "Id": job.external_id,
            "SyncToken": "0",
            "sparse": True,
            "Notes": raw["Notes"] + "\nCall Ann first",
        },
    )
    fresh = await writer.read(E.PROJECT, job.external_id)
    change = {"budget_amount": Decimal("99000")}
    updated = await writer.write(
        request(
            E.PROJECT, change, external_id=job.external_id, token=fresh.record.concurrency_token
        )
    )
    assert_round_trip(updated, change)
    notes = (await qbo_customer(sandbox, job.external_id))["Notes"]
    assert "Call Ann first" in notes and "99000" in notes and "120000.50" not in notes


async def test_quickbooks_stale_sync_token_then_read(sandbox: Sandbox) -> None:
    writer = sandbox.writer("quickbooks")
    created = await writer.write(request(E.CLIENT, {"name": "Stale Co"}))
    client = sandbox.connectors["quickbooks"].client  # type: ignore[attr-defined]
    await sandbox.api(
        "quickbooks",
        "POST",
        f"{client.company_path}/customer",
        json={"Id": created.external_id, "SyncToken": "0", "sparse": True, "Notes": "changed"},
    )
    stale = request(
        E.CLIENT, {"legal_name": "Stale Co Ltd"}, external_id=created.external_id, token="0"
    )
    with pytest.raises(StaleToken):
        await writer.write(stale)
    fresh = await writer.read(E.CLIENT, created.external_id)
    assert fresh.record.concurrency_token == "1"
    result = await writer.write(replace(stale, token="1"))
    assert (await qbo_customer(sandbox, result.external_id))["CompanyName"] == "Stale Co Ltd"


async def test_quickbooks_create_is_idempotent_by_requestid(sandbox: Sandbox) -> None:
    writer = sandbox.writer("quickbooks")
    once = await writer.write(request(E.CLIENT, {"name": "Only One Inc"}, key="k-qbo-1"))
    # Without requestid QuickBooks would refuse a second "Only One Inc" (duplicate name);
    # with it, the original answer comes back.
    again = await writer.write(request(E.CLIENT, {"name": "Only One Inc"}, key="k-qbo-1"))
    assert again.external_id == once.external_id
    rows = await qbo_query(sandbox, "select * from Customer where DisplayName = 'Only One Inc'")
    assert len(rows) == 1


# --- Harvest ----------------------------------------------------------------------------------


async def harvest(sandbox: Sandbox, path: str, **params: Any) -> Any:
    return (await sandbox.api("harvest", "GET", path, params=params or None)).json()


async def test_harvest_creates_and_updates_a_client(sandbox: Sandbox) -> None:
    writer = sandbox.writer("harvest")
    fields = {"name": "Fabrikam Partners", "currency": "GBP", "status": "ACTIVE"}
    created = await writer.write(request(E.CLIENT, fields))
    assert_round_trip(created, fields)
    raw = await harvest(sandbox, f"/v2/clients/{created.external_id}")
    assert (raw["name"], raw["currency"], raw["is_active"]) == ("Fabrikam Partners", "GBP", True)

    change = {"status": "INACTIVE", "name": "Fabrikam Partners LLP"}
    updated = await writer.write(
        request(
            E.CLIENT,
            change,
            external_id=created.external_id,
            token=created.record.concurrency_token,
        )
    )
    assert_round_trip(updated, change)
    raw = await harvest(sandbox, f"/v2/clients/{created.external_id}")
    assert (raw["name"], raw["is_active"]) == ("Fabrikam Partners LLP", False)


async def test_harvest_client_create_is_idempotent_by_name(sandbox: Sandbox) -> None:
    writer = sandbox.writer("harvest")
    once = await writer.write(request(E.CLIENT, {"name": "Single Harvest Co", "currency": "USD"}))
    again = await writer.write(request(E.CLIENT, {"name": "Single Harvest Co", "currency": "USD"}))
    assert again.external_id == once.external_id
    clients = (await harvest(sandbox, "/v2/clients"))["clients"]
    assert [c["id"] for c in clients if c["name"] == "Single Harvest Co"] == [int(once.external_id)]


async def test_harvest_creates_and_updates_a_project(sandbox: Sandbox) -> None:
    writer = sandbox.writer("harvest")
    client = await writer.write(request(E.CLIENT, {"name": "Project Owner Co", "currency": "EUR"}))
    fields = {
        "client": client.external_id,
        "name": "Pricing study",
        "code": "PS-01",
        "status": "PROPOSED",
        "billing_type": "FIXED_FEE",
        "start_date": date(2027, 2, 1),
        "end_date": date(2027, 6, 30),
        "budget_hours": Decimal("320"),
        "bill_rate": Decimal("185.50"),
        "currency": "EUR",
    }
    created = await writer.write(request(E.PROJECT, fields, key="k-hp"))
    # Harvest keeps only active/archived: PROPOSED reads back as ACTIVE.
    assert_round_trip(created, {**fields, "status": "ACTIVE"})
    raw = await harvest(sandbox, f"/v2/projects/{created.external_id}")
    assert raw["client"]["id"] == int(client.external_id)
    assert (raw["name"], raw["code"], raw["is_active"]) == ("Pricing study", "PS-01", True)
    assert (raw["is_billable"], raw["is_fixed_fee"]) == (True, True)
    assert (raw["starts_on"], raw["ends_on"]) == ("2027-02-01", "2027-06-30")
    assert (raw["budget_by"], raw["budget"]) == ("project", 320)
    assert (raw["bill_by"], raw["hourly_rate"]) == ("Project", 185.5)

    again = await writer.write(request(E.PROJECT, fields, key="k-hp"))
    assert again.external_id == created.external_id
    listed = (await harvest(sandbox, "/v2/projects", client_id=client.external_id))["projects"]
    assert len(listed) == 1

    change = {"status": "CANCELLED", "billing_type": "NON_BILLABLE", "bill_rate": None}
    updated = await writer.write(
        request(
            E.PROJECT,
            change,
            external_id=created.external_id,
            token=created.record.concurrency_token,
        )
    )
    assert_round_trip(updated, {**change, "status": "COMPLETED"})
    raw = await harvest(sandbox, f"/v2/projects/{created.external_id}")
    assert (raw["is_active"], raw["is_billable"], raw["bill_by"]) == (False, False, "none")


async def test_harvest_refuses_a_project_currency_other_than_its_clients(sandbox: Sandbox) -> None:
    writer = sandbox.writer("harvest")
    client = await writer.write(request(E.CLIENT, {"name": "Euro Client", "currency": "EUR"}))
    with pytest.raises(PermanentError, match="client's currency"):
        await writer.write(
            request(E.PROJECT, {"client": client.external_id, "name": "X", "currency": "USD"})
        )


async def test_harvest_updates_a_default_bill_rate_and_refuses_stale_tokens(
    sandbox: Sandbox,
) -> None:
    writer = sandbox.writer("harvest")
    user = (await harvest(sandbox, "/v2/users"))["users"][0]
    held = await writer.read(E.RESOURCE, str(user["id"]))
    await sandbox.api("harvest", "PATCH", f"/v2/users/{user['id']}", json={"telephone": "555-0100"})
    stale = request(
        E.RESOURCE,
        {"default_bill_rate": Decimal("210")},
        external_id=str(user["id"]),
        token=held.record.concurrency_token,
    )
    with pytest.raises(StaleToken):
        await writer.write(stale)
    fresh = await writer.read(E.RESOURCE, str(user["id"]))
    result = await writer.write(replace(stale, token=fresh.record.concurrency_token))
    assert_round_trip(result, {"default_bill_rate": Decimal("210")})
    assert (await harvest(sandbox, f"/v2/users/{user['id']}"))["default_hourly_rate"] == 210


# --- BambooHR ---------------------------------------------------------------------------------


async def bamboo_employee(sandbox: Sandbox, employee_id: str, fields: str) -> dict[str, Any]:
    response = await sandbox.api(
        "bamboohr", "GET", f"/v1/employees/{employee_id}/", params={"fields": fields}
    )
    body: dict[str, Any] = response.json()
    return body


async def test_bamboohr_updates_identity_fields(sandbox: Sandbox) -> None:
    writer = sandbox.writer("bamboohr")
    directory = (await sandbox.api("bamboohr", "GET", "/v1/employees/directory")).json()
    employee_id, manager_id = (str(e["id"]) for e in directory["employees"][:2])
    held = await writer.read(E.RESOURCE, employee_id)
    fields = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada.lovelace@acme.example",
        "phone": "+1 617 555 0101",
        "title": "Principal",
        "department": "Advisory",
        "manager": manager_id,
        "employment_type": "CONTRACTOR",
        "status": "ACTIVE",
        "hire_date": date(2020, 3, 2),
        "termination_date": None,
        "office": "Boston",
        "region": "North America",
        "date_of_birth": date(1985, 12, 10),
        "national_id": "123-45-6789",
        "home_address": {
            "line1": "12 Elm St",
            "line2": None,
            "city": "Cambridge",
            "region": "MA",
            "postal_code": "02139",
            "country": "United States",
        },
    }
    result = await writer.write(
        request(E.RESOURCE, fields, external_id=employee_id, token=held.record.concurrency_token)
    )
    assert_round_trip(result, fields)
    raw = await bamboo_employee(
        sandbox,
        employee_id,
        "firstName,lastName,workEmail,workPhone,jobTitle,department,supervisorEId,"
        "employmentHistoryStatus,status,hireDate,location,division,dateOfBirth,ssn,address1,city,zipcode",
    )
    assert (raw["firstName"], raw["lastName"], raw["workEmail"]) == (
        "Ada",
        "Lovelace",
        "ada.lovelace@acme.example",
    )
    assert (raw["jobTitle"], raw["department"], raw["supervisorEId"]) == (
        "Principal",
        "Advisory",
        manager_id,
    )
    assert (raw["employmentHistoryStatus"], raw["status"]) == ("Contractor", "Active")
    assert (raw["hireDate"], raw["dateOfBirth"], raw["ssn"]) == (
        "2020-03-02",
        "1985-12-10",
        "123-45-6789",
    )
    assert (raw["location"], raw["division"]) == ("Boston", "North America")
    assert (raw["address1"], raw["city"], raw["zipcode"]) == ("12 Elm St", "Cambridge", "02139")


async def test_bamboohr_stale_token_then_read(sandbox: Sandbox) -> None:
    writer = sandbox.writer("bamboohr")
    directory = (await sandbox.api("bamboohr", "GET", "/v1/employees/directory")).json()
    employee_id = str(directory["employees"][0]["id"])
    held = await writer.read(E.RESOURCE, employee_id)
    await sandbox.api(
        "bamboohr", "POST", f"/v1/employees/{employee_id}/", json={"jobTitle": "Partner"}
    )
    stale = request(
        E.RESOURCE,
        {"department": "Tax"},
        external_id=employee_id,
        token=held.record.concurrency_token,
    )
    with pytest.raises(StaleToken):
        await writer.write(stale)
    fresh = await writer.read(E.RESOURCE, employee_id)
    result = await writer.write(replace(stale, token=fresh.record.concurrency_token))
    assert result.record.attributes["department"] == "Tax"
    assert result.record.attributes["title"] == "Partner"


async def test_bamboohr_refuses_what_it_cannot_hold(sandbox: Sandbox) -> None:
    writer = sandbox.writer("bamboohr")
    directory = (await sandbox.api("bamboohr", "GET", "/v1/employees/directory")).json()
    employee_id = str(directory["employees"][0]["id"])
    with pytest.raises(PermanentError, match="contractor cannot also be on leave"):
        await writer.write(
            request(
                E.RESOURCE,
                {"status": "ON_LEAVE", "employment_type": "CONTRACTOR"},
                external_id=employee_id,
            )
        )
    with pytest.raises(PermanentError, match="only updates"):
        await writer.write(request(E.RESOURCE, {"given_name": "New"}))


# --- Gusto ------------------------------------------------------------------------------------


async def test_gusto_creates_a_cost_rate_once_and_updates_it(sandbox: Sandbox) -> None:
    writer = sandbox.writer("gusto")
    client = sandbox.connectors["gusto"].client  # type: ignore[attr-defined]
    employees = (
        await sandbox.api("gusto", "GET", f"/v1/companies/{client.company_uuid}/employees")
    ).json()
    employee_uuid = employees[0]["uuid"]
    fields = {
        "resource": employee_uuid,
        "hourly_cost": Decimal("87.25"),
        "effective_from": date(2027, 4, 1),
        "currency": "USD",
    }
    created = await writer.write(request(E.COST_RATE, fields, key="k-gusto"))
    assert_round_trip(created, fields)
    raw = (await sandbox.api("gusto", "GET", f"/v1/compensations/{created.external_id}")).json()
    assert (raw["rate"], raw["payment_unit"], raw["effective_date"]) == (
        "87.25",
        "Hour",
        "2027-04-01",
    )
    assert created.payload["employee_uuid"] == employee_uuid

    again = await writer.write(request(E.COST_RATE, fields, key="k-gusto"))
    assert again.external_id == created.external_id
    jobs = (await sandbox.api("gusto", "GET", f"/v1/employees/{employee_uuid}/jobs")).json()
    dated = [c for j in jobs for c in j["compensations"] if c["effective_date"] == "2027-04-01"]
    assert len(dated) == 1

    # stale version: someone changed the compensation meanwhile
    await sandbox.api(
        "gusto",
        "PUT",
        f"/v1/compensations/{created.external_id}",
        json={"version": raw["version"], "flsa_status": "Exempt"},
    )
    stale = request(
        E.COST_RATE,
        {"hourly_cost": Decimal("90")},
        external_id=created.external_id,
        token=created.record.concurrency_token,
    )
    with pytest.raises(StaleToken):
        await writer.write(stale)
    fresh = await writer.read(E.COST_RATE, created.external_id)
    updated = await writer.write(replace(stale, token=fresh.record.concurrency_token))
    assert_round_trip(updated, {"hourly_cost": Decimal("90")})
    raw = (await sandbox.api("gusto", "GET", f"/v1/compensations/{created.external_id}")).json()
    assert raw["rate"] == "90.00"


async def test_gusto_refuses_currencies_and_fractions_of_a_cent(sandbox: Sandbox) -> None:
    writer = sandbox.writer("gusto")
    with pytest.raises(PermanentError, match="US dollars"):
        await writer.write(request(E.RESOURCE, {"currency": "EUR"}, external_id="x"))
    with pytest.raises(PermanentError, match="decimal places"):
        await writer.write(
            request(E.COST_RATE, {"resource": "x", "hourly_cost": Decimal("10.125")})
        )


# --- every system -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "entity_type", "field"),
    [
        ("salesforce", E.CLIENT, "legal_name"),
        ("quickbooks", E.CLIENT, "website"),
        ("harvest", E.PROJECT, "project_manager"),
        ("bamboohr", E.RESOURCE, "default_bill_rate"),
        ("gusto", E.COST_RATE, "effective_to"),
    ],
)
async def test_a_field_the_system_cannot_hold_is_refused(
    sandbox: Sandbox, system: str, entity_type: EntityType, field: str
) -> None:
    writer = sandbox.writer(system)
    assert field not in writer.writable(entity_type)
    with pytest.raises(PermanentError, match=field) as refused:
        await writer.write(request(entity_type, {field: "1"}, external_id="1"))
    assert refused.value.field == field


async def throttled_request(sandbox: Sandbox, system: str) -> WriteRequest:
    """A write each system takes, found before the throttling starts."""
    if system == "bamboohr":
        directory = (await sandbox.api("bamboohr", "GET", "/v1/employees/directory")).json()
        employee_id = str(directory["employees"][0]["id"])
        return request(E.RESOURCE, {"title": "Throttled"}, external_id=employee_id)
    if system == "gusto":
        client = sandbox.connectors["gusto"].client  # type: ignore[attr-defined]
        employees = (
            await sandbox.api("gusto", "GET", f"/v1/companies/{client.company_uuid}/employees")
        ).json()
        return request(
            E.COST_RATE, {"resource": employees[0]["uuid"], "hourly_cost": Decimal("50")}
        )
    return request(E.CLIENT, {"name": "Throttled"})


@pytest.mark.parametrize("system", list(CREDENTIALS))
async def test_throttling_surfaces_as_rate_limited_once_retries_are_spent(
    sandbox: Sandbox, system: str
) -> None:
    write = await throttled_request(sandbox, system)
    sandbox.faults[system].set(FaultPlan(throttle_rate=1.0, retry_after=0))
    with pytest.raises(RateLimited):
        await sandbox.writer(system).write(write)
    sandbox.faults[system].clear()
    assert (await sandbox.writer(system).write(write)).external_id


async def sync_rows(sandbox: Sandbox, system: str, stream: str) -> list[dict[str, Any]]:
    connector = sandbox.connectors[system]
    return [
        r async for page in connector.pages(connector.stream(stream), None) for r in page.records
    ]


@pytest.mark.parametrize(
    ("system", "stream", "entity_type", "key"),
    [
        ("salesforce", "Account", E.CLIENT, "Id"),
        ("quickbooks", "Customer", E.CLIENT, "Id"),
        ("quickbooks", "Job", E.PROJECT, "Id"),
        ("harvest", "projects", E.PROJECT, "id"),
        ("harvest", "users", E.RESOURCE, "id"),
        ("bamboohr", "employees", E.RESOURCE, "id"),
        ("gusto", "compensations", E.COST_RATE, "uuid"),
    ],
)
async def test_read_gives_the_payload_and_mapping_the_sync_stream_has(
    sandbox: Sandbox, system: str, stream: str, entity_type: EntityType, key: str
) -> None:
    row = (await sync_rows(sandbox, system, stream))[-1]
    mapped = sandbox.connectors[system].stream(stream).map(row)
    result = await sandbox.writer(system).read(entity_type, str(row[key]))
    assert result.payload == row
    assert result.external_id == mapped.external_id
    assert result.record == mapped


async def test_salesforce_if_unmodified_since_is_sent_and_a_412_is_a_stale_token(
    sandbox: Sandbox,
) -> None:
    from connectors.salesforce.writes import update_record

    client = sandbox.connectors["salesforce"].client  # type: ignore[attr-defined]
    account_id = (await sf_rows(sandbox, "SELECT Id FROM Account LIMIT 1"))[0]["Id"]
    before = (await sf_account(sandbox, account_id))["LastModifiedDate"]
    await update_record(client, "Account", account_id, {"Industry": "Retail"}, last_modified=before)
    with pytest.raises(StaleToken) as raised:
        await update_record(client, "Account", account_id, {"Name": "Lost"}, last_modified=before)
    assert raised.value.status == 412
    assert (await sf_account(sandbox, account_id))["Name"] != "Lost"
