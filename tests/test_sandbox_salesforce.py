"""Contract tests for the emulated Salesforce REST API (connectors/sandbox/salesforce.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.sandbox import FaultPlan, render_firm
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.salesforce import TOKEN, SalesforceStore, create_app

BASE = "/services/data/v60.0"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def seed() -> dict[str, list[dict[str, object]]]:
    return render_firm(generate_firm(3, 0.05), 3).records["salesforce"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def client(store: SalesforceStore) -> httpx.AsyncClient:
    app = create_app(store)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sf")


async def query(http: httpx.AsyncClient, soql: str) -> httpx.Response:
    return await http.get(f"{BASE}/query", params={"q": soql}, headers=AUTH)


async def test_requests_without_a_session_get_invalid_session_id(seed, clock) -> None:
    async with client(SalesforceStore(seed, clock=clock)) as http:
        response = await http.get(f"{BASE}/query", params={"q": "SELECT Id FROM Account"})
        wrong = await http.get(
            f"{BASE}/query",
            params={"q": "SELECT Id FROM Account"},
            headers={"Authorization": "Bearer nope"},
        )
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID", "fields": []}
    ]
    assert wrong.status_code == 401


async def test_query_returns_selected_fields_with_attributes(seed, clock) -> None:
    async with client(SalesforceStore(seed, clock=clock)) as http:
        response = await query(http, "SELECT Id, Name, SystemModstamp FROM Account")
    body = response.json()
    assert response.status_code == 200
    assert body["done"] is True and body["totalSize"] == len(seed["Account"])
    record = body["records"][0]
    assert set(record) == {"attributes", "Id", "Name", "SystemModstamp"}
    assert record["attributes"] == {
        "type": "Account",
        "url": f"{BASE}/sobjects/Account/{record['Id']}",
    }
    assert len(record["Id"]) == 18 and record["Id"].startswith("001")


async def test_query_pages_through_next_records_url(seed, clock) -> None:
    store = SalesforceStore(seed, clock=clock, batch_size=3)
    seen: list[str] = []
    async with client(store) as http:
        response = await query(http, "SELECT Id FROM Account ORDER BY SystemModstamp, Id")
        body = response.json()
        pages = 1
        while not body["done"]:
            assert body["nextRecordsUrl"].startswith(f"{BASE}/query/01g")
            seen += [r["Id"] for r in body["records"]]
            body = (await http.get(body["nextRecordsUrl"], headers=AUTH)).json()
            pages += 1
        seen += [r["Id"] for r in body["records"]]
    assert "nextRecordsUrl" not in body
    assert pages == -(-len(seed["Account"]) // 3)
    assert sorted(seen) == sorted(r["Id"] for r in seed["Account"])
    assert body["totalSize"] == len(seed["Account"])


async def test_patch_bumps_system_modstamp_for_incremental_sync(seed, clock) -> None:
    store = SalesforceStore(seed, clock=clock)
    account = seed["Account"][0]["Id"]
    async with client(store) as http:
        before = clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        unchanged = await query(http, f"SELECT Id FROM Account WHERE SystemModstamp > {before}")
        clock.now += timedelta(minutes=5)
        patched = await http.patch(
            f"{BASE}/sobjects/Account/{account}", json={"Name": "Renamed Ltd"}, headers=AUTH
        )
        changed = await query(
            http,
            f"SELECT Id, Name, LastModifiedDate FROM Account WHERE SystemModstamp > {before} "
            "ORDER BY SystemModstamp, Id LIMIT 10",
        )
    assert unchanged.json()["totalSize"] == 0
    assert patched.status_code == 204
    records = changed.json()["records"]
    assert [(r["Id"], r["Name"]) for r in records] == [(account, "Renamed Ltd")]
    assert records[0]["LastModifiedDate"] == "2027-01-02T09:05:00.000+0000"


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Account WHERE Name LIKE 'A%'",
        "SELECT Id FROM Account WHERE Name = 'x' OR Name = 'y'",
        "SELECT COUNT() FROM Account",
        "DELETE FROM Account",
        "SELECT Id FROM Account LIMIT",
    ],
)
async def test_unsupported_soql_is_malformed_query(seed, clock, soql: str) -> None:
    async with client(SalesforceStore(seed, clock=clock)) as http:
        response = await query(http, soql)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "MALFORMED_QUERY"


async def test_unknown_field_and_object_are_reported(seed, clock) -> None:
    async with client(SalesforceStore(seed, clock=clock)) as http:
        field = await query(http, "SELECT Id, Shoe__c FROM Account")
        sobject = await query(http, "SELECT Id FROM Invoice__c")
        missing = await http.get(f"{BASE}/sobjects/Account/001000000000000AAA", headers=AUTH)
    assert field.json()[0]["errorCode"] == "INVALID_FIELD"
    assert sobject.json()[0]["errorCode"] == "INVALID_TYPE"
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"


async def test_create_then_read_an_opportunity(seed, clock) -> None:
    account = seed["Account"][0]["Id"]
    async with client(SalesforceStore(seed, clock=clock)) as http:
        incomplete = await http.post(
            f"{BASE}/sobjects/Opportunity/", json={"Name": "Big deal"}, headers=AUTH
        )
        created = await http.post(
            f"{BASE}/sobjects/Opportunity/",
            json={
                "Name": "Big deal",
                "AccountId": account,
                "StageName": "Closed Won",
                "CloseDate": "2027-01-31",
            },
            headers=AUTH,
        )
        new_id = created.json()["id"]
        fetched = await http.get(
            f"{BASE}/sobjects/Opportunity/{new_id}", params={"fields": "Name,IsWon"}, headers=AUTH
        )
    assert incomplete.status_code == 400
    assert incomplete.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert incomplete.json()[0]["fields"] == ["StageName", "CloseDate"]
    assert created.status_code == 201
    assert created.json() == {"id": new_id, "success": True, "errors": []}
    assert new_id.startswith("006") and len(new_id) == 18
    assert fetched.json()["Name"] == "Big deal" and fetched.json()["IsWon"] is True


async def test_read_only_fields_cannot_be_written(seed, clock) -> None:
    account = seed["Account"][0]["Id"]
    async with client(SalesforceStore(seed, clock=clock)) as http:
        response = await http.patch(
            f"{BASE}/sobjects/Account/{account}",
            json={"SystemModstamp": "2020-01-01T00:00:00.000+0000"},
            headers=AUTH,
        )
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


async def test_throttling_answers_request_limit_exceeded(seed, clock) -> None:
    app = create_app(SalesforceStore(seed, clock=clock))
    app.state.faults.set(FaultPlan(throttle_rate=1.0, retry_after=7))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sf") as http:
        response = await query(http, "SELECT Id FROM Account")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


async def test_deleted_records_leave_query_but_stay_in_query_all(seed, clock) -> None:
    account = seed["Account"][0]["Id"]
    soql = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{account}'"
    async with client(SalesforceStore(seed, clock=clock)) as http:
        deleted = await http.delete(f"{BASE}/sobjects/Account/{account}", headers=AUTH)
        live = await query(http, soql)
        everything = await http.get(f"{BASE}/queryAll", params={"q": soql}, headers=AUTH)
        fetched = await http.get(f"{BASE}/sobjects/Account/{account}", headers=AUTH)
    assert deleted.status_code == 204
    assert live.json()["totalSize"] == 0
    assert everything.json()["records"][0]["IsDeleted"] is True
    assert fetched.status_code == 404


async def test_patch_honours_if_unmodified_since(seed, clock) -> None:
    store = SalesforceStore(seed, clock=clock)
    account = seed["Account"][0]["Id"]
    url = f"{BASE}/sobjects/Account/{account}"
    async with client(store) as http:
        clock.now += timedelta(minutes=5)
        await http.patch(url, json={"Industry": "Retail"}, headers=AUTH)
        modified = clock.now
        before = "Sat, 02 Jan 2027 09:04:59 GMT"  # a second before that change
        refused = await http.patch(
            url, json={"Name": "Lost"}, headers={**AUTH, "If-Unmodified-Since": before}
        )
        since = modified.strftime("%a, %d %b %Y %H:%M:%S GMT")
        accepted = await http.patch(
            url, json={"Name": "Kept"}, headers={**AUTH, "If-Unmodified-Since": since}
        )
        garbled = await http.patch(
            url, json={"Name": "X"}, headers={**AUTH, "If-Unmodified-Since": "yesterday"}
        )
        name = (await http.get(url, headers=AUTH)).json()["Name"]
    assert refused.status_code == 412
    assert refused.json()[0]["errorCode"] == "PRECONDITION_FAILED"
    assert accepted.status_code == 204
    assert garbled.status_code == 400
    assert name == "Kept"


async def test_upsert_by_external_id_creates_then_updates(seed, clock) -> None:
    url = f"{BASE}/sobjects/Account/Crosswalk_Key__c/key-1"
    async with client(SalesforceStore(seed, clock=clock)) as http:
        created = await http.patch(url, json={"Name": "Upserted"}, headers=AUTH)
        clock.now += timedelta(seconds=1)
        updated = await http.patch(url, json={"Industry": "Energy"}, headers=AUTH)
        rows = await query(
            http, "SELECT Id, Name, Industry FROM Account WHERE Crosswalk_Key__c = 'key-1'"
        )
        unknown = await http.patch(
            f"{BASE}/sobjects/Account/Nope__c/1", json={"Name": "X"}, headers=AUTH
        )
        in_body = await http.patch(
            url, json={"Name": "X", "Crosswalk_Key__c": "key-2"}, headers=AUTH
        )
    assert created.status_code == 201
    assert created.json()["created"] is True
    assert updated.status_code == 200
    assert updated.json() == {
        "id": created.json()["id"],
        "success": True,
        "errors": [],
        "created": False,
    }
    records = rows.json()["records"]
    assert [(r["Id"], r["Name"], r["Industry"]) for r in records] == [
        (created.json()["id"], "Upserted", "Energy")
    ]
    assert unknown.status_code == 404 and unknown.json()[0]["errorCode"] == "NOT_FOUND"
    assert in_body.status_code == 400
