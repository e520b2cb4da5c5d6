"""Write-back throughput and latency: GraphQL mutations through the outbox to the sandbox.

A firm is synced from the five sandbox systems (in-process, over httpx) into a fresh database;
then `updateClient` mutations (legal name to QuickBooks, industry to Salesforce: two writes per
mutation) go through the GraphQL schema while the outbox worker runs, in two phases:
- burst: CALLERS concurrent callers send MUTATIONS as fast as they can; prints the mutations
  accepted per second and the writes applied per second (the worker's throughput);
- paced: RATE mutations a second for PACED mutations, below saturation; prints p50/p95 of the
  time from a mutation being accepted to each system confirming it (APPLIED), without the
  queueing a burst adds.
On SQLite and, when it is reachable, PostgreSQL. The sandbox runs in the same process (its CPU
time counts against the worker's), so these are floors, not ceilings.

Usage: python -m bench.writeback [--mutations 300] [--callers 8] [--paced 60] [--rate 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench._common import emit, postgres_reachable, sqlite_url, throwaway_postgres

UPDATE = """
mutation($input: UpdateClientInput!) {
  updateClient(input: $input) { errors { code message } client { version } }
}"""


async def run(
    url: str, backend: str, mutations: int, callers: int, paced: int, rate: float
) -> None:
    from sqlalchemy import select

    from connectors.base import RetryPolicy
    from connectors.sandbox.apps import CREDENTIALS, create_sandbox_apps, mount_sandbox
    from connectors.sandbox.firm import generate_firm
    from connectors.sandbox.render import render_firm
    from connectors.writeback import writer_for
    from golden_records.models import ClientRecord, Crosswalk, Tenant
    from hub.auth import AuthMethod, Principal, Role
    from hub.db import create_all, create_engine, session_maker
    from hub.outbox_models import WriteBack
    from hub.outbox_worker import OutboxWorker, WorkerOptions
    from hub.refresh import refresh_golden_records
    from hub.settings import Settings
    from hub.sync import connectors_from_credentials, sync
    from hub.tenants import TenantConfig, TenantRegistry
    from resolvers.context import Context
    from resolvers.global_ids import encode_global_id
    from schema import build_schema

    engine = create_engine(url)
    await create_all(engine)
    sessions = session_maker(engine)
    async with sessions() as session, session.begin():
        session.add(Tenant(id="default", name="Benchmark firm"))
    data = render_firm(generate_firm(7, 0.3), 7)
    app = mount_sandbox(create_sandbox_apps(data))
    urls = {system: f"http://sandbox/{system}" for system in CREDENTIALS}
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        connectors = connectors_from_credentials(http, urls, CREDENTIALS, retry=policy)
        await sync(sessions, connectors, tenant_id="default")
        await refresh_golden_records(sessions, "default")
        async with sessions() as session:
            both = (
                select(Crosswalk.golden_id)
                .where(Crosswalk.entity_type == "client", Crosswalk.system == "quickbooks")
                .intersect(
                    select(Crosswalk.golden_id).where(
                        Crosswalk.entity_type == "client", Crosswalk.system == "salesforce"
                    )
                )
            )
            client_ids = [int(i) for i in (await session.scalars(both)).all()]
            live = set(
                (
                    await session.scalars(
                        select(ClientRecord.id).where(ClientRecord.merged_into_id.is_(None))
                    )
                ).all()
            )
        client_ids = [c for c in client_ids if c in live]
        config = TenantConfig.model_validate(
            {
                "id": "default",
                "display_name": "default",
                "systems": {
                    n: {"base_url": urls[n], "credentials": CREDENTIALS[n]} for n in CREDENTIALS
                },
            }
        )
        tenants = TenantRegistry({"default": config})
        built = {c.system: writer_for(c) for c in connectors}
        worker = OutboxWorker(
            sessions,
            tenants,
            options=WorkerOptions(idle_poll_seconds=0.05),
            http=http,
            writers=lambda _http, _config: built,
        )
        schema = build_schema()
        settings = Settings()
        principal = Principal("default", Role.ADMIN, "bench", None, AuthMethod.JWT)
        versions: dict[int, int] = {}
        locks = {c: asyncio.Lock() for c in client_ids}
        errors: list[str] = []  # "CODE: message" of each refused mutation

        async def mutate(i: int) -> None:
            golden_id = client_ids[i % len(client_ids)]
            async with locks[golden_id]:  # one caller per record at a time, as a UI would
                if golden_id not in versions:
                    async with sessions() as session:
                        row = await session.get(ClientRecord, golden_id)
                        assert row is not None
                        versions[golden_id] = row.version
                ctx = Context.create(
                    sessions,
                    tenant_id="default",
                    settings=settings,
                    principal=principal,
                    tenant=config,
                    outbox_wakeup=worker.wake,
                )
                variables = {
                    "input": {
                        "id": encode_global_id("Client", golden_id),
                        "expectedVersion": versions[golden_id],
                        "legalName": f"Bench Holdings {i} LLC",
                        "industry": f"Industry {i}",
                    }
                }
                try:
                    result = await schema.execute(UPDATE, variables, context_value=ctx)
                finally:
                    await ctx.close()
                payload = (result.data or {}).get("updateClient") or {}
                if result.errors or payload.get("errors"):
                    errors.extend(
                        f"{e.extensions.get('code') if e.extensions else 'ERROR'}: {e.message}"
                        for e in result.errors or ()
                    )
                    refused = payload.get("errors") or ()
                    errors.extend(f"{e['code']}: {e['message']}" for e in refused)
                    versions.pop(golden_id, None)
                    return
                versions[golden_id] = payload["client"]["version"]

        async def settled(after: int) -> list[Any]:
            """The outbox rows above ID `after`, once none of them is open any more."""
            while True:
                async with sessions() as session:
                    rows = list(
                        await session.scalars(select(WriteBack).where(WriteBack.id > after))
                    )
                if rows and all(r.status in ("APPLIED", "FAILED", "CONFLICT") for r in rows):
                    return rows
                await asyncio.sleep(0.05)

        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(mutations):
            queue.put_nowait(i)

        async def caller() -> None:
            while not queue.empty():
                await mutate(queue.get_nowait())

        worker.start()
        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        accepted_in = time.perf_counter() - started
        burst = await settled(0)
        drained_in = time.perf_counter() - started
        burst_errors = len(errors)

        # Paced: one mutation every 1/rate seconds, each on its own record.
        last_id = max(r.id for r in burst)
        paced_tasks = []
        for i in range(paced):
            paced_tasks.append(asyncio.create_task(mutate(mutations + i)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*paced_tasks)
        paced_rows = await settled(last_id)
        await worker.stop()
    await engine.dispose()
    applied = [r for r in burst if r.status == "APPLIED"]
    print(
        f"[{backend}] burst: {mutations - burst_errors} mutations accepted in {accepted_in:.2f}s; "
        f"{len(applied)}/{len(burst)} writes applied in {drained_in:.2f}s; "
        f"{len(errors)} mutation errors {errors[:3]}",
        file=sys.stderr,
    )
    emit(
        "writeback",
        f"{backend}: mutations accepted (burst)",
        (mutations - burst_errors) / accepted_in,
        "mutations/s",
    )
    emit("writeback", f"{backend}: writes applied (burst)", len(applied) / drained_in, "writes/s")
    emit(
        "writeback",
        f"{backend}: writes not applied",
        len(burst) - len(applied),
        "writes",
        target="0",
        met=len(burst) == len(applied),
    )
    latencies = sorted(
        (r.applied_at - r.created_at).total_seconds()
        for r in paced_rows
        if r.status == "APPLIED" and r.applied_at
    )
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    emit(
        "writeback",
        f"{backend}: accepted to APPLIED p50 at {rate:g}/s",
        statistics.median(latencies),
        "s",
    )
    emit("writeback", f"{backend}: accepted to APPLIED p95 at {rate:g}/s", p95, "s")
    # Every caller holds the version its last mutation returned, so none should be refused;
    # the first few errors go into results.json, where a refusal can be looked into.
    emit(
        "writeback",
        f"{backend}: mutation errors",
        len(errors),
        "mutations",
        target="0",
        met=not errors,
        errors=errors[:5],
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mutations", type=int, default=300)
    parser.add_argument("--callers", type=int, default=8)
    parser.add_argument("--paced", type=int, default=60)
    parser.add_argument("--rate", type=float, default=5.0)
    args = parser.parse_args()
    shape = (args.mutations, args.callers, args.paced, args.rate)
    with tempfile.TemporaryDirectory() as tmp:
        await run(sqlite_url(Path(tmp)), "sqlite", *shape)
    if postgres_reachable():
        async with throwaway_postgres("crosswalk_bench_wb") as url:
            await run(url, "postgresql", *shape)


if __name__ == "__main__":
    asyncio.run(main())
