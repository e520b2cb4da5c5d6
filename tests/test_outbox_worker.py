"""The outbox worker against the five sandbox systems: what each system holds afterwards.

Writes are enqueued the way a mutation does (a MutationRequest and its rows, one transaction);
then the worker runs and the tests read each system's own API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy import update as sa_update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from writeback_fixtures import TENANT, TEST_OPTIONS, Hub, build_hub

from connectors.sandbox.faults import FaultPlan
from connectors.writeback import SystemWriter, WriteRequest, WriteResult
from golden_records import golden_store
from golden_records.canonical import EntityType
from golden_records.models import ClientRecord, ResourceRecord, SourceRecord
from hub.models import AuditEntry
from hub.outbox import QueuedWrite, enqueue, retry
from hub.outbox_models import MutationRequest, WriteBack, WriteBackStatus
from hub.outbox_worker import OutboxWorker

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def hub(sessions: Sessions) -> AsyncIterator[Hub]:
    clients: list[httpx.AsyncClient] = []
    built = await build_hub(sessions, clients)
    try:
        yield built
    finally:
        for client in clients:
            await client.aclose()


async def source_attributes(
    hub: Hub, entity_type: str, system: str, golden_id: int
) -> tuple[str, dict[str, Any]]:
    async with hub.sessions() as session:
        row = (
            await session.execute(
                select(SourceRecord.external_id, SourceRecord.attributes).where(
                    SourceRecord.tenant_id == TENANT,
                    SourceRecord.entity_type == entity_type,
                    SourceRecord.system == system,
                    SourceRecord.golden_id == golden_id,
                )
            )
        ).first()
    assert row is not None
    return str(row[0]), dict(row[1])


async def accept(hub: Hub, *writes: QueuedWrite) -> list[WriteBack]:
    """Store writes as an accepted mutation would, with the source's current values as base."""
    async with hub.sessions() as session, session.begin():
        mutation = MutationRequest(
            tenant_id=TENANT,
            operation="test",
            request_hash="-",
            entity_type=writes[0].entity_type,
            golden_id=writes[0].golden_id or 0,
            actor="test",
            created_at=datetime.now(UTC),
        )
        session.add(mutation)
        await session.flush()
        return await enqueue(session, mutation, list(writes))


async def update(
    hub: Hub, entity_type: str, system: str, golden_id: int, fields: Mapping[str, Any]
) -> QueuedWrite:
    external_id, attributes = await source_attributes(hub, entity_type, system, golden_id)
    base = {k: attributes.get(k) for k in fields}
    return QueuedWrite(system, entity_type, "update", golden_id, external_id, fields, base)


async def statuses(hub: Hub) -> list[str]:
    return [row.status for row in await hub.outbox()]


async def test_update_reaches_the_owner_and_the_golden_record_shows_the_confirmed_value(
    hub: Hub,
) -> None:
    golden_id = await hub.golden_with("client", {"quickbooks", "salesforce"})
    customer_id, _ = await source_attributes(hub, "client", "quickbooks", golden_id)
    before = await hub.api("quickbooks", f"/v3/company/{realm(hub)}/customer/{customer_id}")
    await accept(
        hub, await update(hub, "client", "quickbooks", golden_id, {"legal_name": "Zed LLC"})
    )

    assert (await hub.golden(ClientRecord, golden_id)).legal_name != "Zed LLC"  # not yet
    await hub.drain()

    assert await statuses(hub) == ["APPLIED"]
    after = await hub.api("quickbooks", f"/v3/company/{realm(hub)}/customer/{customer_id}")
    assert after["Customer"]["CompanyName"] == "Zed LLC"
    assert after["Customer"]["SyncToken"] != before["Customer"]["SyncToken"]
    assert after["Customer"]["DisplayName"] == before["Customer"]["DisplayName"]
    assert (await hub.golden(ClientRecord, golden_id)).legal_name == "Zed LLC"
    async with hub.sessions() as session:
        token = await session.scalar(
            select(SourceRecord.concurrency_token).where(
                SourceRecord.system == "quickbooks", SourceRecord.external_id == customer_id
            )
        )
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert token == after["Customer"]["SyncToken"]
    assert "write_back.applied" in actions


