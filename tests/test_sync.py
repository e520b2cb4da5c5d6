"""Syncing the emulated systems into the hub: records, crosswalks, lineage, bookmarks, re-runs."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from connectors.base import RetryPolicy
from connectors.harvest import HarvestClient, HarvestConnector
from connectors.sandbox import harvest as harvest_sandbox
from connectors.sandbox.apps import CREDENTIALS, create_sandbox_apps, mount_sandbox
from connectors.sandbox.faults import FaultControl, FaultPlan
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.render import render_firm
from golden_records import golden_store
from golden_records.models import (
    DEFAULT_TENANT,
    AssignmentRecord,
    ClientRecord,
    Crosswalk,
    InvoiceRecord,
    Lineage,
    ProjectRecord,
    SourceRecord,
    TimeEntryRecord,
)
from hub.sync import connectors_from_credentials, sync
from hub.sync_models import SyncCursor, SyncRun

FAST = RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.01, max_retry_after=0.01)


class Clock:
    """The emulator's clock: moves one second per reading so every edit gets its own stamp."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def harvest_seed(n_clients: int = 3, projects_per_client: int = 2) -> dict[str, list[Any]]:
    stamp = "2026-01-01T10:00:00Z"
    clients: list[dict[str, Any]] = []
    projects: list[dict[str, Any]] = []
    users: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for i in range(n_clients):
        cid = 5000 + i
        clients.append(
            {
                "id": cid,
                "name": f"Client {i}",
                "is_active": True,
                "address": None,
                "statement_key": f"k{i}",
                "currency": "USD",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        for j in range(projects_per_client):
            pid = 6000 + i * 10 + j
            projects.append(
                {
                    "id": pid,
                    "client": {"id": cid, "name": f"Client {i}", "currency": "USD"},
                    "name": f"Project {i}.{j}",
                    "code": f"P{i}{j}",
                    "is_active": True,
                    "is_billable": True,
                    "is_fixed_fee": j == 1,
                    "bill_by": "Project",
                    "hourly_rate": 150.0,
                    "budget": 100.0,
                    "budget_by": "project",
                    "budget_is_monthly": False,
                    "notify_when_over_budget": False,
                    "over_budget_notification_percentage": 80.0,
                    "show_budget_to_all": False,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "starts_on": "2026-01-01",
                    "ends_on": None,
                    "over_budget_notification_date": None,
                    "notes": "",
                    "cost_budget": None,
                    "cost_budget_include_expenses": False,
                    "fee": None,
                }
            )
    for k in range(4):
        users.append(
            {
                "id": 7000 + k,
                "first_name": f"Ann{k}",
                "last_name": f"Lee{k}",
                "email": f"ann{k}@firm.example",
                "telephone": "",
                "timezone": "UTC",
                "is_contractor": k == 3,
                "is_active": True,
                "weekly_capacity": 144000,
                "default_hourly_rate": 120.0,
                "cost_rate": 60.0,
                "roles": ["Consultant"],
                "access_roles": ["member"],
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    for n, project in enumerate(projects):
        uid = 7000 + n % 4
        assignments.append(
            {
                "id": 8000 + n,
                "is_project_manager": n % 2 == 0,
                "is_active": True,
                "use_default_rates": True,
                "budget": None,
                "hourly_rate": None,
                "created_at": stamp,
                "updated_at": stamp,
                "project": {"id": project["id"]},
                "user": {"id": uid},
            }
        )
        entries.append(
            {
                "id": 9000 + n,
                "spent_date": "2026-01-02",
                "hours": 7.5,
                "notes": "Workshop",
                "is_locked": False,
                "is_closed": False,
                "is_billed": False,
                "is_running": False,
                "billable": True,
                "approval_status": "submitted",
                "created_at": stamp,
                "updated_at": stamp,
                "user": {"id": uid},
                "client": {"id": project["client"]["id"]},
                "project": {"id": project["id"]},
                "task": {"id": 1, "name": "Dev"},
            }
        )
    return {
        "clients": clients,
        "projects": projects,
        "users": users,
        "user_assignments": assignments,
        "time_entries": entries,
    }


def harvest_app(faults: FaultControl | None = None, **seed: int) -> Starlette:
    store = harvest_sandbox.HarvestStore(harvest_seed(**seed), clock=Clock())
    return harvest_sandbox.create_app(store, faults=faults)


def harvest_connector(
    http: httpx.AsyncClient, base_url: str, per_page: int = 2
) -> HarvestConnector:
    client = HarvestClient(
        http,
        base_url,
        harvest_sandbox.TOKEN,
        harvest_sandbox.ACCOUNT_ID,
        per_page=per_page,
        retry=FAST,
    )
    return HarvestConnector(client)


async def count(sessions: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[Any, ...]]:
    """Everything a re-run must leave alone: versions and update times of every golden record."""
    async with sessions() as session:
        rows: list[tuple[Any, ...]] = []
        for model in (ClientRecord, ProjectRecord, AssignmentRecord, TimeEntryRecord):
            rows += [
                (model.__tablename__, r.id, r.version, r.updated_at)
                for r in await session.scalars(select(model).order_by(model.id))
            ]
        rows += [
            (s.id, s.fetched_at, s.concurrency_token)
            for s in await session.scalars(select(SourceRecord).order_by(SourceRecord.id))
        ]
        return rows


async def test_full_sync_creates_golden_records_with_crosswalks_and_lineage(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    app = harvest_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        results = await sync(
            sessions, [harvest_connector(http, "http://harvest")], tenant_id=DEFAULT_TENANT
        )
    assert [r.status for r in results] == ["succeeded"] * 5
    assert {r.stream: r.created for r in results} == {
        "clients": 3,
        "users": 4,
        "projects": 6,
        "user_assignments": 6,
        "time_entries": 6,
    }
    assert await count(sessions, SourceRecord) == 25
    assert await count(sessions, Crosswalk) == 25
    async with sessions() as session:
        project_xw = await session.scalar(
            select(Crosswalk).where(
                Crosswalk.system == "harvest",
                Crosswalk.entity_type == "project",
                Crosswalk.external_id == "6011",
            )
        )
        assert project_xw is not None
        project = await session.get(ProjectRecord, project_xw.golden_id)
        assert project is not None
        client_xw = await session.scalar(
            select(Crosswalk).where(
                Crosswalk.entity_type == "client", Crosswalk.external_id == "5001"
            )
        )
        assert client_xw is not None
        assert project.client_id == client_xw.golden_id
        assert project.billing_type == "FIXED_FEE"
        assert project.name == "Project 1.1"
        rules = set(
            await session.scalars(
                select(Lineage.rule).where(
                    Lineage.golden_id == project.id, Lineage.entity_type == "project"
                )
            )
        )
        assert rules == {"single_source"}
        attrs = set(
            await session.scalars(
                select(Lineage.attribute).where(
                    Lineage.golden_id == project.id, Lineage.entity_type == "project"
                )
            )
        )
        assert {"name", "client_id", "code", "billing_type"} <= attrs
        source = await session.scalar(
            select(SourceRecord).where(SourceRecord.external_id == "6011")
        )
        assert source is not None and source.payload["code"] == "P11"
        assert source.attributes["code"] == "P11"
        runs = (await session.scalars(select(SyncRun))).all()
        assert {r.status for r in runs} == {"succeeded"} and len(runs) == 5
        cursors = (await session.scalars(select(SyncCursor))).all()
        assert len(cursors) == 5


async def test_second_run_changes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    app = harvest_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        connector = harvest_connector(http, "http://harvest")
        await sync(sessions, [connector], tenant_id=DEFAULT_TENANT)
        before = await snapshot(sessions)
        again = await sync(sessions, [connector], tenant_id=DEFAULT_TENANT, full=True)
    assert sum(r.fetched for r in again) == 25
    assert sum(r.created + r.updated + r.deleted for r in again) == 0
    assert sum(r.unchanged for r in again) == 25
    assert await snapshot(sessions) == before


async def test_incremental_sync_fetches_only_edited_records_and_updates_goldens(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    app = harvest_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        connector = harvest_connector(http, "http://harvest")
        await sync(sessions, [connector], tenant_id=DEFAULT_TENANT)
        for project_id, name in ((6000, "Renamed A"), (6011, "Renamed B")):
            response = await http.patch(
                f"http://harvest/v2/projects/{project_id}",
                json={"name": name},
                headers=connector.client.auth_headers(),
            )
            assert response.status_code == 200
        response = await http.patch(
            "http://harvest/v2/clients/5002",
            json={"is_active": False},
            headers=connector.client.auth_headers(),
        )
        assert response.status_code == 200
        results = await sync(sessions, [connector], tenant_id=DEFAULT_TENANT)
    assert sum(r.fetched for r in results) == 3
    by_stream = {r.stream: r for r in results}
    assert by_stream["projects"].updated == 2
    assert by_stream["clients"].deleted == 1  # archived in Harvest
    async with sessions() as session:
        xw = await session.scalar(select(Crosswalk).where(Crosswalk.external_id == "6011"))
        assert xw is not None
        project = await session.get(ProjectRecord, xw.golden_id)
        assert project is not None and project.name == "Renamed B" and project.version == 2
        client_xw = await session.scalar(
            select(Crosswalk).where(
                Crosswalk.external_id == "5002", Crosswalk.entity_type == "client"
            )
        )
        assert client_xw is not None
        client = await session.get(ClientRecord, client_xw.golden_id)
        assert client is not None and client.status == "INACTIVE"
        source = await session.scalar(
            select(SourceRecord).where(
                SourceRecord.external_id == "5002", SourceRecord.entity_type == "client"
            )
        )
        assert source is not None and source.deleted


async def test_references_to_records_synced_later_are_filled_in_at_the_end(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Projects before clients: every project's client arrives only after it.
    app = harvest_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        connector = harvest_connector(http, "http://harvest")
        connector.streams = tuple(reversed(connector.streams[:3]))
        await sync(sessions, [connector], tenant_id=DEFAULT_TENANT)
    async with sessions() as session:
        projects = (await session.scalars(select(ProjectRecord))).all()
        assert len(projects) == 6
        assert all(p.client_id is not None for p in projects)


# --- over real HTTP, with faults ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(app: Starlette) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.slow
async def test_full_sync_over_http_survives_injected_500s_and_429s(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    faults = FaultControl(FaultPlan(error_rate=0.1, throttle_rate=0.1, retry_after=0, seed=3))
    app = harvest_app(faults, n_clients=8, projects_per_client=3)
    with serve(app) as base_url:
        async with httpx.AsyncClient() as http:
            connector = harvest_connector(http, base_url, per_page=5)
            first = await sync(sessions, [connector], tenant_id=DEFAULT_TENANT)
            before = await snapshot(sessions)
            second = await sync(sessions, [connector], tenant_id=DEFAULT_TENANT, full=True)
    assert [r.status for r in first] == ["succeeded"] * 5
    total = 8 + 4 + 24 + 24 + 24
    assert sum(r.created for r in first) == total
    assert await count(sessions, SourceRecord) == total
    assert sum(r.created + r.updated + r.deleted for r in second) == 0
    assert await snapshot(sessions) == before


async def test_all_five_sandbox_systems_sync_and_resync_without_changes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    data = render_firm(generate_firm(5, 0.05), 5)
    app = mount_sandbox(create_sandbox_apps(data))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        urls = {system: f"http://sandbox/{system}" for system in CREDENTIALS}
        connectors = connectors_from_credentials(http, urls, CREDENTIALS, retry=FAST)
        first = await sync(sessions, connectors, tenant_id=DEFAULT_TENANT)
        before = await snapshot(sessions)
        second = await sync(sessions, connectors, tenant_id=DEFAULT_TENANT)
    failed = [(r.system, r.stream, r.error) for r in first + second if r.status != "succeeded"]
    assert failed == []
    assert {r.system for r in first if r.created} == set(CREDENTIALS)
    assert sum(r.skipped for r in first) == 0
    assert sum(r.created + r.updated + r.deleted for r in second) == 0
    assert await snapshot(sessions) == before
    async with sessions() as session:
        invoices = (await session.scalars(select(InvoiceRecord))).all()
        assert invoices and all(i.client_id or i.project_id for i in invoices)


async def test_only_the_named_systems_sync_and_progress_is_reported(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    seen: list[tuple[str, str, int]] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=harvest_app())) as http:
        results = await sync(
            sessions,
            [harvest_connector(http, "http://harvest")],
            tenant_id=DEFAULT_TENANT,
            systems=["crm"],
        )
        assert results == []
        results = await sync(
            sessions,
            [harvest_connector(http, "http://harvest")],
            tenant_id=DEFAULT_TENANT,
            systems=["psa"],
            progress=lambda *args: seen.append(args),
        )
    assert len(results) == 5
    assert ("harvest", "clients", 2) in seen and ("harvest", "clients", 3) in seen


async def test_a_merged_record_reruns_survivorship_when_one_of_its_sources_changes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two Harvest clients merged into one golden record: Harvest does not own client names
    (the CRM does), so the most recent one wins, and stays winning as edits come in."""
    app = harvest_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        connector = harvest_connector(http, "http://harvest")
        await sync(sessions, [connector], tenant_id=DEFAULT_TENANT)
        async with sessions() as session, session.begin():
            goldens = {
                x.external_id: x.golden_id
                for x in await session.scalars(
                    select(Crosswalk).where(
                        Crosswalk.entity_type == "client",
                        Crosswalk.external_id.in_(["5000", "5001"]),
                    )
                )
            }
            await golden_store.merge(
                session,
                "client",
                goldens["5000"],
                [goldens["5001"]],
                tenant_id=DEFAULT_TENANT,
                actor="test",
                reason="same firm",
            )
        for client_id, name in (("5001", "Newer Name"), ("5000", "Newest Name")):
            response = await http.patch(
                f"http://harvest/v2/clients/{client_id}",
                json={"name": name},
                headers=connector.client.auth_headers(),
            )
            assert response.status_code == 200
            await sync(sessions, [connector], tenant_id=DEFAULT_TENANT)
            async with sessions() as session:
                golden = await session.get(ClientRecord, goldens["5000"])
                assert golden is not None and golden.name == name
