"""Nested read benchmark: clients → projects → assignments → resource at page sizes 10/100/1000.

For each page size, in the same run and on the same seeded database, it measures
- the real schema (`schema.execute` with the request's DataLoaders, then `json.dumps`),
- the bare baseline: the four SQL queries that fetch the same rows, shaped into the same
  payload and `json.dumps`-ed,
- the naive variant: the same schema and resolvers with batching and caching switched off in
  every DataLoader, so each parent runs its own query (the N+1 pattern dataloaders prevent),
reporting median latency (ours and bare alternated), SQL statements, and the ratios (targets:
≤ 2x bare at N = 100, ≥ 10x faster than naive). SQLite always; PostgreSQL too when
127.0.0.1:5432 answers.
    python -m bench.nested_read [--sizes 10,100,1000] [--repeat 5] [--backends sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/nested_read.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench._common import (
    emit,
    median_seconds,
    postgres_reachable,
    seed_firm,
    seeded_sqlite,
    throwaway_postgres,
)
from golden_records.models import (
    DEFAULT_TENANT,
    AssignmentRecord,
    ClientRecord,
    ProjectRecord,
    ResourceRecord,
)
from hub.db import create_engine, session_maker
from hub.gc_tuning import freeze_startup_objects
from hub.settings import Settings
from hub.telemetry import SqlStatementCounter, count_sql_statements
from hub.tenants import TenantConfig

BENCH = "nested_read"
QUERY = """
query Nested($first: Int!) {
  clients(first: $first) {
    edges { node { id name
      projects { id name assignments { role resource { id givenName familyName } } }
    } }
  }
}
"""
# 1.0 ≈ 300 clients; enough for a full page of 1000.
DEFAULT_SCALE = 3.5


class _NoBatching(dict[Any, Any]):
    """A Loaders cache that switches batching and caching off in every DataLoader put in it.

    Same schema, same resolvers, same SQL per key: only the batching is gone, so each parent
    object issues its own statement, as naive resolvers would.
    """

    def __setitem__(self, key: Any, loader: Any) -> None:
        loader.batch = False
        loader.cache = False
        super().__setitem__(key, loader)


class Runner:
    """The three ways of producing the nested payload, against one seeded database."""

    def __init__(self, engine: AsyncEngine, url: str) -> None:
        from hub.limits import security_extensions
        from schema import build_schema

        self.engine = engine
        self.sessions: async_sessionmaker[AsyncSession] = session_maker(engine)
        self.settings = Settings(database_url=url, max_page_size=1000)
        # The app validates each tenant's configuration once at start-up, not per request.
        self.tenant = TenantConfig.default(DEFAULT_TENANT)
        # The schema as the app builds it: with its depth/alias/token limits and their cache.
        self.schema = build_schema(security_extensions(self.settings))
        count_sql_statements(engine)
        # As `crosswalk serve` does once the app is built (hub.gc_tuning).
        freeze_startup_objects()

    async def graphql(self, first: int, *, naive: bool = False) -> str:
        from hub.auth import AuthMethod, Principal, Role
        from resolvers.context import Context

        # The read API needs a caller; an analyst is the BI tool this query stands for.
        caller = Principal(DEFAULT_TENANT, Role.ANALYST, "bench", None, AuthMethod.JWT)
        context = await _maybe_await(
            Context.create(
                self.sessions,
                tenant_id=DEFAULT_TENANT,
                settings=self.settings,
                principal=caller,
                tenant=self.tenant,
            )
        )
        if naive:
            context.loaders._cache = _NoBatching()
            context.prefetch = False  # naive resolvers do not look ahead either
        try:
            result = await self.schema.execute(
                QUERY,
                variable_values={"first": first},
                context_value=context,
                operation_name="Nested",
            )
        finally:
            await context.close()
        if result.errors:
            raise RuntimeError(f"query failed: {result.errors[0]}")
        return json.dumps({"data": result.data})

    async def bare(self, first: int) -> str:
        """The same rows by hand-written SQL (one statement per level), the same JSON.

        Written as tight as hand-written code would be: rows unpacked by position (a Row's
        attribute access by name costs ~20 times as much), one dict per object.
        """
        from resolvers.global_ids import encode_global_id

        c, p, a, r = (
            ClientRecord.__table__,
            ProjectRecord.__table__,
            AssignmentRecord.__table__,
            ResourceRecord.__table__,
        )
        live = DEFAULT_TENANT
        async with self.engine.connect() as conn:
            clients = (
                await conn.execute(
                    select(c.c.id, c.c.name)
                    .where(c.c.tenant_id == live, c.c.merged_into_id.is_(None))
                    .order_by(c.c.name, c.c.id)
                    .limit(first)
                )
            ).all()
            projects = (
                await conn.execute(
                    select(p.c.id, p.c.name, p.c.client_id)
                    .where(
                        p.c.tenant_id == live,
                        p.c.merged_into_id.is_(None),
                        p.c.client_id.in_([client_id for client_id, _ in clients]),
                    )
                    .order_by(p.c.name, p.c.id)
                )
            ).all()
            assignments = (
                await conn.execute(
                    select(a.c.role, a.c.project_id, a.c.resource_id)
                    .where(
                        a.c.tenant_id == live,
                        a.c.merged_into_id.is_(None),
                        a.c.project_id.in_([project_id for project_id, _, _ in projects]),
                    )
                    .order_by(a.c.start_date, a.c.id)
                )
            ).all()
            resources = (
                await conn.execute(
                    select(r.c.id, r.c.given_name, r.c.family_name).where(
                        r.c.tenant_id == live,
                        r.c.id.in_({resource_id for _, _, resource_id in assignments}),
                    )
                )
            ).all()
        people = {
            resource_id: {
                "id": encode_global_id("Resource", resource_id),
                "givenName": given_name,
                "familyName": family_name,
            }
            for resource_id, given_name, family_name in resources
        }
        by_project: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for role, project_id, resource_id in assignments:
            by_project[project_id].append({"role": role, "resource": people.get(resource_id)})
        by_client: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for project_id, name, client_id in projects:
            by_client[client_id].append(
                {
                    "id": encode_global_id("Project", project_id),
                    "name": name,
                    "assignments": by_project.get(project_id, []),
                }
            )
        edges = [
            {
                "node": {
                    "id": encode_global_id("Client", client_id),
                    "name": name,
                    "projects": by_client.get(client_id, []),
                }
            }
            for client_id, name in clients
        ]
        return json.dumps({"data": {"clients": {"edges": edges}}})


async def _maybe_await(value: Any) -> Any:
    # Context.create has been both sync and async while the API settles.
    if asyncio.iscoroutine(value):
        return await value
    return value


# Ours and bare take milliseconds: three times the runs, alternated, so that both see the same
# machine (other processes come and go on a shared one) and the medians settle.
_PAIRED_REPEAT = 3


async def _paired_medians(
    ours: Callable[[], Awaitable[Any]], bare: Callable[[], Awaitable[Any]], *, repeat: int
) -> tuple[float, float]:
    """Median wall times of `ours()` and `bare()`, run alternately `repeat` times each."""
    await ours()
    await bare()
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for run, into in ((ours, timings[0]), (bare, timings[1])):
            started = time.perf_counter()
            await run()
            into.append(time.perf_counter() - started)
    return statistics.median(timings[0]), statistics.median(timings[1])


async def statements(run: Any) -> int:
    with SqlStatementCounter() as counter:
        await run()
    return counter.count


@contextlib.asynccontextmanager
async def database(backend: str, scale: float) -> AsyncIterator[tuple[str, int]]:
    """A database holding the generated firm: (URL, how many clients it has)."""
    if backend == "postgresql":
        async with throwaway_postgres() as url:
            yield url, (await seed_firm(url, scale))["clients"]
    else:
        with tempfile.TemporaryDirectory(prefix="crosswalk-bench-") as tmp:
            yield await seeded_sqlite(Path(tmp), scale)


def _same_shape(ours: str, bare: str) -> bool:
    return bool(json.loads(ours) == json.loads(bare))


async def bench_backend(backend: str, sizes: list[int], repeat: int, scale: float) -> None:
    async with database(backend, scale) as (url, available):
        engine = create_engine(url)
        runner = Runner(engine, url)
        try:
            for size in sizes:
                await bench_size(runner, backend, size, min(size, available), repeat)
        finally:
            await engine.dispose()


async def bench_size(runner: Runner, backend: str, size: int, rows: int, repeat: int) -> None:
    label = f"{backend} N={size}"
    ours_payload, bare_payload = await runner.graphql(size), await runner.bare(size)
    if not _same_shape(ours_payload, bare_payload):
        print(f"warning: {label}: bare payload differs from the API's", file=sys.stderr)
    ours, bare = await _paired_medians(
        lambda: runner.graphql(size), lambda: runner.bare(size), repeat=_PAIRED_REPEAT * repeat
    )
    # The naive variant is slow by design; fewer runs at large sizes keep the bench bounded.
    naive_repeat = repeat if size <= 100 else 1
    naive = await median_seconds(
        lambda: runner.graphql(size, naive=True), repeat=naive_repeat, warmup=0
    )
    ours_sql = await statements(lambda: runner.graphql(size))
    bare_sql = await statements(lambda: runner.bare(size))
    naive_sql = await statements(lambda: runner.graphql(size, naive=True))
    at_100 = size == 100
    extra: dict[str, Any] = {
        "backend": backend,
        "page_size": size,
        "clients": rows,
        "bytes": len(ours_payload),
    }
    emit(
        BENCH,
        f"{label} latency vs bare SQL+JSON",
        ours * 1000,
        "ms",
        baseline=bare * 1000,
        target="≤ 2x" if at_100 else None,
        met=(ours / bare <= 2) if at_100 else None,
        **extra,
    )
    emit(
        BENCH,
        f"{label} naive latency vs ours",
        naive * 1000,
        "ms",
        baseline=ours * 1000,
        target="≥ 10x" if at_100 else None,
        met=(naive / ours >= 10) if at_100 else None,
        **extra,
    )
    emit(BENCH, f"{label} SQL statements (ours)", ours_sql, "stmts", baseline=bare_sql, **extra)
    emit(BENCH, f"{label} SQL statements (naive)", naive_sql, "stmts", baseline=ours_sql, **extra)
    print(
        f"{label}: ours {ours * 1000:.1f} ms / {ours_sql} stmts, bare {bare * 1000:.1f} ms / "
        f"{bare_sql} stmts, naive {naive * 1000:.1f} ms / {naive_sql} stmts; "
        f"ours/bare {ours / bare:.2f}x, naive/ours {naive / ours:.1f}x",
        file=sys.stderr,
    )


async def main_async(args: argparse.Namespace) -> int:
    backends = args.backends.split(",") if args.backends else ["sqlite"]
    if not args.backends and postgres_reachable():
        backends.append("postgresql")
    sizes = [int(s) for s in args.sizes.split(",")]
    for backend in backends:
        await bench_backend(backend, sizes, args.repeat, args.scale)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    # Environment defaults let `make bench` runs be shortened without editing the runner.
    env = os.environ.get
    parser.add_argument("--sizes", default=env("CROSSWALK_BENCH_SIZES", "10,100,1000"))
    parser.add_argument("--repeat", type=int, default=int(env("CROSSWALK_BENCH_REPEAT", "5")))
    parser.add_argument(
        "--scale", type=float, default=float(env("CROSSWALK_BENCH_SCALE", str(DEFAULT_SCALE)))
    )
    parser.add_argument("--backends", help="comma-separated: sqlite,postgresql")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main_async(parse_args())))
