"""Priced time: reprice stores each entry's cost and revenue, and margin follows rate changes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Executable, Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_margin_fixture import ACME, ALICE, BOB, P1, T, _cost, jan, load_small_firm

from golden_records.margin import MarginGroupBy, MarginQuery, MarginRow, compute_margin
from golden_records.models import AssignmentRecord, CostRateRecord, ResourceRecord, TimeEntryRecord
from golden_records.pricing import reprice

D = Decimal


@pytest.fixture
async def firm(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    await load_small_firm(sessions)
    return sessions


async def prices(sessions: async_sessionmaker[AsyncSession], entry: int) -> tuple[Any, ...]:
    async with sessions() as session:
        te = await session.get_one(TimeEntryRecord, entry)
        amounts = (te.cost_amount, te.revenue_amount)
        return (
            *(None if a is None else D(a).quantize(D("0.01")) for a in amounts),
            te.cost_currency,
            te.revenue_currency,
        )


async def acme(sessions: async_sessionmaker[AsyncSession]) -> MarginRow:
    async with sessions() as session:

        async def execute(statement: Executable) -> Sequence[Row[Any]]:
            return (await session.execute(statement)).all()

        query = MarginQuery(
            start=jan(1), end=jan(31), currency="USD", group_by=(MarginGroupBy.CLIENT,)
        )
        rows = await compute_margin(execute, T, query)
    return next(r for r in rows if r.client_id == ACME)


async def test_each_entry_carries_its_cost_and_revenue(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    # Entry 1: Alice on P1, 8h at cost 40 and her assignment's override 150.
    assert await prices(firm, 1) == (D("320.00"), D("1200.00"), "USD", "USD")
    # Entry 2: after her raise on 01-15.
    assert await prices(firm, 2) == (D("400.00"), D("1200.00"), "USD", "USD")
    # Entry 4: Bob on P1 without an override: the project's rate 120.
    assert await prices(firm, 4) == (D("300.00"), D("1200.00"), "USD", "USD")
    # Entry 5: fixed-fee time costs but earns nothing itself.
    assert await prices(firm, 5) == (D("180.00"), D("0.00"), "USD", None)
    # Entry 7: Carla in EUR, her default rate 90 on a project without a rate.
    assert await prices(firm, 7) == (D("100.00"), D("450.00"), "EUR", "EUR")


async def test_reprice_after_a_cost_rate_change_updates_the_margin(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    assert (await acme(firm)).labour_cost == D("1460.00")
    async with firm() as session, session.begin():
        session.add(_cost(5, ALICE, jan(20), "60"))  # another raise, from 01-20
        await session.flush()
        await reprice(session, T, resource_ids=[ALICE])

    # Entries 2 (01-20, 8h) and 3 (01-21, 4h) now cost 60/h: +80 and +40.
    row = await acme(firm)
    assert row.labour_cost == D("1580.00")
    assert row.margin == D("7020.00")  # 8600 - 1580


async def test_an_expired_cost_rate_leaves_hours_uncosted(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    async with firm() as session, session.begin():
        await session.execute(
            update(CostRateRecord).where(CostRateRecord.id == 3).values(effective_to=jan(12))
        )
        await reprice(session, T)

    # Bob's rate ends on 01-12 (inclusive): entry 4 still costs, 5 and 6 (01-13, 01-14) do not.
    assert (await prices(firm, 4))[0] == D("300.00")
    assert (await prices(firm, 5))[0] is None
    row = await acme(firm)
    assert row.uncosted_hours == D("8.00")
    assert row.labour_cost == D("1220.00")  # 1460 - 180 - 60


async def test_an_ended_assignment_falls_back_to_the_project_rate(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    async with firm() as session, session.begin():
        await session.execute(
            update(AssignmentRecord).where(AssignmentRecord.id == 1).values(end_date=jan(15))
        )
        await reprice(session, T, project_ids=[P1])

    assert (await prices(firm, 1))[1] == D("1200.00")  # 01-10: still the override
    assert (await prices(firm, 2))[1] == D("960.00")  # 01-20: 8h x the project's 120


async def test_billable_time_without_any_rate_is_unpriced(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    async with firm() as session, session.begin():
        await session.execute(
            update(ResourceRecord).where(ResourceRecord.id == 3).values(default_bill_rate=None)
        )
        await reprice(session, T)

    # Carla's P3 time: no override, no project rate, no default.
    assert (await prices(firm, 7))[1:] == (None, "EUR", None)


async def test_scoped_reprice_leaves_other_entries_alone(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    async with firm() as session, session.begin():
        session.add(_cost(5, BOB, jan(1), "99"))
        session.add(_cost(6, ALICE, jan(1), "99"))
        await session.flush()
        await reprice(session, T, resource_ids=[BOB])
        costs = dict(
            (await session.execute(select(TimeEntryRecord.id, TimeEntryRecord.cost_amount))).all()
        )

    assert costs[4] == D("990")  # Bob: 10h at the new 99
    assert costs[1] == D("320")  # Alice: not repriced yet
