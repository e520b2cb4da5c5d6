"""`crosswalk worker` as a real process: SIGKILLed in the middle of a batch and started again,
it applies every accepted write exactly once (no duplicate creates at the source)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml

from connectors.sandbox.apps import CREDENTIALS, create_sandbox_apps, mount_sandbox
from connectors.sandbox.faults import FaultControl, FaultPlan
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.render import render_firm
from golden_records.models import Tenant
from hub.db import create_all, create_engine, session_maker
from hub.outbox import QueuedWrite, enqueue
from hub.outbox_models import MutationRequest
from tests.e2e.server import CROSSWALK, free_port

NAMES = [f"Killed Worker Client {i:02d}" for i in range(10)]


@pytest.fixture
def sandbox() -> Iterator[str]:
    """The sandbox systems over real HTTP, each request slowed down so a kill lands mid-batch."""
    faults = {name: FaultControl(FaultPlan(latency=0.1)) for name in CREDENTIALS}
    app = mount_sandbox(create_sandbox_apps(render_firm(generate_firm(3, 0.02), 3), faults=faults))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def accept_creates(url: str) -> None:
    engine = create_engine(url)
    await create_all(engine)
    sessions = session_maker(engine)
    async with sessions() as session, session.begin():
        session.add(Tenant(id="default", name="Killed worker firm"))
        mutation = MutationRequest(
            tenant_id="default",
            operation="client.create",
            request_hash="-",
            entity_type="client",
            golden_id=0,
            actor="test",
            created_at=datetime.now(UTC),
        )
        session.add(mutation)
        await session.flush()
        writes = [
            QueuedWrite(system, "client", "create", None, None, {"name": name})
            for name in NAMES
            for system in ("quickbooks", "harvest")
        ]
        await enqueue(session, mutation, writes)
    await engine.dispose()


def statuses(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT status FROM write_backs ORDER BY id")]


def test_a_killed_worker_restarted_applies_every_write_exactly_once(
    tmp_path: Path, sandbox: str
) -> None:
    db = tmp_path / "hub.db"
    asyncio.run(accept_creates(f"sqlite+aiosqlite:///{db}"))
    config = tmp_path / "config" / "tenants" / "default.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(
        yaml.safe_dump(
            {
                "systems": {
                    name: {"base_url": f"{sandbox}/{name}", "credentials": CREDENTIALS[name]}
                    for name in ("quickbooks", "harvest")
                }
            }
        )
    )
    env = {
        **os.environ,
        "CROSSWALK_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "CROSSWALK_CONFIG_DIR": str(tmp_path / "config"),
        "CROSSWALK_OUTBOX_LEASE_SECONDS": "1",
        "CROSSWALK_OUTBOX_CONCURRENCY": "2",
        "CROSSWALK_LOG_LEVEL": "WARNING",
    }

    worker = subprocess.Popen([CROSSWALK, "worker"], env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while statuses(db).count("APPLIED") < 4:
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, statuses(db)
            time.sleep(0.02)
    finally:
        worker.kill()  # SIGKILL: no clean-up, claimed rows stay IN_FLIGHT
        worker.wait(timeout=10)
    left = statuses(db)
    assert "IN_FLIGHT" in left and left.count("APPLIED") < len(left)

    time.sleep(1.1)  # the dead worker's lease runs out
    again = subprocess.run(
        [CROSSWALK, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert statuses(db) == ["APPLIED"] * len(NAMES) * 2

    customers = httpx.get(
        f"{sandbox}/quickbooks/v3/company/{CREDENTIALS['quickbooks']['realm_id']}/query",
        params={"query": "select * from Customer maxresults 1000"},
        headers={"Authorization": f"Bearer {CREDENTIALS['quickbooks']['access_token']}"},
    ).json()["QueryResponse"]["Customer"]
    harvest = httpx.get(
        f"{sandbox}/harvest/v2/clients",
        params={"per_page": 2000},
        headers={
            "Authorization": f"Bearer {CREDENTIALS['harvest']['access_token']}",
            "Harvest-Account-Id": CREDENTIALS["harvest"]["account_id"],
        },
    ).json()["clients"]
    for name in NAMES:
        assert [c["DisplayName"] for c in customers].count(name) == 1, name
        assert [c["name"] for c in harvest].count(name) == 1, name
