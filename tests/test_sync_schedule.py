"""The sync schedule inside `serve`: it syncs every configured tenant on a timer, survives a
broken system, never runs one tenant twice at once, and stops with the app."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from connectors.base import Connector, RetryPolicy
from connectors.sandbox.apps import CREDENTIALS, create_sandbox_apps, mount_sandbox
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.render import render_firm
from golden_records.models import DEFAULT_TENANT, SourceRecord
from hub.app import create_app
from hub.settings import Settings
from hub.sync import tenant_connectors
from hub.sync_models import SyncRun
from hub.sync_schedule import SyncSchedule
from hub.telemetry import Telemetry
from hub.tenants import TenantConfig, TenantRegistry

Sessions = async_sessionmaker[AsyncSession]
FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01, max_retry_after=0.01)
SYSTEMS = ("salesforce", "quickbooks")


@pytest.fixture(scope="module")
def sandbox() -> Starlette:
    data = render_firm(generate_firm(3, 0.03), 3)
    return mount_sandbox(create_sandbox_apps(data))


def tenant(systems: dict[str, str]) -> TenantConfig:
    return TenantConfig.model_validate(
        {
            "id": DEFAULT_TENANT,
            "display_name": "Test firm",
            "systems": {
                name: {"base_url": url, "credentials": CREDENTIALS[name]}
                for name, url in systems.items()
            },
        }
    )


def fast_connectors(http: httpx.AsyncClient, config: TenantConfig) -> list[Connector]:
    return tenant_connectors(http, config, retry=FAST)


def schedule_for(
    sessions: Sessions, sandbox: Starlette, config: TenantConfig, **kwargs: object
) -> SyncSchedule:
    return SyncSchedule(
        sessions,
        TenantRegistry({config.id: config}),
        0.01,
        connectors=fast_connectors,
        http_options={"transport": httpx.ASGITransport(app=sandbox)},
        **kwargs,  # type: ignore[arg-type]
    )


async def until(condition: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    """Poll `condition`; fail (not hang) if it never holds."""
    for _ in range(3000):
        value = condition()
        if value if isinstance(value, bool) else await value:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def runs(sessions: Sessions) -> list[SyncRun]:
    async with sessions() as session:
        return list((await session.scalars(select(SyncRun).order_by(SyncRun.id))).all())


async def test_the_schedule_syncs_every_interval_and_stops(
    sessions: Sessions, sandbox: Starlette
) -> None:
    telemetry = Telemetry()
    config = tenant({s: f"http://sandbox/{s}" for s in SYSTEMS})
    schedule = schedule_for(sessions, sandbox, config, telemetry=telemetry)
    schedule.start()
    try:
        await until(lambda: schedule.ticks >= 2, "two rounds")
    finally:
        await schedule.stop()
    done = await runs(sessions)
    streams = {(r.system, r.stream) for r in done}
    assert {s for s, _ in streams} == set(SYSTEMS)
    assert all(r.status == "succeeded" and r.full is False for r in done)
    per_round = len(streams)
    first, second = done[:per_round], done[per_round : 2 * per_round]
    assert sum(r.created for r in first) > 0
    # The second round is incremental: nothing changed at the source, nothing changes here.
    assert sum(r.created + r.updated + r.deleted for r in second) == 0
    async with sessions() as session:
        stored = len((await session.scalars(select(SourceRecord.id))).all())
    created = telemetry.registry.get_sample_value(
        "crosswalk_sync_records_total", {"system": "salesforce", "outcome": "created"}
    )
    assert created is not None and created > 0
    assert stored == sum(r.created for r in done)

    # Stopped means stopped: no round starts afterwards.
    count = len(await runs(sessions))
    await asyncio.sleep(0.1)
    assert len(await runs(sessions)) == count


async def test_a_broken_system_is_logged_and_the_schedule_goes_on(
    sessions: Sessions, sandbox: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    config = tenant({"salesforce": "http://sandbox/salesforce", "harvest": "http://sandbox/nope"})
    schedule = schedule_for(sessions, sandbox, config)
    schedule.start()
    try:
        await until(lambda: schedule.ticks >= 2, "two rounds despite the failure")
    finally:
        await schedule.stop()
    done = await runs(sessions)
    failed = {r.system for r in done if r.status == "failed"}
    assert failed == {"harvest"}
    assert any(r.system == "salesforce" and r.status == "succeeded" for r in done)
    assert "scheduled sync of harvest" in caplog.text


async def test_a_tenant_is_never_synced_twice_at_once(
    sessions: Sessions, sandbox: Starlette
) -> None:
    config = tenant({"salesforce": "http://sandbox/salesforce"})
    schedule = schedule_for(sessions, sandbox, config)
    first, second = await asyncio.gather(schedule.sync_tenant(config), schedule.sync_tenant(config))
    assert len(first) > 0
    assert second == []  # skipped: the first was still running
    assert len(await runs(sessions)) == len(first)


async def test_serve_runs_the_schedule_in_its_lifespan_and_stops_it(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    (tmp_path / "tenants").mkdir()
    (tmp_path / "tenants" / "acme.yaml").write_text("display_name: Acme\n")
    settings = Settings(sync_interval_seconds=0.01, config_dir=tmp_path)
    app = create_app(settings, engine=engine)
    schedule = app.state.sync_schedule
    assert isinstance(schedule, SyncSchedule)
    async with app.router.lifespan_context(app):
        await until(lambda: schedule.ticks >= 2, "the schedule to tick inside serve")
    ticks = schedule.ticks
    await asyncio.sleep(0.05)
    assert schedule.ticks == ticks


def test_the_schedule_is_off_by_default(tmp_path: Path, sqlite_url: str) -> None:
    app = create_app(Settings(config_dir=tmp_path, database_url=sqlite_url))
    assert app.state.sync_schedule is None
