"""Helpers shared by the benchmark scripts: result lines, timing, throw-away databases."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

PG_ADMIN_DSN = os.environ.get("CROSSWALK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def emit(
    bench: str,
    name: str,
    value: float,
    unit: str,
    *,
    baseline: float | None = None,
    target: str | None = None,
    met: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Print one result line for bench/run.py; `ratio` is value / baseline."""
    ratio = value / baseline if baseline else None
    entry = {
        "bench": bench,
        "name": name,
        "value": round(value, 6),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 6),
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "met": met,
        **extra,
    }
    print(json.dumps(entry), flush=True)
    return entry


async def median_seconds(
    run: Callable[[], Awaitable[Any]], *, repeat: int = 5, warmup: int = 1
) -> float:
    """Median wall time of `run()` over `repeat` runs, after `warmup` unmeasured ones."""
    for _ in range(warmup):
        await run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def throwaway_postgres(prefix: str = "crosswalk_bench") -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (an async SQLAlchemy URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_url(directory: Path, name: str = "bench.db") -> str:
    return f"sqlite+aiosqlite:///{directory / name}"


def rss_kib(pid: int) -> int | None:
    """Resident set size of a process, from /proc (None once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def seed_firm(url: str, scale: float, *, seed: int = 7) -> dict[str, int]:
    """Tables, the default tenant and a generated firm in an empty database; rows per table.

    Creates the tables directly (as the tests do) so benchmarks need no migration step.
    """
    from connectors.sandbox.firm import generate_firm
    from golden_records.models import DEFAULT_TENANT, Tenant
    from hub.db import create_all, create_engine, session_maker
    from hub.seed import load_firm

    engine = create_engine(url)
    try:
        await create_all(engine)
        sessions = session_maker(engine)
        async with sessions() as session, session.begin():
            session.add(Tenant(id=DEFAULT_TENANT, name="Benchmark firm"))
        started = time.perf_counter()
        counts = await load_firm(sessions, generate_firm(seed=seed, scale=scale), DEFAULT_TENANT)
        print(f"seeded in {time.perf_counter() - started:.1f}s: {counts}", file=sys.stderr)
        return counts
    finally:
        await engine.dispose()
