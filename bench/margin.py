"""Margin by client and month over 1,000,000 time entries, next to the bare GROUP BY query.

Run: `.venv/bin/python -m bench.margin [--entries N]`. Loads a synthetic firm (bulk Core/COPY
inserts, not the ORM) into a throw-away SQLite file and, when reachable, a throw-away
PostgreSQL database, then prints one JSON line per measurement:
{"bench": "margin", "name": ..., "value": s, "unit": "s", "baseline": s, "ratio": ...}.
`baseline` is the bare query: hours per client and month, the same rows scanned and grouped,
without the rates. Each figure is the best of a few runs, after one warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Executable, Row, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from golden_records.fx_models import FxRate
from golden_records.margin import (
    MarginGroupBy,
    MarginQuery,
    compute_margin,
    margin_statement,
    month_of,
)
from golden_records.models import (
    AssignmentRecord,
    Base,
    ClientRecord,
    CostRateRecord,
    InvoiceRecord,
    ProjectRecord,
    ResourceRecord,
    Tenant,
    TimeEntryRecord,
)
from hub.db import create_engine

TENANT = "bench"
YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)
CURRENCIES = ("USD", "USD", "USD", "EUR", "GBP")
RUNS = 3


def _firm(entries: int, seed: int = 6) -> dict[str, list[dict[str, Any]]]:
    """Plain rows for every table: about 1 client per 3,000 entries, 3 projects per client."""
    rnd = random.Random(seed)
    n_clients = max(3, entries // 3000)
    n_projects, n_people = n_clients * 3, max(5, entries // 1000)
    common: dict[str, Any] = {"tenant_id": TENANT, "version": 1}
    clients = [
        {**common, "id": i, "name": f"Client {i}", "status": "ACTIVE", "currency": "USD"}
        for i in range(1, n_clients + 1)
    ]
    billing = ["TIME_AND_MATERIALS"] * 16 + ["FIXED_FEE"] * 3 + ["NON_BILLABLE"]
    projects = [
        {
            **common,
            "id": i,
            "client_id": rnd.randint(1, n_clients),
            "name": f"Project {i}",
            "status": "ACTIVE",
            "billing_type": rnd.choice(billing),
            "currency": rnd.choice(CURRENCIES),
            "bill_rate": Decimal(rnd.choice(["150", "175"])) if rnd.random() < 0.5 else None,
        }
        for i in range(1, n_projects + 1)
    ]
    people = [
        {
            **common,
            "id": i,
            "given_name": "Person",
            "family_name": str(i),
            "department": f"Dept {i % 12}",
            "employment_type": "EMPLOYEE",
            "status": "ACTIVE",
            "default_bill_rate": Decimal(rnd.randint(90, 250)),
            "currency": rnd.choice(CURRENCIES),
            "skills": [],
        }
        for i in range(1, n_people + 1)
    ]
    cost_rates: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    staffing: dict[int, list[int]] = {}
    for person in people:
        pid: int = person["id"]
        base = rnd.randint(40, 120)
        change = YEAR_START + timedelta(days=rnd.randint(30, 330))  # one raise mid-year
        for k, (start, cost) in enumerate(((date(2024, 1, 1), base), (change, base + 8))):
            cost_rates.append(
                {
                    **common,
                    "id": pid * 2 - 1 + k,
                    "resource_id": pid,
                    "effective_from": start,
                    "effective_to": None,
                    "hourly_cost": Decimal(cost),
                    "currency": person["currency"],
                }
            )
        staffing[pid] = rnd.sample(range(1, n_projects + 1), 3)
        for project_id in staffing[pid]:
            assignments.append(
                {
                    **common,
                    "id": len(assignments) + 1,
                    "project_id": project_id,
                    "resource_id": pid,
                    "bill_rate": Decimal(rnd.randint(120, 260)) if rnd.random() < 0.3 else None,
                }
            )
    days = [YEAR_START + timedelta(days=d) for d in range(365)]
    days = [d for d in days if d.weekday() < 5]
    time_entries = []
    for i in range(1, entries + 1):
        pid = rnd.randint(1, n_people)
        time_entries.append(
            {
                **common,
                "id": i,
                "project_id": rnd.choice(staffing[pid]),
                "resource_id": pid,
                "spent_date": rnd.choice(days),
                "hours": Decimal(rnd.randint(1, 16)) / 2,
                "billable": rnd.random() < 0.8,
                "approval_state": "REJECTED" if rnd.random() < 0.01 else "APPROVED",
            }
        )
    invoices = [
        {
            **common,
            "id": i,
            "client_id": p["client_id"],
            "project_id": p["id"],
            "number": f"INV-{i}",
            "issue_date": date(2025, month, 28),
            "currency": p["currency"],
            "total_amount": Decimal(rnd.randint(1000, 50000)),
            "balance": Decimal(0),
            "status": "PAID",
        }
        for i, (p, month) in enumerate(
            ((p, m) for p in projects for m in range(1, 13) if rnd.random() < 0.3), start=1
        )
    ]
    fx = [
        {
            "tenant_id": TENANT,
            "currency": cur,
            "valid_from": d,
            "rate_to_base": Decimal(str(round(rate * (1 + rnd.uniform(-0.03, 0.03)), 6))),
            "base": "USD",
        }
        for cur, rate in (("EUR", 1.08), ("GBP", 1.27))
        for d in (date(2024, 12, 1) + timedelta(days=7 * w) for w in range(60))
    ]
    return {
        "clients": clients,
        "projects": projects,
        "resources": people,
        "cost_rates": cost_rates,
        "assignments": assignments,
        "time_entries": time_entries,
        "invoices": invoices,
        "fx_rates": fx,
    }


MODELS: dict[str, Any] = {
    "clients": ClientRecord,
    "projects": ProjectRecord,
    "resources": ResourceRecord,
    "cost_rates": CostRateRecord,
    "assignments": AssignmentRecord,
    "time_entries": TimeEntryRecord,
    "invoices": InvoiceRecord,
    "fx_rates": FxRate,
}


async def _load(engine: AsyncEngine, firm: dict[str, list[dict[str, Any]]]) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.execute(insert(Tenant), [{"id": TENANT, "name": "Bench"}])
        for table, rows in firm.items():
            if table == "time_entries" and engine.dialect.name == "postgresql":
                await _copy_time_entries(conn, rows)
                continue
            for chunk in range(0, len(rows), 50_000):
                await conn.execute(insert(MODELS[table]), rows[chunk : chunk + 50_000])
        await conn.exec_driver_sql("ANALYZE")  # plans as on a database in use


async def _copy_time_entries(conn: Any, rows: list[dict[str, Any]]) -> None:
    """COPY: an executemany of a million rows would dominate the run on PostgreSQL."""
    columns = [
        "id",
        "tenant_id",
        "version",
        "project_id",
        "resource_id",
        "spent_date",
        "hours",
        "billable",
        "approval_state",
    ]
    raw = await conn.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(
        "time_entries", records=[tuple(r[c] for c in columns) for r in rows], columns=columns
    )


def bare_statement() -> Executable:
    """The baseline: hours per client and month, scanning and grouping the same entries."""
    te, p = TimeEntryRecord, ProjectRecord
    month = month_of(te.spent_date)
    return (
        select(p.client_id, month.label("month"), func.sum(te.hours))
        .join(p, p.id == te.project_id)
        .where(
            te.tenant_id == TENANT,
            te.spent_date >= YEAR_START,
            te.spent_date <= YEAR_END,
        )
        .group_by(p.client_id, month)
    )


async def _best(run: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    result = await run()  # warm-up: caches and statement compilation
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        result = await run()
        best = min(best, time.perf_counter() - started)
    return best, result


async def bench(url: str, backend: str, entries: int) -> None:
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        await _load(engine, _firm(entries))
        load_s = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "bench": "margin",
                    "name": f"{backend}_load",
                    "value": round(load_s, 2),
                    "unit": "s",
                    "entries": entries,
                }
            ),
            flush=True,
        )

        async with engine.connect() as conn:

            async def execute(statement: Executable) -> Sequence[Row[Any]]:
                return (await conn.execute(statement)).all()

            query = MarginQuery(
                start=YEAR_START,
                end=YEAR_END,
                currency="USD",
                group_by=(MarginGroupBy.CLIENT, MarginGroupBy.MONTH),
            )
            bare_s, bare_rows = await _best(lambda: execute(bare_statement()))
            margin_s, rows = await _best(lambda: compute_margin(execute, TENANT, query))
            # The same margin statement alone: what the SQL costs without our Python around it.
            statement = margin_statement(TENANT, query, "USD")
            sql_s, _ = await _best(lambda: execute(statement))
        print(
            json.dumps(
                {
                    "bench": "margin",
                    "name": f"{backend}_margin_by_client_month",
                    "value": round(margin_s, 3),
                    "unit": "s",
                    "baseline": round(bare_s, 3),
                    "ratio": round(margin_s / bare_s, 2),
                    "entries": entries,
                    "rows": len(rows),
                    "baseline_rows": len(bare_rows),
                }
            ),
            flush=True,
        )
        print(
            json.dumps(
                {
                    "bench": "margin",
                    "name": f"{backend}_margin_statement_only",
                    "value": round(sql_s, 3),
                    "unit": "s",
                    "baseline": round(bare_s, 3),
                    "ratio": round(sql_s / bare_s, 2),
                    "entries": entries,
                }
            ),
            flush=True,
        )
    finally:
        await engine.dispose()


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _throwaway_pg_database() -> Iterator[str]:
    import asyncpg

    admin = os.environ.get("CROSSWALK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"crosswalk_bench_{uuid.uuid4().hex[:10]}"

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("all", "sqlite", "postgresql"), default="all")
    args = parser.parse_args()
    if args.backend in ("all", "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            asyncio.run(bench(url, "sqlite", args.entries))
    if args.backend in ("all", "postgresql") and _postgres_reachable():
        with _throwaway_pg_database() as url:
            asyncio.run(bench(url, "postgresql", args.entries))


if __name__ == "__main__":
    main()