def realm(hub: Hub) -> str:
    return str(hub.readers["quickbooks"].realm_id)  # type: ignore[attr-defined]


class Killed(BaseException):
    """The process died: nothing after this point happens."""


class DyingWriter:
    """Sends the first `survive` writes, then dies right after sending the next one (before
    the hub could record it); every later call dies before sending anything."""

    def __init__(self, inner: SystemWriter, state: dict[str, int]) -> None:
        self.inner, self.state, self.system = inner, state, inner.system

    def writable(self, entity_type: Any) -> frozenset[str]:
        return self.inner.writable(entity_type)

    async def read(self, entity_type: Any, external_id: str) -> WriteResult:
        return await self.inner.read(entity_type, external_id)

    async def write(self, request: WriteRequest) -> WriteResult:
        if self.state["left"] <= 0:
            raise Killed
        result = await self.inner.write(request)
        self.state["left"] -= 1
        if self.state["left"] == 0:
            raise Killed
        return result


async def test_a_worker_killed_mid_batch_and_restarted_applies_each_write_exactly_once(
    hub: Hub,
) -> None:
    names = [f"Exactly Once {i} Ltd" for i in range(6)]
    writes = []
    for system in ("quickbooks", "harvest", "salesforce"):
        for name in names[:2] if system != "quickbooks" else names:
            writes.append(QueuedWrite(system, "client", "create", None, None, {"name": name}))
    rows = await accept(hub, *writes)
    state = {"left": 4}
    inner = hub.worker.writers_factory

    def dying(http: httpx.AsyncClient, config: Any) -> dict[str, SystemWriter]:
        return {k: DyingWriter(w, state) for k, w in inner(http, config).items()}  # type: ignore[misc]

    doomed = OutboxWorker(
        hub.sessions,
        hub.tenants,
        options=replace(TEST_OPTIONS, lease_seconds=0.3, concurrency=2),
        http=hub.http,
        writers=dying,
    )
    with pytest.raises(Killed):
        await doomed.run_batch()
    claimed = [r for r in await hub.outbox() if r.status == "IN_FLIGHT"]
    assert claimed, "the dead worker left claimed rows behind"

    restarted = OutboxWorker(
        hub.sessions, hub.tenants, options=TEST_OPTIONS, http=hub.http, writers=inner
    )
    await asyncio.sleep(0.35)  # the dead worker's lease runs out
    await restarted.drain()

    assert await statuses(hub) == ["APPLIED"] * len(rows)
    customers = await hub.api(
        "quickbooks", f"/v3/company/{realm(hub)}/query", query="select * from Customer"
    )
    qbo_names = [c["DisplayName"] for c in customers["QueryResponse"]["Customer"]]
    harvest_names = [c["name"] for c in (await hub.api("harvest", "/v2/clients"))["clients"]]
    for name in names:
        assert qbo_names.count(name) == 1, name
    for name in names[:2]:
        assert harvest_names.count(name) == 1, name
    external_ids = [(r.system, r.external_id) for r in await hub.outbox()]
    assert len(set(external_ids)) == len(rows)


async def test_under_30_percent_429s_and_500s_every_write_is_applied(hub: Hub) -> None:
    clients = [await hub.golden_with("client", {"quickbooks"}) for _ in range(1)]
    golden_id = clients[0]
    person = await hub.golden_with("resource", {"bamboohr", "harvest"})
    writes = [
        await update(hub, "client", "quickbooks", golden_id, {"legal_name": "Fault Tolerant LLC"}),
        await update(hub, "resource", "bamboohr", person, {"title": "Principal"}),
        await update(hub, "resource", "harvest", person, {"default_bill_rate": "245.00"}),
    ]
    for plan in hub.faults.values():
        plan.set(FaultPlan(error_rate=0.15, throttle_rate=0.15, retry_after=0, seed=3))
    await accept(hub, *writes)
    await hub.drain(within=60)
    for plan in hub.faults.values():
        plan.clear()

    assert await statuses(hub) == ["APPLIED"] * 3
    assert (await hub.golden(ClientRecord, golden_id)).legal_name == "Fault Tolerant LLC"
    resource = await hub.golden(ResourceRecord, person)
    assert resource.title == "Principal"
    assert str(resource.default_bill_rate).startswith("245")


