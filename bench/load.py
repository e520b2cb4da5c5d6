"""`make load`: N concurrent httpx clients against a real server for T seconds.

Starts `crosswalk serve` (uvicorn) on a free loopback port over a seeded throw-away database
(SQLite by default, `--postgres` for the local PostgreSQL), runs a weighted mix of operations,
and reports throughput, p50/p95/p99 latency, errors and the server's peak RSS. Exits 1 on any
error, or when the server's memory is still growing over the last third of the run.

    python bench/load.py --clients 8 --seconds 30 [--postgres] [--scale 0.2] [--mix reads]
    python bench/load.py --url http://127.0.0.1:8000 --api-key KEY   # an already running server
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/load.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench._common import (
    emit,
    free_port,
    postgres_reachable,
    rss_kib,
    seed_firm,
    sqlite_url,
    throwaway_postgres,
)

CROSSWALK = str(Path(sys.executable).with_name("crosswalk"))


# -- the operation mix -----------------------------------------------------------------------


@dataclass
class Catalog:
    """IDs discovered before the run, so operations can address real records."""

    client_ids: list[str] = field(default_factory=list)
    project_ids: list[str] = field(default_factory=list)


@dataclass
class Operation:
    """One kind of request in the mix: its relative weight and how to build its body."""

    name: str
    weight: float
    build: Callable[[random.Random, Catalog], dict[str, Any]]


def _list_clients(rng: random.Random, _catalog: Catalog) -> dict[str, Any]:
    return {
        "query": "query ListClients($first: Int!) { clients(first: $first) "
        "{ edges { node { id name status } } pageInfo { hasNextPage endCursor } } }",
        "variables": {"first": rng.choice([10, 25, 50])},
        "operationName": "ListClients",
    }


def _nested_read(rng: random.Random, _catalog: Catalog) -> dict[str, Any]:
    return {
        "query": "query Nested($first: Int!) { clients(first: $first) { edges { node { id name "
        "projects { id name assignments { role resource { id givenName familyName } } } } } } }",
        "variables": {"first": rng.choice([10, 20])},
        "operationName": "Nested",
    }


def _client_by_id(rng: random.Random, catalog: Catalog) -> dict[str, Any]:
    client_id = rng.choice(catalog.client_ids) if catalog.client_ids else "missing"
    return {
        "query": "query ClientById($id: ID!) { node(id: $id) { id ... on Client { name "
        "crosswalks { system externalId } sourceRecords { system externalId } } } }",
        "variables": {"id": client_id},
        "operationName": "ClientById",
    }


def _project_detail(rng: random.Random, catalog: Catalog) -> dict[str, Any]:
    project_id = rng.choice(catalog.project_ids) if catalog.project_ids else "missing"
    return {
        "query": "query ProjectDetail($id: ID!) { node(id: $id) { id ... on Project { name "
        "status client { id name } assignments { role resource { id givenName } } } } }",
        "variables": {"id": project_id},
        "operationName": "ProjectDetail",
    }


# Mixes by name. Add mutations here (a builder returning a mutation body) as they land; a
# mutation that reports typed errors in its payload is still a success for the load test.
MIXES: dict[str, list[Operation]] = {
    "reads": [
        Operation("ListClients", 4, _list_clients),
        Operation("ClientById", 4, _client_by_id),
        Operation("ProjectDetail", 3, _project_detail),
        Operation("Nested", 1, _nested_read),
    ],
}


async def discover(client: httpx.AsyncClient) -> Catalog:
    catalog = Catalog()
    body = {
        "query": "{ clients(first: 200) { edges { node { id projects { id } } } } }",
    }
    response = await client.post("/graphql", json=body)
    data = response.json().get("data") or {}
    for edge in (data.get("clients") or {}).get("edges", []):
        node = edge["node"]
        catalog.client_ids.append(node["id"])
        catalog.project_ids.extend(p["id"] for p in node.get("projects") or [])
    return catalog


# -- running ------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_operation: dict[str, int] = field(default_factory=dict)


def _error_of(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.text[:200]}"
    if body.get("errors"):
        return f"GraphQL error: {body['errors'][0]}"[:300]
    return None


async def client_loop(
    client: httpx.AsyncClient,
    mix: list[Operation],
    catalog: Catalog,
    deadline: float,
    tally: Tally,
    seed: int,
) -> None:
    rng = random.Random(seed)
    weights = [op.weight for op in mix]
    while time.monotonic() < deadline:
        operation = rng.choices(mix, weights)[0]
        started = time.perf_counter()
        try:
            response = await client.post("/graphql", json=operation.build(rng, catalog))
            error = _error_of(response)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        tally.latencies.append(time.perf_counter() - started)
        tally.by_operation[operation.name] = tally.by_operation.get(operation.name, 0) + 1
        if error:
            tally.errors.append(f"{operation.name}: {error}")


async def sample_rss(
    pid: int | None, samples: list[tuple[float, int]], stop: asyncio.Event
) -> None:
    while pid is not None and not stop.is_set():
        value = rss_kib(pid)
        if value is not None:
            samples.append((time.monotonic(), value))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def growth_over_last_third(samples: list[tuple[float, int]]) -> tuple[float, bool]:
    """(KiB grown over the last third by a least-squares fit, whether that counts as growing).

    Caches and pools fill early; a server that is still growing at the end of a steady load
    leaks. Growth under max(8 MiB, 3% of the RSS) over that window is noise.
    """
    if len(samples) < 6:
        return 0.0, False
    start, end = samples[0][0], samples[-1][0]
    tail = [(t, v) for t, v in samples if t >= start + (end - start) * 2 / 3]
    if len(tail) < 3:
        return 0.0, False
    times = [t for t, _ in tail]
    values = [float(v) for _, v in tail]
    slope = statistics.linear_regression(times, values).slope
    grown = slope * (times[-1] - times[0])
    return grown, grown > max(8 * 1024, 0.03 * statistics.mean(values))


# -- the server ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def database(use_postgres: bool) -> AsyncIterator[str]:
    if use_postgres:
        if not postgres_reachable():
            raise SystemExit("--postgres: nothing listens on 127.0.0.1:5432")
        async with throwaway_postgres("crosswalk_load") as url:
            yield url
    else:
        with tempfile.TemporaryDirectory(prefix="crosswalk-load-") as tmp:
            yield sqlite_url(Path(tmp), "load.db")


async def create_admin_key(database_url: str, tenant: str) -> str:
    from hub.auth.api_keys import create_key
    from hub.db import create_engine, session_maker

    engine = create_engine(database_url)
    try:
        _key, token = await create_key(session_maker(engine), tenant, "admin", "load test")
    finally:
        await engine.dispose()
    return token


@contextlib.asynccontextmanager
async def server(database_url: str, scale: float, log: Path) -> AsyncIterator[tuple[str, int, str]]:
    """A seeded server on a free loopback port: (base URL, pid, admin API key)."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        CROSSWALK_DATABASE_URL=database_url,
        CROSSWALK_HOST="127.0.0.1",
        CROSSWALK_PORT=str(port),
        CROSSWALK_LOG_LEVEL="WARNING",
    )
    print(f"seeding a firm at scale {scale} …", file=sys.stderr, flush=True)
    await seed_firm(database_url, scale)
    api_key = await create_admin_key(database_url, env.get("CROSSWALK_DEFAULT_TENANT", "default"))
    with log.open("w") as out:
        # The server outlives this coroutine's awaits; Popen itself returns at once.
        proc = subprocess.Popen([CROSSWALK, "serve"], env=env, stdout=out, stderr=out)  # noqa: ASYNC220
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base, timeout=2) as probe:
                deadline = time.monotonic() + 60
                while True:
                    if proc.poll() is not None:
                        output = log.read_text()  # noqa: ASYNC240 (the server is gone)
                        raise SystemExit(f"server exited ({proc.returncode}):\n{output}")
                    with contextlib.suppress(httpx.TransportError):
                        if (await probe.get("/healthz")).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise SystemExit("server did not become healthy within 60s")
                    await asyncio.sleep(0.2)
            yield base, proc.pid, api_key
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


