"""Fault injection shared by the emulators (connectors/sandbox/faults.py) and the mounted demo."""

from __future__ import annotations

import httpx
import pytest

from connectors.sandbox import (
    CREDENTIALS,
    FaultControl,
    FaultPlan,
    create_sandbox_apps,
    mount_sandbox,
    render_firm,
)
from connectors.sandbox.faults import DroppedConnection
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.harvest import ACCOUNT_ID, TOKEN, HarvestStore, create_app

HARVEST = {"Authorization": f"Bearer {TOKEN}", "Harvest-Account-Id": ACCOUNT_ID}


def harvest_client(control: FaultControl) -> httpx.AsyncClient:
    app = create_app(HarvestStore(), faults=control)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://h")


async def statuses(control: FaultControl, n: int) -> list[int]:
    async with harvest_client(control) as http:
        return [(await http.get("/v2/clients", headers=HARVEST)).status_code for _ in range(n)]


def test_plan_rejects_impossible_rates() -> None:
    with pytest.raises(ValueError):
        FaultPlan(error_rate=1.5)
    with pytest.raises(ValueError):
        FaultPlan.from_dict({"eror_rate": 0.1})


async def test_same_seed_gives_the_same_faults() -> None:
    plan = FaultPlan(error_rate=0.3, throttle_rate=0.3, seed=42)
    first = await statuses(FaultControl(plan), 30)
    second = await statuses(FaultControl(plan), 30)
    assert first == second
    assert {200, 429, 500} <= set(first)


async def test_faults_can_be_switched_off_at_runtime() -> None:
    control = FaultControl(FaultPlan(error_rate=1.0))
    async with harvest_client(control) as http:
        failing = await http.get("/v2/clients", headers=HARVEST)
        control.clear()
        healthy = await http.get("/v2/clients", headers=HARVEST)
    assert failing.status_code == 500 and failing.json()["error"] == "internal_server_error"
    assert healthy.status_code == 200


async def test_dropped_connection_is_a_transport_error() -> None:
    async with harvest_client(FaultControl(FaultPlan(drop_rate=1.0))) as http:
        with pytest.raises(httpx.TransportError):
            await http.get("/v2/clients", headers=HARVEST)
    assert issubclass(DroppedConnection, httpx.RemoteProtocolError)


async def test_admin_endpoint_sets_shows_and_clears_the_plan() -> None:
    control = FaultControl()
    async with harvest_client(control) as http:
        put = await http.put("/__sandbox/faults", json={"throttle_rate": 1, "retry_after": 9})
        throttled = await http.get("/v2/clients", headers=HARVEST)
        shown = await http.get("/__sandbox/faults")
        invalid = await http.put("/__sandbox/faults", json={"drop_rate": 2})
        cleared = await http.delete("/__sandbox/faults")
        healthy = await http.get("/v2/clients", headers=HARVEST)
    assert put.status_code == 200 and put.json()["throttle_rate"] == 1
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "9"
    assert shown.json()["retry_after"] == 9
    assert invalid.status_code == 422
    assert cleared.json()["throttle_rate"] == 0
    assert healthy.status_code == 200


async def test_mounted_sandbox_serves_each_system_under_its_prefix() -> None:
    data = render_firm(generate_firm(5, 0.05), 5)
    app = mount_sandbox(create_sandbox_apps(data))
    sf = CREDENTIALS["salesforce"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
        await http.put("/harvest/__sandbox/faults", json={"error_rate": 1})
        harvest = await http.get("/harvest/v2/clients", headers=HARVEST)
        accounts = await http.get(
            "/salesforce/services/data/v60.0/query",
            params={"q": "SELECT Id, Name FROM Account"},
            headers={"Authorization": f"Bearer {sf['access_token']}"},
        )
        hired = await http.post(
            f"/bamboohr/api/gateway.php/{CREDENTIALS['bamboohr']['company_domain']}/v1/employees",
            json={"firstName": "Grace", "lastName": "Hopper"},
            auth=(CREDENTIALS["bamboohr"]["api_key"], "x"),
        )
        location = await http.get(
            hired.headers["Location"],
            params={"fields": "lastName"},
            auth=(CREDENTIALS["bamboohr"]["api_key"], "x"),
        )
        employees = await http.get(
            f"/gusto/v1/companies/{CREDENTIALS['gusto']['company_uuid']}/employees",
            headers={"Authorization": f"Bearer {CREDENTIALS['gusto']['access_token']}"},
        )
    assert harvest.status_code == 500  # faults are per system ...
    assert accounts.status_code == 200  # ... so the others keep working
    assert accounts.json()["totalSize"] == len(data.records["salesforce"]["Account"])
    assert employees.status_code == 200 and employees.json()
    assert location.json()["lastName"] == "Hopper"  # Location works under the prefix
