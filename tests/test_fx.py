"""Dated FX rates: the CSV file, its validation, and the rate in force on a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.sandbox.firm import FX_PER_USD
from golden_records.errors import ConfigurationError, MissingFxRate
from golden_records.fx import (
    fx_rates_path,
    load_all_fx_rates,
    load_tenant_fx_rates,
    rate_on,
    read_fx_csv,
    replace_fx_rates,
)
from golden_records.fx_models import FxRate
from golden_records.models import DEFAULT_TENANT

RATES = """date,currency,rate_to_base,base
2026-01-01,EUR,1.10,USD
2026-01-16,EUR,1.20,USD
2026-01-01,GBP,1.25,USD
"""


def test_reads_a_rates_file(tmp_path: Path) -> None:
    path = tmp_path / "fx_rates.csv"
    path.write_text(RATES)

    rates = read_fx_csv(path)

    assert [(r.valid_from, r.currency, r.rate_to_base, r.base) for r in rates][:2] == [
        (date(2026, 1, 1), "EUR", Decimal("1.10"), "USD"),
        (date(2026, 1, 16), "EUR", Decimal("1.20"), "USD"),
    ]


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("day,currency,rate,base\n", "header"),
        ("date,currency,rate_to_base,base\n2026-13-01,EUR,1.1,USD\n", ":2: date"),
        ("date,currency,rate_to_base,base\n2026-01-01,euro,1.1,USD\n", "ISO 4217"),
        ("date,currency,rate_to_base,base\n2026-01-01,EUR,-1,USD\n", "positive"),
        ("date,currency,rate_to_base,base\n2026-01-01,EUR,abc,USD\n", "not a number"),
        (
            "date,currency,rate_to_base,base\n2026-01-01,EUR,1.1,USD\n2026-01-01,EUR,1.2,USD\n",
            ":3: a second EUR rate",
        ),
        (
            "date,currency,rate_to_base,base\n2026-01-01,EUR,1.1,USD\n2026-01-01,USD,0.9,EUR\n",
            "one base",
        ),
    ],
)
def test_rejects_a_bad_file_with_the_line(text: str, complaint: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        read_fx_csv(text)
    assert complaint in caught.value.message


def test_a_tenants_own_file_wins(tmp_path: Path) -> None:
    (tmp_path / "fx_rates.csv").write_text(RATES)
    assert fx_rates_path(tmp_path, "acme") == tmp_path / "fx_rates.csv"
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "fx_rates.csv").write_text(RATES)
    assert fx_rates_path(tmp_path, "acme") == tmp_path / "acme" / "fx_rates.csv"


async def test_the_rate_in_force_is_the_latest_on_or_before(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await replace_fx_rates(session, DEFAULT_TENANT, read_fx_csv(RATES))

    async with sessions() as session:

        async def rate(currency: str, reporting: str, on: date) -> Decimal:
            return await rate_on(session, DEFAULT_TENANT, currency, reporting, on)

        assert await rate("EUR", "USD", date(2026, 1, 1)) == Decimal("1.10")
        assert await rate("EUR", "USD", date(2026, 1, 15)) == Decimal("1.10")
        assert await rate("EUR", "USD", date(2026, 1, 16)) == Decimal("1.20")
        assert await rate("EUR", "USD", date(2027, 6, 1)) == Decimal("1.20")
        assert await rate("USD", "USD", date(1999, 1, 1)) == Decimal(1)
        # Cross rate through the base: 1 GBP = 1.25 USD = 1.25 / 1.20 EUR on 2026-02-01.
        cross = await rate("GBP", "EUR", date(2026, 2, 1))
        assert cross.quantize(Decimal("0.0001")) == Decimal("1.0417")

        with pytest.raises(MissingFxRate) as caught:
            await rate("EUR", "USD", date(2025, 12, 31))
        assert (caught.value.currency, caught.value.on) == ("EUR", date(2025, 12, 31))
        assert "EUR" in caught.value.message and "2025-12-31" in caught.value.message


async def test_reloading_replaces_the_table(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await replace_fx_rates(session, DEFAULT_TENANT, read_fx_csv(RATES))
    async with sessions() as session, session.begin():
        only_eur = "date,currency,rate_to_base,base\n2026-01-01,EUR,1.5,USD\n"
        await replace_fx_rates(session, DEFAULT_TENANT, read_fx_csv(only_eur))

    async with sessions() as session:
        assert await rate_on(session, DEFAULT_TENANT, "EUR", "USD", date(2026, 3, 1)) == Decimal(
            "1.5"
        )
        with pytest.raises(MissingFxRate):
            await rate_on(session, DEFAULT_TENANT, "GBP", "USD", date(2026, 3, 1))


async def test_loads_the_tenants_file_at_start_up(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    assert await load_tenant_fx_rates(sessions, tmp_path, DEFAULT_TENANT) == 0
    (tmp_path / "fx_rates.csv").write_text(RATES)

    assert await load_tenant_fx_rates(sessions, tmp_path, DEFAULT_TENANT) == 3
    async with sessions() as session:
        on = date(2026, 1, 2)
        assert await rate_on(session, DEFAULT_TENANT, "GBP", "USD", on) == Decimal("1.25")


def test_the_committed_rates_cover_every_demo_currency_monthly() -> None:
    rates = read_fx_csv(Path(__file__).resolve().parents[1] / "config" / "fx_rates.csv")

    for currency, per_usd in FX_PER_USD.items():
        if currency == "USD":
            continue  # the base
        mine = {r.valid_from: r.rate_to_base for r in rates if r.currency == currency}
        months = {date(y, m, 1) for y in (2025, 2026, 2027) for m in range(1, 13)}
        assert months <= set(mine), currency
        # Close to the generator's fixed rate, so demo amounts convert plausibly.
        assert all(abs(rate * per_usd - 1) < Decimal("0.05") for rate in mine.values())


async def test_start_up_loads_every_tenant_and_leaves_an_unchanged_table_alone(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    assert await load_all_fx_rates(sessions, tmp_path) == {}  # no file: nothing touched
    (tmp_path / "fx_rates.csv").write_text(RATES)

    assert await load_all_fx_rates(sessions, tmp_path) == {DEFAULT_TENANT: 3}
    async with sessions() as session:
        ids = set((await session.scalars(select(FxRate.id))).all())
    assert await load_all_fx_rates(sessions, tmp_path) == {DEFAULT_TENANT: 3}
    async with sessions() as session:
        assert set((await session.scalars(select(FxRate.id))).all()) == ids  # not rewritten
