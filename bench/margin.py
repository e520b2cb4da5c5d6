"""Margin by client and month over 1,000,000 time entries, next to the bare GROUP BY query.

Run: `.venv/bin/python -m bench.margin [--entries N]`. Loads a synthetic firm (bulk Core/COPY
inserts, not the ORM) into a throw-away SQLite file and, when reachable, a throw-away
PostgreSQL database, then prints one JSON line per measurement:
{"bench": "margin", "name": ..., "value": s, "unit": "s", "baseline": s, "ratio": ...}.
`baseline` is the bare query: hours per client and month, the same rows scanned and grouped,
without the rates, at the server's settings. Each figure is the median of three runs after a
warm-up, the queries taking turns so that other load on the machine hits them alike; each run
is its own transaction (margin raises PostgreSQL's work_mem and asks for custom plans in its
own; a last line compares it with the bare query under the same settings).
The entries are priced once after loading (`golden_records.pricing.reprice`, as seeding and
sync do; printed as `*_reprice`), so the margin figure is the query alone.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Executable, Row, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bench._common import (
    emit,
    postgres_reachable,
    sqlite_url,
    throwaway_postgres,
)
from golden_records.fx import DatedRate, daily_factors
from golden_records.fx_models import FxRate
from golden_records.margin import (
    MarginGroupBy,
    MarginQuery,
    MarginRow,
    compute_margin,
    fx_rates_statement,
    local_settings_statement,
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
from golden_records.pricing import reprice
from hub.db import create_engine

TENANT = "bench"
YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)
CURRENCIES = ("USD", "USD", "USD", "EUR", "GBP")
RUNS = 3  # after one warm-up round; the median is reported


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
            if table == "time_entries":
                await _bulk_time_entries(conn, rows, engine.dialect.name)
                continue
            for chunk in range(0, len(rows), 50_000):
                await conn.execute(insert(MODELS[table]), rows[chunk : chunk + 50_000])
        await conn.exec_driver_sql("ANALYZE")  # plans as on a database in use


async def _bulk_time_entries(conn: Any, rows: list[dict[str, Any]], dialect: str) -> None:
    """The driver's own bulk path (COPY, executemany of tuples): a million rows through
    SQLAlchemy's parameter handling would dominate the run."""
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
    raw = (await conn.get_raw_connection()).driver_connection
    if dialect == "postgresql":
        records = [tuple(r[c] for c in columns) for r in rows]
        await raw.copy_records_to_table("time_entries", records=records, columns=columns)
        return
    # SQLite: ISO dates and floats are what SQLAlchemy's Date and Numeric store there too.
    records = [
        (
            *(r[c] for c in columns[:5]),
            r["spent_date"].isoformat(),
            float(r["hours"]),
            int(r["billable"]),
            r["approval_state"],
        )
        for r in rows
    ]
    placeholders = ", ".join("?" for _ in columns)
    await raw.executemany(
        f"INSERT INTO time_entries ({', '.join(columns)}, created_at, updated_at) "
        f"VALUES ({placeholders}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        records,
    )


async def _reprice(engine: AsyncEngine) -> None:
    """Price every entry once, as seeding and sync do; the margin timings below exclude it."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        await reprice(session, TENANT)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("ANALYZE")


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


async def interleaved_seconds(
    runs: dict[str, Callable[[], Awaitable[Any]]], *, repeat: int
) -> dict[str, float]:
    """Median wall time of each run, taking turns (after one warm-up round), so that a busy
    machine slows the baseline and the margin query alike."""
    timings: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(repeat + 1):
        for name, run in runs.items():
            started = time.perf_counter()
            await run()
            if round_:
                timings[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in timings.items()}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def bench(url: str, backend: str, entries: int) -> None:
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        await _load(engine, _firm(entries))
        emit("margin", f"{backend}_load", time.perf_counter() - started, "s", entries=entries)
        started = time.perf_counter()
        await _reprice(engine)
        emit("margin", f"{backend}_reprice", time.perf_counter() - started, "s", entries=entries)

        query = MarginQuery(
            start=YEAR_START,
            end=YEAR_END,
            currency="USD",
            group_by=(MarginGroupBy.CLIENT, MarginGroupBy.MONTH),
        )
        async with engine.connect() as conn:
            rates = [
                DatedRate(_as_date(d), c, Decimal(str(r)), b)
                for d, c, r, b in (await conn.execute(fx_rates_statement(TENANT, query))).all()
            ]
        statement = margin_statement(
            TENANT, query, daily_factors(rates, YEAR_START, YEAR_END, "USD")
        )

        async def in_transaction(
            *statements: Executable, margin: bool = False
        ) -> Sequence[Row[Any]] | list[MarginRow]:
            # A fresh transaction each time: margin's SET LOCAL work_mem must not leak into
            # the baseline's runs.
            async with engine.connect() as conn:

                async def execute(stmt: Executable) -> Sequence[Row[Any]]:
                    return (await conn.execute(stmt)).all()

                if margin:
                    return await compute_margin(execute, TENANT, query)
                for stmt in statements[:-1]:
                    await execute(stmt)
                return await execute(statements[-1])

        runs: dict[str, Callable[[], Awaitable[Any]]] = {
            "bare": lambda: in_transaction(bare_statement()),
            "margin": lambda: in_transaction(margin=True),
            # The margin statement alone: the SQL's cost without the Python around it.
            "statement": lambda: in_transaction(local_settings_statement(), statement),
            # The baseline under margin's session settings, to show what they alone buy.
            "bare_work_mem": lambda: in_transaction(local_settings_statement(), bare_statement()),
        }
        timings = await interleaved_seconds(runs, repeat=RUNS)
        rows = await in_transaction(margin=True)
        bare_s, margin_s = timings["bare"], timings["margin"]
        emit(
            "margin",
            f"{backend}_margin_by_client_month",
            margin_s,
            "s",
            baseline=bare_s,
            target="<= 1.5x the bare GROUP BY",
            met=margin_s <= 1.5 * bare_s,
            entries=entries,
            rows=len(rows),
        )
        emit(
            "margin",
            f"{backend}_margin_statement_only",
            timings["statement"],
            "s",
            baseline=bare_s,
            entries=entries,
        )
        emit(
            "margin",
            f"{backend}_margin_vs_bare_with_same_settings",
            margin_s,
            "s",
            baseline=timings["bare_work_mem"],
            entries=entries,
        )
    finally:
        await engine.dispose()


async def _bench_postgres(entries: int) -> None:
    async with throwaway_postgres("crosswalk_bench_margin") as url:
        await bench(url, "postgresql", entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("all", "sqlite", "postgresql"), default="all")
    args = parser.parse_args()
    if args.backend in ("all", "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(bench(sqlite_url(Path(tmp)), "sqlite", args.entries))
    if args.backend in ("all", "postgresql") and postgres_reachable():
        asyncio.run(_bench_postgres(args.entries))


if __name__ == "__main__":
    main()
