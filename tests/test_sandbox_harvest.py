"""Contract tests for the emulated Harvest API v2 (connectors/sandbox/harvest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.sandbox import FaultPlan, render_firm
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.harvest import ACCOUNT_ID, TOKEN, HarvestStore, create_app

AUTH = {"Authorization": f"Bearer {TOKEN}", "Harvest-Account-Id": ACCOUNT_ID}


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2027, 1, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def seed() -> dict[str, list[dict[str, object]]]:
    return render_firm(generate_firm(3, 0.05), 3).records["harvest"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def client(store: HarvestStore) -> httpx.AsyncClient:
    app = create_app(store)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://harvest")


async def test_token_and_account_header_are_required(seed, clock) -> None:
    async with client(HarvestStore(seed, clock=clock)) as http:
        anonymous = await http.get("/v2/clients")
        no_account = await http.get("/v2/clients", headers={"Authorization": f"Bearer {TOKEN}"})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_token"
    assert "error_description" in anonymous.json()
    assert no_account.status_code == 403


async def test_lists_page_with_harvest_metadata_and_links(seed, clock) -> None:
    total = len(seed["projects"])
    seen: list[int] = []
    async with client(HarvestStore(seed, clock=clock)) as http:
        body = (await http.get("/v2/projects", params={"per_page": 4}, headers=AUTH)).json()
        first = body
        while True:
            seen += [p["id"] for p in body["projects"]]
            if body["links"]["next"] is None:
                break
            body = (await http.get(body["links"]["next"], headers=AUTH)).json()
    assert first["page"] == 1 and first["per_page"] == 4
    assert first["total_entries"] == total
    assert first["total_pages"] == -(-total // 4)
    assert first["next_page"] == 2 and first["previous_page"] is None
    assert set(first["links"]) == {"first", "next", "previous", "last"}
    assert body["next_page"] is None and body["page"] == first["total_pages"]
    assert sorted(seen) == sorted(p["id"] for p in seed["projects"])
    project = first["projects"][0]
    assert set(project["client"]) == {"id", "name", "currency"}


async def test_per_page_over_the_maximum_is_rejected(seed, clock) -> None:
    async with client(HarvestStore(seed, clock=clock)) as http:
        response = await http.get("/v2/clients", params={"per_page": 2001}, headers=AUTH)
    assert response.status_code == 422


async def test_updated_since_returns_only_what_changed(seed, clock) -> None:
    user = seed["users"][0]
    since = clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    async with client(HarvestStore(seed, clock=clock)) as http:
        before = await http.get("/v2/users", params={"updated_since": since}, headers=AUTH)
        clock.now += timedelta(minutes=1)
        patched = await http.patch(
            f"/v2/users/{user['id']}", json={"last_name": "Nguyen-Smith"}, headers=AUTH
        )
        after = await http.get("/v2/users", params={"updated_since": since}, headers=AUTH)
    assert before.json()["total_entries"] == 0
    assert patched.status_code == 200
    assert patched.json()["updated_at"] == "2027-01-02T09:01:00Z"
    users = after.json()["users"]
    assert [(u["id"], u["last_name"]) for u in users] == [(user["id"], "Nguyen-Smith")]


async def test_is_active_filters(seed, clock) -> None:
    async with client(HarvestStore(seed, clock=clock)) as http:
        active = await http.get("/v2/projects", params={"is_active": "true"}, headers=AUTH)
        archived = await http.get("/v2/projects", params={"is_active": "false"}, headers=AUTH)
    assert all(p["is_active"] for p in active.json()["projects"])
    assert not any(p["is_active"] for p in archived.json()["projects"])
    assert active.json()["total_entries"] + archived.json()["total_entries"] == len(
        seed["projects"]
    )


async def test_create_client_and_reject_a_duplicate_name(seed, clock) -> None:
    async with client(HarvestStore(seed, clock=clock)) as http:
        created = await http.post(
            "/v2/clients", json={"name": "Zeta Works", "currency": "EUR"}, headers=AUTH
        )
        again = await http.post("/v2/clients", json={"name": "Zeta Works"}, headers=AUTH)
        fetched = await http.get(f"/v2/clients/{created.json()['id']}", headers=AUTH)
    assert created.status_code == 201
    assert created.json()["is_active"] is True
    assert created.json()["created_at"] == "2027-01-02T09:00:00Z"
    assert again.status_code == 422 and again.json() == {"message": "Name has already been taken"}
    assert fetched.json()["name"] == "Zeta Works"


async def test_project_user_assignments_and_time_entry_filters(seed, clock) -> None:
    assignment = seed["user_assignments"][0]
    project_id = assignment["project"]["id"]
    async with client(HarvestStore(seed, clock=clock)) as http:
        nested = await http.get(f"/v2/projects/{project_id}/user_assignments", headers=AUTH)
        entries = await http.get(
            "/v2/time_entries", params={"project_id": project_id, "per_page": 2000}, headers=AUTH
        )
        missing = await http.get("/v2/projects/1/user_assignments", headers=AUTH)
    assert nested.status_code == 200
    assert {a["project"]["id"] for a in nested.json()["user_assignments"]} == {project_id}
    assert assignment["id"] in {a["id"] for a in nested.json()["user_assignments"]}
    assert {e["project"]["id"] for e in entries.json()["time_entries"]} <= {project_id}
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def test_rate_limit_sends_retry_after(seed, clock) -> None:
    app = create_app(HarvestStore(seed, clock=clock))
    app.state.faults.set(FaultPlan(throttle_rate=1.0, retry_after=15))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://harvest") as http:
        response = await http.get("/v2/clients", headers=AUTH)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "15"
    assert set(response.json()) == {"error", "error_description"}


async def test_renaming_a_client_to_a_taken_name_is_refused(seed, clock) -> None:
    first, second = seed["clients"][0], seed["clients"][1]
    async with client(HarvestStore(seed, clock=clock)) as http:
        taken = await http.patch(
            f"/v2/clients/{second['id']}", json={"name": first["name"]}, headers=AUTH
        )
        same = await http.patch(
            f"/v2/clients/{first['id']}", json={"name": first["name"]}, headers=AUTH
        )
    assert taken.status_code == 422
    assert taken.json() == {"message": "Name has already been taken"}
    assert same.status_code == 200
