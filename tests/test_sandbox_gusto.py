"""Contract tests for the emulated Gusto API (connectors/sandbox/gusto.py)."""

from __future__ import annotations

import httpx
import pytest

from connectors.sandbox import FaultPlan, render_firm
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.gusto import COMPANY_UUID, TOKEN, GustoStore, create_app

AUTH = {"Authorization": f"Bearer {TOKEN}"}
EMPLOYEES = f"/v1/companies/{COMPANY_UUID}/employees"


@pytest.fixture(scope="module")
def seed() -> dict[str, list[dict[str, object]]]:
    return render_firm(generate_firm(3, 0.1), 3).records["gusto"]


def client(store: GustoStore) -> httpx.AsyncClient:
    app = create_app(store)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gusto")


async def test_bearer_token_is_required(seed) -> None:
    async with client(GustoStore(seed)) as http:
        response = await http.get(EMPLOYEES)
    assert response.status_code == 401
    assert response.json()["errors"][0]["category"] == "invalid_token"


async def test_employees_page_with_gusto_headers(seed) -> None:
    total = len(seed["employees"])
    seen: list[str] = []
    async with client(GustoStore(seed)) as http:
        first = await http.get(EMPLOYEES, params={"page": 1, "per": 5}, headers=AUTH)
        page = 1
        response = first
        while response.json():
            seen += [e["uuid"] for e in response.json()]
            page += 1
            response = await http.get(EMPLOYEES, params={"page": page, "per": 5}, headers=AUTH)
    assert first.headers["X-Total-Count"] == str(total)
    assert first.headers["X-Total-Pages"] == str(-(-total // 5))
    assert first.headers["X-Page"] == "1" and first.headers["X-Per-Page"] == "5"
    assert 'rel="next"' in first.headers["Link"]
    assert isinstance(first.json(), list)
    assert sorted(seen) == sorted(e["uuid"] for e in seed["employees"])


async def test_jobs_carry_current_or_all_compensations(seed) -> None:
    job = next(
        j
        for j in seed["jobs"]
        if sum(c["job_uuid"] == j["uuid"] for c in seed["compensations"]) > 1
    )
    uuid = job["employee_uuid"]
    async with client(GustoStore(seed)) as http:
        plain = (await http.get(f"/v1/employees/{uuid}", headers=AUTH)).json()
        every = (
            await http.get(
                f"/v1/employees/{uuid}", params={"include": "all_compensations"}, headers=AUTH
            )
        ).json()
        listed = (await http.get(f"/v1/jobs/{job['uuid']}/compensations", headers=AUTH)).json()
    assert len(plain["jobs"][0]["compensations"]) == 1
    assert len(every["jobs"][0]["compensations"]) > 1
    current = plain["jobs"][0]["compensations"][0]
    assert plain["jobs"][0]["current_compensation_uuid"] == current["uuid"]
    assert {"uuid", "version", "rate", "payment_unit", "flsa_status", "effective_date"} <= set(
        current
    )
    assert current["payment_unit"] in {"Hour", "Year"}
    assert len(listed) == len(every["jobs"][0]["compensations"])


async def test_employee_update_needs_the_current_version(seed) -> None:
    employee = seed["employees"][0]
    url = f"/v1/employees/{employee['uuid']}"
    async with client(GustoStore(seed)) as http:
        ok = await http.put(
            url, json={"version": employee["version"], "last_name": "Okafor"}, headers=AUTH
        )
        stale = await http.put(
            url, json={"version": employee["version"], "last_name": "Lost"}, headers=AUTH
        )
        fetched = (await http.get(url, headers=AUTH)).json()
    assert ok.status_code == 200
    assert ok.json()["version"] != employee["version"]
    assert stale.status_code == 409
    error = stale.json()["errors"][0]
    assert set(error) == {"error_key", "category", "message"}
    assert fetched["last_name"] == "Okafor"


async def test_compensation_update_and_new_effective_dated_rate(seed) -> None:
    comp = seed["compensations"][0]
    url = f"/v1/compensations/{comp['uuid']}"
    async with client(GustoStore(seed)) as http:
        updated = await http.put(
            url,
            json={"version": comp["version"], "rate": "75", "payment_unit": "Hour"},
            headers=AUTH,
        )
        stale = await http.put(url, json={"version": comp["version"], "rate": "1"}, headers=AUTH)
        bad_unit = await http.put(
            url,
            json={"version": updated.json()["version"], "payment_unit": "Fortnight"},
            headers=AUTH,
        )
        created = await http.post(
            f"/v1/jobs/{comp['job_uuid']}/compensations",
            json={
                "rate": "80.00",
                "payment_unit": "Hour",
                "flsa_status": "Nonexempt",
                "effective_date": "2027-02-01",
            },
            headers=AUTH,
        )
    assert updated.status_code == 200 and updated.json()["rate"] == "75.00"
    assert stale.status_code == 409
    assert bad_unit.status_code == 422
    assert created.status_code == 201 and created.json()["effective_date"] == "2027-02-01"


async def test_throttling_sends_429_with_retry_after(seed) -> None:
    app = create_app(GustoStore(seed))
    app.state.faults.set(FaultPlan(throttle_rate=1.0, retry_after=2))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gusto") as http:
        response = await http.get(EMPLOYEES, headers=AUTH)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"
    assert response.json()["errors"][0]["category"] == "rate_limit_exceeded"
