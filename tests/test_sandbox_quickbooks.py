"""Contract tests for the emulated QuickBooks Online API (connectors/sandbox/quickbooks.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.sandbox import FaultPlan, render_firm
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.quickbooks import REALM_ID, TOKEN, QuickBooksStore, create_app

BASE = f"/v3/company/{REALM_ID}"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def seed() -> dict[str, list[dict[str, object]]]:
    return render_firm(generate_firm(3, 0.05), 3).records["quickbooks"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def client(store: QuickBooksStore) -> httpx.AsyncClient:
    app = create_app(store)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://qbo")


async def run(http: httpx.AsyncClient, statement: str) -> httpx.Response:
    return await http.get(
        f"{BASE}/query", params={"query": statement, "minorversion": "75"}, headers=AUTH
    )


async def test_bad_token_gets_the_lower_case_authentication_fault(seed, clock) -> None:
    async with client(QuickBooksStore(seed, clock=clock)) as http:
        response = await http.get(f"{BASE}/query", params={"query": "select * from Customer"})
    assert response.status_code == 401
    assert response.json()["fault"]["error"][0]["code"] == "3200"
    assert response.json()["fault"]["type"] == "AUTHENTICATION"


async def test_query_pages_with_startposition_and_maxresults(seed, clock) -> None:
    everyone = "select * from Customer where Active in (true, false)"
    total = len(seed["Customer"])
    async with client(QuickBooksStore(seed, clock=clock)) as http:
        first = (await run(http, f"{everyone} orderby Id STARTPOSITION 1 MAXRESULTS 5")).json()
        second = (await run(http, f"{everyone} orderby Id STARTPOSITION 6 MAXRESULTS 5")).json()
        count = await run(http, "select count(*) from Customer where Active in (true, false)")
        beyond = (await run(http, f"{everyone} STARTPOSITION {total + 1} MAXRESULTS 5")).json()
    page = first["QueryResponse"]
    assert page["startPosition"] == 1 and page["maxResults"] == 5
    assert second["QueryResponse"]["startPosition"] == 6
    ids = [int(c["Id"]) for c in page["Customer"] + second["QueryResponse"]["Customer"]]
    assert ids == sorted(ids) and len(set(ids)) == 10
    customer = page["Customer"][0]
    assert {"Id", "SyncToken", "DisplayName", "MetaData"} <= set(customer)
    assert set(customer["MetaData"]) == {"CreateTime", "LastUpdatedTime"}
    assert count.json()["QueryResponse"] == {"totalCount": total}
    assert beyond["QueryResponse"] == {}
    assert "time" in first


async def test_inactive_customers_are_hidden_unless_asked_for(seed, clock) -> None:
    inactive = [c for c in seed["Customer"] if not c["Active"]]
    assert inactive, "the seed should contain inactive customers"
    async with client(QuickBooksStore(seed, clock=clock)) as http:
        default = (await run(http, "select * from Customer MAXRESULTS 1000")).json()
        only = await run(http, "select * from Customer where Active = false MAXRESULTS 1000")
    assert all(c["Active"] for c in default["QueryResponse"]["Customer"])
    assert len(only.json()["QueryResponse"]["Customer"]) == len(inactive)


async def test_malformed_query_gets_a_parser_fault(seed, clock) -> None:
    async with client(QuickBooksStore(seed, clock=clock)) as http:
        response = await run(http, "select * from Customer where")
    assert response.status_code == 400
    error = response.json()["Fault"]["Error"][0]
    assert error["code"] == "4000" and set(error) >= {"Message", "Detail", "code"}


async def test_sparse_update_bumps_synctoken_and_stale_token_faults(seed, clock) -> None:
    customer = next(c for c in seed["Customer"] if c["Active"])
    async with client(QuickBooksStore(seed, clock=clock)) as http:
        clock.now += timedelta(hours=1)
        updated = await http.post(
            f"{BASE}/customer",
            json={
                "Id": customer["Id"],
                "SyncToken": customer["SyncToken"],
                "sparse": True,
                "DisplayName": "Renamed Customer",
            },
            headers=AUTH,
        )
        stale = await http.post(
            f"{BASE}/customer",
            json={
                "Id": customer["Id"],
                "SyncToken": customer["SyncToken"],
                "sparse": True,
                "DisplayName": "Lost Update",
            },
            headers=AUTH,
        )
        fetched = await http.get(f"{BASE}/customer/{customer['Id']}", headers=AUTH)
    body = updated.json()["Customer"]
    assert updated.status_code == 200
    assert body["SyncToken"] == str(int(customer["SyncToken"]) + 1)
    assert body["DisplayName"] == "Renamed Customer"
    assert body["CompanyName"] == customer["CompanyName"]  # sparse: the rest is kept
    assert body["MetaData"]["LastUpdatedTime"] == "2027-01-02T10:00:00-00:00"
    assert stale.status_code == 400
    error = stale.json()["Fault"]["Error"][0]
    assert error["code"] == "5010" and error["Message"] == "Stale Object Error"
    assert fetched.json()["Customer"]["DisplayName"] == "Renamed Customer"


async def test_cdc_reports_changes_and_deletions_since(seed, clock) -> None:
    invoice = seed["Invoice"][0]
    customer = next(c for c in seed["Customer"] if c["Active"])
    since = "2027-01-02T09:00:00Z"
    async with client(QuickBooksStore(seed, clock=clock)) as http:
        empty = await http.get(
            f"{BASE}/cdc",
            params={"entities": "Customer,Invoice", "changedSince": since},
            headers=AUTH,
        )
        clock.now += timedelta(minutes=10)
        await http.post(
            f"{BASE}/customer",
            json={
                "Id": customer["Id"],
                "SyncToken": customer["SyncToken"],
                "sparse": True,
                "Notes": "changed",
            },
            headers=AUTH,
        )
        await http.post(
            f"{BASE}/invoice",
            params={"operation": "delete"},
            json={"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]},
            headers=AUTH,
        )
        changed = await http.get(
            f"{BASE}/cdc",
            params={"entities": "Customer,Invoice", "changedSince": since},
            headers=AUTH,
        )
        too_old = await http.get(
            f"{BASE}/cdc",
            params={"entities": "Customer", "changedSince": "2026-01-01T00:00:00Z"},
            headers=AUTH,
        )
        gone = await http.get(f"{BASE}/invoice/{invoice['Id']}", headers=AUTH)
    assert [q.get("Customer") for q in empty.json()["CDCResponse"][0]["QueryResponse"]] == [
        None,
        None,
    ]
    customers, invoices = changed.json()["CDCResponse"][0]["QueryResponse"]
    assert [c["Id"] for c in customers["Customer"]] == [customer["Id"]]
    assert invoices["Invoice"][0]["Id"] == invoice["Id"]
    assert invoices["Invoice"][0]["status"] == "Deleted"
    assert too_old.status_code == 400
    assert gone.status_code == 400 and gone.json()["Fault"]["Error"][0]["code"] == "610"


async def test_create_invoice_needs_a_real_customer(seed, clock) -> None:
    customer = seed["Customer"][0]
    async with client(QuickBooksStore(seed, clock=clock)) as http:
        bad = await http.post(
            f"{BASE}/invoice",
            json={"CustomerRef": {"value": "999999"}, "Line": []},
            headers=AUTH,
        )
        good = await http.post(
            f"{BASE}/invoice",
            json={
                "CustomerRef": {"value": customer["Id"]},
                "TotalAmt": 100.0,
                "Line": [
                    {
                        "Amount": 100.0,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                ],
            },
            headers=AUTH,
        )
    assert bad.status_code == 400 and bad.json()["Fault"]["Error"][0]["code"] == "2500"
    invoice = good.json()["Invoice"]
    assert invoice["SyncToken"] == "0" and invoice["Balance"] == 100.0


async def test_throttling_is_a_429_fault(seed, clock) -> None:
    app = create_app(QuickBooksStore(seed, clock=clock))
    app.state.faults.set(FaultPlan(throttle_rate=1.0, retry_after=3))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://qbo") as http:
        response = await run(http, "select * from Customer")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json()["Fault"]["Error"][0]["code"] == "3001"


async def test_a_repeated_requestid_gets_the_original_response(seed, clock) -> None:
    params = {"minorversion": "75", "requestid": "req-1"}
    async with client(QuickBooksStore(seed, clock=clock)) as http:
        first = await http.post(
            f"{BASE}/customer", params=params, json={"DisplayName": "Once Co"}, headers=AUTH
        )
        again = await http.post(
            f"{BASE}/customer", params=params, json={"DisplayName": "Once Co"}, headers=AUTH
        )
        other = await http.post(
            f"{BASE}/customer",
            params={**params, "requestid": "req-2"},
            json={"DisplayName": "Once Co"},
            headers=AUTH,
        )
        found = await run(http, "select * from Customer where DisplayName = 'Once Co'")
    assert first.status_code == again.status_code == 200
    assert again.json()["Customer"] == first.json()["Customer"]
    assert other.status_code == 400  # a new request: the name is taken now
    assert other.json()["Fault"]["Error"][0]["code"] == "6240"
    assert len(found.json()["QueryResponse"]["Customer"]) == 1


async def test_currency_is_fixed_once_set_and_jobs_take_their_parents(seed, clock) -> None:
    async with client(QuickBooksStore(seed, clock=clock)) as http:
        parent = (
            await http.post(
                f"{BASE}/customer",
                json={"DisplayName": "Parent Co", "CurrencyRef": {"value": "EUR"}},
                headers=AUTH,
            )
        ).json()["Customer"]
        change = await http.post(
            f"{BASE}/customer",
            json={
                "Id": parent["Id"],
                "SyncToken": "0",
                "sparse": True,
                "CurrencyRef": {"value": "USD"},
            },
            headers=AUTH,
        )
        job = await http.post(
            f"{BASE}/customer",
            json={"DisplayName": "Audit", "Job": True, "ParentRef": {"value": parent["Id"]}},
            headers=AUTH,
        )
        orphan = await http.post(
            f"{BASE}/customer",
            json={"DisplayName": "Orphan", "Job": True, "ParentRef": {"value": "99999999"}},
            headers=AUTH,
        )
        terms = await run(http, "select * from Term")
    assert change.status_code == 400 and change.json()["Fault"]["Error"][0]["code"] == "6000"
    body = job.json()["Customer"]
    assert body["CurrencyRef"]["value"] == "EUR"
    assert body["FullyQualifiedName"] == "Parent Co:Audit" and body["Level"] == 1
    assert orphan.status_code == 400 and orphan.json()["Fault"]["Error"][0]["code"] == "2500"
    assert "Net 30" in {t["Name"] for t in terms.json()["QueryResponse"]["Term"]}


async def test_renaming_to_a_taken_display_name_is_refused(seed, clock) -> None:
    first, second = seed["Customer"][0], seed["Customer"][1]
    async with client(QuickBooksStore(seed, clock=clock)) as http:
        taken = await http.post(
            f"{BASE}/customer",
            json={
                "Id": second["Id"],
                "SyncToken": second["SyncToken"],
                "sparse": True,
                "DisplayName": first["DisplayName"],
            },
            headers=AUTH,
        )
    assert taken.status_code == 400
    assert taken.json()["Fault"]["Error"][0]["code"] == "6240"