async def test_a_write_that_keeps_failing_waits_in_the_exception_queue_until_retried(
    sessions: Sessions,
) -> None:
    clients: list[httpx.AsyncClient] = []
    hub = await build_hub(sessions, clients, options=replace(TEST_OPTIONS, max_attempts=3))
    try:
        golden_id = await hub.golden_with("client", {"quickbooks"})
        await accept(
            hub, await update(hub, "client", "quickbooks", golden_id, {"legal_name": "Later Inc"})
        )
        hub.faults["quickbooks"].set(FaultPlan(error_rate=1.0))
        await hub.drain()
        [row] = await hub.outbox()
        assert row.status == "FAILED"
        assert row.attempts == 3
        assert "gave up after 3 attempts" in (row.last_error or "")

        hub.faults["quickbooks"].clear()
        async with hub.sessions() as session, session.begin():
            retry(await session.get(WriteBack, row.id))  # type: ignore[arg-type]
        await hub.drain()
        assert await statuses(hub) == ["APPLIED"]
        assert (await hub.golden(ClientRecord, golden_id)).legal_name == "Later Inc"
    finally:
        for client in clients:
            await client.aclose()


async def change_at_source(hub: Hub, golden_id: int, fields: Mapping[str, Any]) -> None:
    """Someone edits the QuickBooks customer directly (its SyncToken moves on)."""
    writer = hub.worker._writer(TENANT, "quickbooks")
    customer_id, _ = await source_attributes(hub, "client", "quickbooks", golden_id)
    current = await writer.read(EntityType.CLIENT, customer_id)
    await writer.write(
        WriteRequest(
            entity_type=EntityType.CLIENT,
            action="update",
            external_id=customer_id,
            token=current.record.concurrency_token,
            fields=fields,
            idempotency_key="someone-else",
        )
    )


async def test_a_stale_token_is_reapplied_when_the_field_did_not_change_at_the_source(
    hub: Hub,
) -> None:
    golden_id = await hub.golden_with("client", {"quickbooks"})
    await accept(hub, await update(hub, "client", "quickbooks", golden_id, {"legal_name": "Ours"}))
    await change_at_source(hub, golden_id, {"tax_id": "99-1234567"})  # another field

    await hub.drain()

    assert await statuses(hub) == ["APPLIED"]
    _, attributes = await source_attributes(hub, "client", "quickbooks", golden_id)
    assert attributes["legal_name"] == "Ours"
    assert attributes["tax_id"] == "99-1234567"  # their change survived ours


async def test_a_field_changed_at_the_source_meanwhile_is_a_conflict_for_a_steward(
    hub: Hub,
) -> None:
    golden_id = await hub.golden_with("client", {"quickbooks"})
    await accept(hub, await update(hub, "client", "quickbooks", golden_id, {"legal_name": "Ours"}))
    await change_at_source(hub, golden_id, {"legal_name": "Theirs"})

    await hub.drain()

    [row] = await hub.outbox()
    assert row.status == WriteBackStatus.CONFLICT
    assert "Theirs" in (row.last_error or "") and "Ours" in (row.last_error or "")
    customer_id, _ = await source_attributes(hub, "client", "quickbooks", golden_id)
    held = await hub.api("quickbooks", f"/v3/company/{realm(hub)}/customer/{customer_id}")
    assert held["Customer"]["CompanyName"] == "Theirs"


async def test_writes_to_one_record_apply_in_the_order_they_were_accepted(hub: Hub) -> None:
    golden_id = await hub.golden_with("client", {"quickbooks"})
    first = await update(hub, "client", "quickbooks", golden_id, {"legal_name": "First"})
    await accept(hub, first)
    await accept(hub, replace(first, fields={"legal_name": "Second"}, base={"legal_name": "First"}))

    await hub.drain()

    assert await statuses(hub) == ["APPLIED", "APPLIED"]
    _, attributes = await source_attributes(hub, "client", "quickbooks", golden_id)
    assert attributes["legal_name"] == "Second"


