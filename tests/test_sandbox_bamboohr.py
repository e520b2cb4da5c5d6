"""Contract tests for the emulated BambooHR API (connectors/sandbox/bamboohr.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.sandbox import FaultPlan, render_firm
from connectors.sandbox.bamboohr import API_KEY, COMPANY_DOMAIN, BambooStore, create_app
from connectors.sandbox.firm import generate_firm

BASE = f"/api/gateway.php/{COMPANY_DOMAIN}/v1"
AUTH = httpx.BasicAuth(API_KEY, "x")
JSON = {"Accept": "application/json"}


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def seed() -> dict[str, list[dict[str, object]]]:
    return render_firm(generate_firm(3, 0.1), 3).records["bamboohr"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def client(store: BambooStore, *, auth: httpx.Auth | None = AUTH) -> httpx.AsyncClient:
    app = create_app(store)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bamboo", auth=auth, headers=JSON
    )


async def test_basic_auth_with_the_api_key_is_required(seed, clock) -> None:
    async with client(BambooStore(seed, clock=clock), auth=None) as http:
        anonymous = await http.get(f"{BASE}/employees/directory")
        wrong = await http.get(f"{BASE}/employees/directory", auth=httpx.BasicAuth("bad", "x"))
    assert anonymous.status_code == 401 and wrong.status_code == 401
    assert anonymous.headers["X-BambooHR-Error-Message"]
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")


async def test_directory_lists_active_employees_with_field_descriptions(seed, clock) -> None:
    active = {e["id"] for e in seed["employees"] if e["status"] == "Active"}
    assert len(active) < len(seed["employees"]), "the seed should have leavers"
    async with client(BambooStore(seed, clock=clock)) as http:
        body = (await http.get(f"{BASE}/employees/directory")).json()
    assert {f["id"] for f in body["fields"]} >= {"displayName", "workEmail", "jobTitle"}
    assert {e["id"] for e in body["employees"]} == active
    assert {"id", "displayName", "firstName", "lastName", "workEmail"} <= set(body["employees"][0])


async def test_employee_returns_the_requested_fields(seed, clock) -> None:
    employee = seed["employees"][0]
    async with client(BambooStore(seed, clock=clock)) as http:
        response = await http.get(
            f"{BASE}/employees/{employee['id']}/",
            params={"fields": "firstName,lastName,workEmail,terminationDate"},
        )
        missing = await http.get(f"{BASE}/employees/999999")
    assert response.json() == {
        "id": employee["id"],
        "firstName": employee["firstName"],
        "lastName": employee["lastName"],
        "workEmail": employee["workEmail"],
        "terminationDate": employee["terminationDate"],
    }
    assert missing.status_code == 404 and missing.headers["X-BambooHR-Error-Message"]


async def test_changed_since_reports_updates_and_inserts(seed, clock) -> None:
    employee = seed["employees"][0]
    since = "2027-01-02T09:00:00Z"
    async with client(BambooStore(seed, clock=clock)) as http:
        nothing = (await http.get(f"{BASE}/employees/changed", params={"since": since})).json()
        clock.now += timedelta(minutes=3)
        updated = await http.post(
            f"{BASE}/employees/{employee['id']}", json={"jobTitle": "Principal"}
        )
        created = await http.post(
            f"{BASE}/employees/", json={"firstName": "Ada", "lastName": "Lovelace"}
        )
        changes = (await http.get(f"{BASE}/employees/changed/", params={"since": since})).json()
        fetched = await http.get(
            f"{BASE}/employees/{employee['id']}", params={"fields": "jobTitle"}
        )
    assert nothing["employees"] == {}
    assert updated.status_code == 200
    assert created.status_code == 201
    new_id = created.headers["Location"].rsplit("/", 1)[1]
    assert created.headers["Location"].endswith(f"/v1/employees/{new_id}")
    assert changes["employees"][employee["id"]] == {
        "id": employee["id"],
        "action": "Updated",
        "lastChanged": "2027-01-02T09:03:00+00:00",
    }
    assert changes["employees"][new_id]["action"] == "Inserted"
    assert set(changes) == {"latest", "employees"}
    assert fetched.json()["jobTitle"] == "Principal"


async def test_invalid_fields_are_refused_in_the_error_header(seed, clock) -> None:
    employee = seed["employees"][0]
    async with client(BambooStore(seed, clock=clock)) as http:
        response = await http.post(f"{BASE}/employees/{employee['id']}", json={"shoeSize": 9})
    assert response.status_code == 400
    assert "shoeSize" in response.headers["X-BambooHR-Error-Message"]


async def test_custom_report_includes_former_employees(seed, clock) -> None:
    async with client(BambooStore(seed, clock=clock)) as http:
        response = await http.post(
            f"{BASE}/reports/custom",
            params={"format": "JSON", "onlyCurrent": "false"},
            json={"title": "sync", "fields": ["firstName", "status", "ssn"]},
        )
    body = response.json()
    assert len(body["employees"]) == len(seed["employees"])
    assert {e["status"] for e in body["employees"]} == {"Active", "Inactive"}
    assert set(body["employees"][0]) == {"id", "firstName", "status", "ssn"}


async def test_throttling_is_503_with_retry_after(seed, clock) -> None:
    app = create_app(BambooStore(seed, clock=clock))
    app.state.faults.set(FaultPlan(throttle_rate=1.0, retry_after=30))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://b", auth=AUTH) as http:
        response = await http.get(f"{BASE}/employees/directory")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["X-BambooHR-Error-Message"]
