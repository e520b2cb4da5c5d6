"""Margin figures against the hand-computed small firm in test_margin_fixture.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_margin_fixture import (
    ACME,
    ALICE,
    BERLIN,
    BOB,
    CARLA,
    P1,
    P2,
    P3,
    T,
    _time,
    jan,
    load_small_firm,
)

from golden_records.errors import MissingFxRate, ValidationFailed
from golden_records.margin import (
    MarginFilter,
    MarginGroupBy,
    MarginQuery,
    MarginRow,
    compute_margin,
)
from golden_records.pricing import reprice

D = Decimal
G = MarginGroupBy
JANUARY = {"start": jan(1), "end": jan(31)}


async def margin(
    sessions: async_sessionmaker[AsyncSession], *group_by: MarginGroupBy, **kwargs: Any
) -> list[MarginRow]:
    args = {**JANUARY, "currency": "USD", **kwargs}
    async with sessions() as session:

        async def execute(statement: Executable) -> Sequence[Row[Any]]:
            return (await session.execute(statement)).all()

        return await compute_margin(execute, T, MarginQuery(group_by=group_by, **args))


@pytest.fixture
async def firm(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    await load_small_firm(sessions)
    return sessions


async def test_by_client_in_the_reporting_currency(firm: async_sessionmaker[AsyncSession]) -> None:
    acme, berlin = await margin(firm, G.CLIENT)

    # Acme: hours 8+8+4+10+6+2 = 38; billable 8+8+10+6 = 32 (fixed-fee time is billable work).
    # cost 320+400+200+300+180+60 = 1460; revenue 1200+1200+1200 (T&M) + 5000 (fixed fee) = 8600.
    assert (acme.client_id, acme.client_name) == (ACME, "Acme")
    assert (acme.hours, acme.billable_hours) == (D("38.00"), D("32.00"))
    assert acme.labour_cost == D("1460.00")
    assert acme.revenue == D("8600.00")
    assert acme.margin == D("7140.00")
    assert acme.margin_pct == D("83.02")  # 7140 / 8600
    assert acme.utilisation == D("0.8421")  # 32 / 38
    # billed: I1 5000 + I3 2000 (the draft is not billed); unbilled = 8600 - 7000.
    assert (acme.billed, acme.unbilled) == (D("7000.00"), D("1600.00"))
    assert acme.currency == "USD"

    # Berlin, in EUR converted at each entry's date: cost 110 + 120, revenue 495 + 540,
    # billed 1000 EUR on 01-20 at 1.20 = 1200, more than the revenue of the period.
    assert berlin.client_id == BERLIN
    assert (berlin.labour_cost, berlin.revenue) == (D("230.00"), D("1035.00"))
    assert (berlin.billed, berlin.unbilled) == (D("1200.00"), D("-165.00"))
    assert berlin.margin_pct == D("77.78")  # 805 / 1035
    assert berlin.utilisation == D("1.0000")


async def test_cost_rate_change_mid_month_splits_the_month(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    rows = await margin(firm, G.RESOURCE, G.MONTH, filter=MarginFilter(resource_ids=(ALICE,)))

    # 8h on 01-10 at 40 + (8h + 4h) after the 01-15 change at 50 = 320 + 600 = 920,
    # neither 20 x 40 = 800 nor 20 x 50 = 1000.
    assert [(r.resource_name, r.month, r.labour_cost) for r in rows] == [
        ("Alice Example", "2026-01", D("920.00"))
    ]


async def test_bill_rate_precedence(firm: async_sessionmaker[AsyncSession]) -> None:
    rows = {r.resource_id: r for r in await margin(firm, G.RESOURCE)}

    assert rows[ALICE].revenue == D("2400.00")  # assignment override 150, not project 120
    assert rows[BOB].revenue == D("1200.00")  # project rate 120, not his default 80
    assert rows[CARLA].revenue == D("1035.00")  # her default 90 EUR, converted
    # Invoices have no person: fixed-fee revenue and all billing sit on the unattributed row.
    assert (rows[None].revenue, rows[None].billed) == (D("5000.00"), D("8200.00"))
    assert rows[None].hours == D("0.00")


async def test_fixed_fee_revenue_is_the_invoices_not_the_time(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    (p2,) = await margin(firm, G.PROJECT, filter=MarginFilter(project_ids=(P2,)))

    # 6h of Bob's time cost 180 but earn nothing; the 5000 invoice is the revenue, once.
    assert (p2.project_name, p2.hours, p2.labour_cost) == ("P2", D("6.00"), D("180.00"))
    assert (p2.revenue, p2.billed, p2.unbilled) == (D("5000.00"), D("5000.00"), D("0.00"))
    assert p2.margin == D("4820.00")


async def test_by_project_and_month(firm: async_sessionmaker[AsyncSession]) -> None:
    rows = await margin(firm, G.PROJECT, G.MONTH, end=date(2026, 2, 28))

    by_key = {(r.project_id, r.month): r for r in rows}
    # February holds only Alice's 2h on P1: cost 2 x 50, revenue 2 x 150.
    feb = by_key[(P1, "2026-02")]
    assert (feb.hours, feb.labour_cost, feb.revenue) == (D("2.00"), D("100.00"), D("300.00"))
    # January P1: Alice 16h + Bob 12h; revenue 2400 + 1200; billed by I3.
    p1 = by_key[(P1, "2026-01")]
    assert (p1.hours, p1.revenue, p1.billed) == (D("28.00"), D("3600.00"), D("2000.00"))
    assert p1.utilisation == D("0.9286")  # 26 / 28
    assert set(by_key) == {
        (P1, "2026-01"),
        (P1, "2026-02"),
        (P2, "2026-01"),
        (P3, "2026-01"),
        (4, "2026-01"),
    }


async def test_department_and_non_billable(firm: async_sessionmaker[AsyncSession]) -> None:
    rows = await margin(firm, G.DEPARTMENT, filter=MarginFilter(department="Consulting"))

    # Alice (20h, 16 billable) and Carla (10h, all billable); invoices drop out of the filter.
    (consulting,) = rows
    assert (consulting.hours, consulting.billable_hours) == (D("30.00"), D("26.00"))
    assert consulting.revenue == D("3435.00")  # 2400 + 1035
    assert consulting.billed == D("0.00")
    assert consulting.utilisation == D("0.8667")


async def test_reporting_in_another_currency_goes_through_the_base(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    (berlin,) = await margin(firm, G.CLIENT, currency="EUR", filter=MarginFilter((BERLIN,)))

    # EUR amounts stay EUR: cost 5 x 20 x 2, revenue 5 x 90 x 2, billed 1000.
    assert (berlin.labour_cost, berlin.revenue, berlin.billed) == (
        D("200.00"),
        D("900.00"),
        D("1000.00"),
    )
    assert berlin.currency == "EUR"

    (acme,) = await margin(firm, G.CLIENT, currency="EUR", filter=MarginFilter((ACME,)))
    # Acme's USD costs, each at 1 / (EUR rate on its date): 320/1.1 + 300/1.1 + 180/1.1
    # + 60/1.1 (before 01-16) + 400/1.2 + 200/1.2 = 781.82 + 500.00 = 1281.82.
    assert acme.labour_cost == D("1281.82")


async def test_totals_without_grouping(firm: async_sessionmaker[AsyncSession]) -> None:
    (total,) = await margin(firm)

    assert (total.hours, total.labour_cost, total.revenue) == (
        D("48.00"),
        D("1690.00"),
        D("9635.00"),
    )
    assert total.client_id is None and total.month is None


async def test_missing_fx_rate_names_currency_and_date(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    async with firm() as session, session.begin():
        session.add(_time(11, CARLA, P3, date(2025, 12, 30), "1", True))
        await session.flush()
        await reprice(session, T, resource_ids=[CARLA])

    with pytest.raises(MissingFxRate) as caught:
        await margin(firm, G.CLIENT, start=date(2025, 12, 1))

    # The first EUR rate is dated 2026-01-01: nothing converts Carla's December hour.
    assert caught.value.code == "MISSING_FX_RATE"
    assert (caught.value.currency, caught.value.on) == ("EUR", date(2025, 12, 30))
    assert "EUR" in caught.value.message and "2025-12-30" in caught.value.message


async def test_missing_reporting_currency_rate(firm: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(MissingFxRate) as caught:
        await margin(firm, G.CLIENT, currency="GBP")

    assert caught.value.on == jan(5)  # the earliest amount that cannot be converted


async def test_empty_period_has_no_rows(firm: async_sessionmaker[AsyncSession]) -> None:
    assert await margin(firm, G.CLIENT, start=date(2025, 6, 1), end=date(2025, 6, 30)) == []


def test_bad_arguments_are_validation_errors() -> None:
    with pytest.raises(ValidationFailed):
        MarginQuery(start=jan(31), end=jan(1), currency="USD")
    with pytest.raises(ValidationFailed):
        MarginQuery(start=jan(1), end=jan(31), currency="usd")
    with pytest.raises(ValidationFailed):
        MarginQuery(start=jan(1), end=jan(31), currency="USD", group_by=(G.CLIENT, G.CLIENT))
    with pytest.raises(ValidationFailed):
        MarginQuery(start=date(1900, 1, 1), end=jan(31), currency="USD")


async def test_other_tenants_data_is_invisible(firm: async_sessionmaker[AsyncSession]) -> None:
    assert await margin(firm, G.CLIENT) != []
    async with firm() as session:

        async def execute(statement: Executable) -> Sequence[Row[Any]]:
            return (await session.execute(statement)).all()

        query = MarginQuery(start=jan(1), end=jan(31), currency="USD")
        assert await compute_margin(execute, "someone-else", query) == []