# -- main ----------------------------------------------------------------------------------


async def run_load(
    base: str, pid: int | None, api_key: str | None, args: argparse.Namespace
) -> int:
    mix = MIXES[args.mix]
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=30, limits=limits
    ) as client:
        catalog = await discover(client)
        print(
            f"{len(catalog.client_ids)} clients, {len(catalog.project_ids)} projects discovered; "
            f"{args.clients} clients for {args.seconds}s ({args.mix})",
            file=sys.stderr,
            flush=True,
        )
        tally = Tally()
        samples: list[tuple[float, int]] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_rss(pid, samples, stop))
        started = time.monotonic()
        deadline = started + args.seconds
        await asyncio.gather(
            *(
                client_loop(client, mix, catalog, deadline, tally, seed=args.seed + i)
                for i in range(args.clients)
            )
        )
        elapsed = time.monotonic() - started
        stop.set()
        await sampler

    count = len(tally.latencies)
    throughput = count / elapsed if elapsed else 0.0
    p50, p95, p99 = (percentile(tally.latencies, q) * 1000 for q in (50, 95, 99))
    peak = max((v for _, v in samples), default=0)
    grown, growing = growth_over_last_third(samples)

    tag = {"clients": args.clients, "backend": "postgresql" if args.postgres else "sqlite"}
    emit("load", "throughput", throughput, "req/s", **tag)
    emit("load", "latency p50", p50, "ms", **tag)
    emit("load", "latency p95", p95, "ms", **tag)
    emit("load", "latency p99", p99, "ms", **tag)
    emit("load", "errors", len(tally.errors), "count", target="0", met=not tally.errors, **tag)
    if samples:
        emit("load", "server peak RSS", peak / 1024, "MiB", **tag)
        emit(
            "load",
            "RSS growth, last third",
            grown / 1024,
            "MiB",
            target="not growing",
            met=not growing,
            **tag,
        )

    print(
        f"\n{count} requests in {elapsed:.1f}s: {throughput:.1f} req/s; "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms; {len(tally.errors)} errors"
        + (
            f"; peak RSS {peak / 1024:.1f} MiB, last-third growth {grown / 1024:+.1f} MiB"
            if samples
            else ""
        )
    )
    print("per operation: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.by_operation.items())))
    for error in tally.errors[:10]:
        print(f"  error: {error}")
    failed = bool(tally.errors) or growing or count == 0
    if growing:
        print("FAIL: server memory kept growing over the last third of the run")
    return 1 if failed else 0


async def main_async(args: argparse.Namespace) -> int:
    if args.url:
        return await run_load(args.url.rstrip("/"), args.pid, args.api_key, args)
    async with database(args.postgres) as url:
        with tempfile.TemporaryDirectory(prefix="crosswalk-load-log-") as tmp:
            log = Path(tmp) / "server.log"
            async with server(url, args.scale, log) as (base, pid, api_key):
                code = await run_load(base, pid, api_key, args)
            if code:
                print("server log (tail):\n" + "\n".join(log.read_text().splitlines()[-30:]))
            return code


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=20, help="duration of the run")
    parser.add_argument("--postgres", action="store_true", help="local PostgreSQL, not SQLite")
    parser.add_argument("--scale", type=float, default=0.2, help="size of the seeded firm")
    parser.add_argument("--mix", choices=sorted(MIXES), default="reads")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="use this running server instead of starting one")
    parser.add_argument("--api-key", default=os.environ.get("CROSSWALK_API_KEY"))
    parser.add_argument("--pid", type=int, help="with --url: the server's pid, to sample RSS")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.clients > 256 or args.seconds <= 0 or args.seconds > 3600:
        parser.error("--clients must be 1..256 and --seconds 0..3600")
    if args.url and httpx.URL(args.url).host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--url must be a loopback address")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main_async(parse_args())))
