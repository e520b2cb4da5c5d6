"""Margin's FX conversion: the per-day factor table, each amount at its own day's rate, unknown
currencies, and the work_mem margin sets for itself on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Executable, Row, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_margin import margin
from test_margin_fixture import ACME, BOB, P1, T, _time, jan, load_small_firm

from golden_records.errors import ConfigurationError, MissingFxRate
from golden_records.fx import DatedRate, daily_factors, replace_fx_rates
from golden_records.margin import (
    WORK_MEM,
    MarginFilter,
    MarginGroupBy,
    MarginQuery,
    compute_margin,
    fx_rates_statement,
)
from golden_records.models import ProjectRecord
from golden_records.pricing import reprice

D = Decimal
G = MarginGroupBy


def _rate(day: date, currency: str, rate: str, base: str = "USD") -> DatedRate:
    return DatedRate(day, currency, D(rate), base)


def test_factors_follow_the_rate_in_force_each_day() -> None:
    rates = [
        _rate(jan(1), "EUR", "1.10"),
        _rate(jan(3), "EUR", "1.20"),
        _rate(jan(2), "GBP", "1.25"),
    ]

    table = daily_factors(rates, jan(1), jan(4), "USD")

    assert table.currencies == ("EUR", "GBP")  # the reporting currency (the base) is not listed
    assert [(day, f) for day, f in table.days] == [
        (jan(1), (D("1.1"), None)),  # no GBP rate yet: a missing rate, not 0
        (jan(2), (D("1.1"), D("1.25"))),
        (jan(3), (D("1.2"), D("1.25"))),  # the change applies from its own date
        (jan(4), (D("1.2"), D("1.25"))),
    ]


def test_factors_to_another_currency_go_through_the_base() -> None:
    rates = [
        _rate(jan(1), "EUR", "1.10"),
        _rate(jan(2), "EUR", "1.20"),
        _rate(jan(1), "GBP", "1.32"),
    ]

    table = daily_factors(rates, jan(1), jan(2), "EUR")

    assert table.currencies == ("GBP", "USD")
    # 1 GBP = 1.32 USD = 1.32 / 1.10 EUR; 1 USD = 1 / 1.10 EUR, then 1 / 1.20 from 01-02.
    (_, (gbp1, usd1)), (_, (gbp2, usd2)) = table.days
    assert (gbp1, gbp2) == (D("1.2"), D("1.1"))
    assert usd1 is not None and abs(usd1 * D("1.10") - 1) < D("1e-18")
    assert usd2 is not None and abs(usd2 * D("1.20") - 1) < D("1e-18")


def test_factors_refuse_rates_against_two_bases() -> None:
    with pytest.raises(ConfigurationError):
        daily_factors(
            [_rate(jan(1), "EUR", "1.1"), _rate(jan(1), "GBP", "0.8", "EUR")], jan(1), jan(2), "USD"
        )


@pytest.fixture
async def firm(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    await load_small_firm(sessions)
    return sessions


async def test_each_entry_converts_at_its_own_days_rate_within_a_month(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    # Bob's P1 (USD) work reported in EUR: 3 entries in January straddling the EUR change on
    # 01-16 (1.10 -> 1.20). One monthly or per-currency rate would give other figures.
    async with firm() as session, session.begin():
        session.add_all(
            [
                _time(20, BOB, P1, jan(15), "1", False),  # 30 USD at 1.10
                _time(21, BOB, P1, jan(16), "1", False),  # 30 USD at 1.20
                _time(22, BOB, P1, jan(31), "1", False),  # 30 USD at 1.20
            ]
        )
        await session.flush()
        await reprice(session, T, resource_ids=[BOB])

    base = await margin(
        firm, G.RESOURCE, G.MONTH, currency="EUR", filter=MarginFilter(resource_ids=(BOB,))
    )
    (bob,) = base
    # Bob's January before: 300 + 180 + 60 USD on 01-12..01-14, all at 1.10; plus 30 / 1.10
    # (01-15) + 30 / 1.20 (01-16) + 30 / 1.20 (01-31): 570 / 1.10 + 60 / 1.20 = 568.18.
    expected = (D(540) + D(30)) / D("1.10") + D(60) / D("1.20")
    assert bob.labour_cost == expected.quantize(D("0.01")) == D("568.18")
    assert bob.month == "2026-01"


async def test_a_currency_without_any_rate_is_a_missing_rate(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    # A project billed in yen: the rates table knows EUR only, so its revenue cannot convert.
    async with firm() as session, session.begin():
        project = await session.get(ProjectRecord, P1)
        assert project is not None
        project.currency = "JPY"
        await session.flush()
        await reprice(session, T, project_ids=[P1])

    with pytest.raises(MissingFxRate) as caught:
        await margin(firm, G.CLIENT, filter=MarginFilter((ACME,)))

    # Alice's override on P1 is in the project's currency; her first P1 entry is on 01-10.
    assert (caught.value.currency, caught.value.on) == ("JPY", jan(10))


async def test_only_the_rates_that_can_apply_are_read(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    async with firm() as session, session.begin():
        await replace_fx_rates(
            session,
            T,
            [
                _rate(date(2025, 6, 1), "EUR", "1.00"),  # superseded before the period
                _rate(date(2025, 12, 1), "EUR", "1.05"),  # in force when the period starts
                _rate(jan(16), "EUR", "1.20"),
                _rate(date(2026, 3, 1), "EUR", "1.30"),  # after the period
            ],
        )
    query = MarginQuery(start=jan(1), end=jan(31), currency="USD")
    async with firm() as session:
        rows = (await session.execute(fx_rates_statement(T, query))).all()

    assert sorted(str(row.valid_from) for row in rows) == ["2025-12-01", "2026-01-16"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_margin_settings_hold_for_its_transaction_only(
    firm: async_sessionmaker[AsyncSession],
) -> None:
    query = MarginQuery(start=jan(1), end=jan(31), currency="USD", group_by=(G.CLIENT,))
    async with firm() as session:
        default = (await session.execute(text("SHOW work_mem"))).scalar_one()
        await session.commit()

        async def execute(statement: Executable) -> Sequence[Row[Any]]:
            return (await session.execute(statement)).all()

        assert await compute_margin(execute, T, query)
        assert (await session.execute(text("SHOW work_mem"))).scalar_one() == WORK_MEM
        plans = (await session.execute(text("SHOW plan_cache_mode"))).scalar_one()
        assert plans == "force_custom_plan"
        await session.rollback()
        assert (await session.execute(text("SHOW work_mem"))).scalar_one() == default
        assert (await session.execute(text("SHOW plan_cache_mode"))).scalar_one() == "auto"