async def test_a_mutation_accepted_while_a_write_is_confirmed_keeps_its_version(
    hub: Hub, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The confirmation recomputes the golden record without counting a new version; a
    mutation that bumps the version meanwhile must keep its bump, or its caller's next change
    is refused as a conflict with itself."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's one writer: no mutation can commit while the worker writes")
    golden_id = await hub.golden_with("client", {"quickbooks"})
    await accept(hub, await update(hub, "client", "quickbooks", golden_id, {"legal_name": "Ours"}))
    before = (await hub.golden(ClientRecord, golden_id)).version
    recompute = golden_store.recompute

    async def with_a_mutation_in_between(session: AsyncSession, *args: Any, **kw: Any) -> bool:
        await session.get(ClientRecord, golden_id)  # the worker has read the record
        async with hub.sessions() as other, other.begin():  # a mutation commits meanwhile
            await other.execute(
                sa_update(ClientRecord)
                .where(ClientRecord.id == golden_id)
                .values(version=ClientRecord.version + 1)
            )
        return await recompute(session, *args, **kw)

    monkeypatch.setattr(golden_store, "recompute", with_a_mutation_in_between)
    await hub.drain()

    assert await statuses(hub) == ["APPLIED"]
    golden = await hub.golden(ClientRecord, golden_id)
    assert golden.legal_name == "Ours"
    assert golden.version == before + 1


async def test_a_project_waits_for_its_client_to_be_created_in_the_same_system(
    hub: Hub,
) -> None:
    async with hub.sessions() as session, session.begin():
        client = ClientRecord(
            tenant_id=TENANT, name="Brand New Client", status="ACTIVE", currency="USD"
        )
        session.add(client)
        await session.flush()
        client_id = client.id
    await accept(
        hub,
        QueuedWrite("harvest", "client", "create", client_id, None, {"name": "Brand New Client"}),
        QueuedWrite(
            "harvest",
            "project",
            "create",
            None,
            None,
            {"client": client_id, "name": "Launch"},
            depends_on=0,
        ),
    )
    await hub.drain()

    assert await statuses(hub) == ["APPLIED", "APPLIED"]
    projects = (await hub.api("harvest", "/v2/projects"))["projects"]
    [launch] = [p for p in projects if p["name"] == "Launch"]
    assert launch["client"]["name"] == "Brand New Client"
    assert "harvest" in await hub.crosswalks("client", client_id)


class CountingWriter:
    def __init__(self, inner: SystemWriter, sent: list[str]) -> None:
        self.inner, self.sent, self.system = inner, sent, inner.system

    def writable(self, entity_type: Any) -> frozenset[str]:
        return self.inner.writable(entity_type)

    async def read(self, entity_type: Any, external_id: str) -> WriteResult:
        return await self.inner.read(entity_type, external_id)

    async def write(self, request: WriteRequest) -> WriteResult:
        self.sent.append(request.idempotency_key)
        return await self.inner.write(request)


async def test_two_workers_share_the_queue_without_sending_a_row_twice(hub: Hub) -> None:
    rows = await accept(
        hub,
        *(
            QueuedWrite("quickbooks", "client", "create", None, None, {"name": f"Shared {i}"})
            for i in range(16)
        ),
    )
    sent: list[str] = []
    inner = hub.worker.writers_factory

    def counting(http: httpx.AsyncClient, config: Any) -> dict[str, SystemWriter]:
        return {k: CountingWriter(w, sent) for k, w in inner(http, config).items()}  # type: ignore[misc]

    options = replace(TEST_OPTIONS, batch_size=4, concurrency=2)
    workers = [
        OutboxWorker(hub.sessions, hub.tenants, options=options, http=hub.http, writers=counting)
        for _ in range(2)
    ]
    await asyncio.gather(*(w.drain() for w in workers))

    assert await statuses(hub) == ["APPLIED"] * len(rows)
    assert sorted(sent) == sorted(set(sent)) and len(sent) == len(rows)
    assert all(w.applied > 0 for w in workers), [w.applied for w in workers]
