"""Full-sync throughput (source records per second) from the five emulators into a fresh hub.

Runs the emulators in-process (httpx.ASGITransport) on a seeded firm at each scale and syncs
everything into a temporary SQLite database (or CROSSWALK_BENCH_DATABASE_URL). Prints a table
and one JSON line per figure.

`make bench` syncs scale 1 (about 79,000 source records, under half a minute) and scale 10
(about 790,000 records, seven minutes and 2.5 GB on two cores); CROSSWALK_BENCH_SYNC_SCALES
chooses others, e.g. "1" for a quick run:

    .venv/bin/python bench/sync_throughput.py [--scales 1 10] [--seed 7]
    CROSSWALK_BENCH_SYNC_SCALES=1 make bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import httpx

from connectors.sandbox.apps import CREDENTIALS, create_sandbox_apps, mount_sandbox
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.render import render_firm
from golden_records.models import DEFAULT_TENANT, Tenant
from hub.db import create_all, create_engine, session_maker
from hub.sync import connectors_from_credentials, sync


async def full_sync(scale: float, seed: int, database_url: str) -> tuple[int, float]:
    engine = create_engine(database_url)
    await create_all(engine)
    sessions = session_maker(engine)
    async with sessions() as session:
        session.add(Tenant(id=DEFAULT_TENANT, name="Bench"))
        await session.commit()
    app = mount_sandbox(create_sandbox_apps(render_firm(generate_firm(seed, scale), seed)))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
            urls = {system: f"http://sandbox/{system}" for system in CREDENTIALS}
            connectors = connectors_from_credentials(http, urls, CREDENTIALS)
            started = time.perf_counter()
            results = await sync(sessions, connectors, tenant_id=DEFAULT_TENANT, full=True)
            elapsed = time.perf_counter() - started
    finally:
        await engine.dispose()
    failed = [f"{r.system}/{r.stream}: {r.error}" for r in results if r.status != "succeeded"]
    if failed:
        raise SystemExit("sync failed: " + "; ".join(failed))
    return sum(r.fetched for r in results), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_scales = os.environ.get("CROSSWALK_BENCH_SYNC_SCALES", "1 10").split()
    parser.add_argument(
        "--scales", type=float, nargs="+", default=[float(s) for s in default_scales]
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    lines = []
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as tmp:
            url = os.environ.get("CROSSWALK_BENCH_DATABASE_URL") or (
                f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            )
            records, elapsed = asyncio.run(full_sync(scale, args.seed, url))
        rate = records / elapsed if elapsed else 0.0
        label = f"{scale:g}"
        print(f"scale {label:>4}: {records:>8} records in {elapsed:7.1f} s = {rate:8.1f} records/s")
        lines.append(
            {
                "bench": "sync",
                "name": f"full_sync_scale_{label}",
                "value": round(rate, 1),
                "unit": "records/s",
                "records": records,
                "seconds": round(elapsed, 1),
            }
        )
    for line in lines:
        print(json.dumps(line))


if __name__ == "__main__":
    main()
