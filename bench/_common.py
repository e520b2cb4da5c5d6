"""Helpers shared by the benchmark scripts: result lines, timing, throw-away databases."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
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


def _cache_dir() -> Path:
    """Where seeded databases are kept between scripts and runs (CROSSWALK_BENCH_CACHE)."""
    default = Path(tempfile.gettempdir()) / "crosswalk-bench-cache"
    return Path(os.environ.get("CROSSWALK_BENCH_CACHE") or default)


def _firm_digest() -> str:
    """Changes whenever the generated firm or the tables it is loaded into could change."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for relative in ("golden_records/models.py", "connectors/sandbox/firm.py", "hub/seed.py"):
        path = root / relative
        digest.update(path.read_bytes() if path.exists() else relative.encode())
    return digest.hexdigest()[:16]


async def seeded_sqlite(directory: Path, scale: float, *, seed: int = 7) -> tuple[str, int]:
    """A SQLite database in `directory` holding the generated firm: (URL, clients).

    Loading a firm of a few thousand records takes a minute or more, so the loaded file is
    kept in the cache directory, keyed by seed, scale and the code that shapes it, and copied
    from there when a script (or a later run) asks for the same firm again.
    """
    cache = _cache_dir()
    name = f"firm-s{seed}-x{scale:g}-{_firm_digest()}"
    cached, counts_file = cache / f"{name}.db", cache / f"{name}.json"
    target = directory / "bench.db"
    if cached.exists() and counts_file.exists():
        shutil.copyfile(cached, target)
        counts = json.loads(counts_file.read_text())
        print(f"seeded from the cache ({cached}): {counts}", file=sys.stderr)
        return sqlite_url(directory), int(counts["clients"])
    url = sqlite_url(directory)
    counts = await seed_firm(url, scale, seed=seed)
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f"{name}.{uuid.uuid4().hex[:8]}.tmp"
    shutil.copyfile(target, partial)
    partial.replace(cached)  # atomic: a concurrent reader never sees half a file
    counts_file.write_text(json.dumps(counts))
    return url, int(counts["clients"])


async def seed_firm(url: str, scale: float, *, seed: int = 7) -> dict[str, int]:
    """Tables, the default tenant and a generated firm in an empty database; rows per table.

    Creates the tables directly (as the tests do) so benchmarks need no migration step.
    """
    from sqlalchemy import text

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
        if engine.dialect.name == "postgresql":
            # A live database has planner statistics (autovacuum gathers them); a freshly
            # loaded one has none, and PostgreSQL then plans the nested reads' `IN` lookups
            # as nested loops over whole tables, a hundred times slower than in steady state.
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        print(f"seeded in {time.perf_counter() - started:.1f}s: {counts}", file=sys.stderr)
        return counts
    finally:
        await engine.dispose()
