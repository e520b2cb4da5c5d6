"""Dated FX rates: read a tenant's `fx_rates.csv`, store it, and find the rate in force on a date.

The CSV has the columns `date,currency,rate_to_base,base`: from `date` on, one `currency` is worth
`rate_to_base` units of `base`, until the next row for that currency. A tenant has one base;
a reporting currency other than the base converts through it (`C -> base -> reporting`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Date,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from golden_records.errors import ConfigurationError, MissingFxRate
from golden_records.fx_models import FxRate
from golden_records.models import Tenant

FX_RATES_FILE = "fx_rates.csv"
COLUMNS = ("date", "currency", "rate_to_base", "base")
_ISO_4217 = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class DatedRate:
    valid_from: date
    currency: str
    rate_to_base: Decimal
    base: str


@dataclass(frozen=True, slots=True)
class DailyFactors:
    """`days[i] = (day, factors)`: `factors[k]` converts one `currencies[k]` to `reporting` on
    that day (None: no rate in force). The reporting currency itself is never listed."""

    reporting: str
    currencies: tuple[str, ...]
    days: tuple[tuple[date, tuple[Decimal | None, ...]], ...]


def fx_rates_path(config_dir: Path, tenant_id: str) -> Path:
    """The tenant's own file (`config/<tenant>/fx_rates.csv`) if present, else the shared one."""
    own = config_dir / tenant_id / FX_RATES_FILE
    return own if own.exists() else config_dir / FX_RATES_FILE


def read_fx_csv(source: Path | str) -> list[DatedRate]:
    """Parse and validate a rates file (a path, or the CSV text itself)."""
    if isinstance(source, Path):
        name, text = str(source), source.read_text(encoding="utf-8-sig")
    else:
        name, text = "fx_rates.csv", source
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or tuple(f.strip() for f in reader.fieldnames) != COLUMNS:
        raise ConfigurationError(f"{name}: the header must be {','.join(COLUMNS)}")
    rates: list[DatedRate] = []
    seen: set[tuple[str, date]] = set()
    for line, row in enumerate(reader, start=2):
        rate = _parse_row(name, line, {k.strip(): (v or "").strip() for k, v in row.items()})
        if (rate.currency, rate.valid_from) in seen:
            raise ConfigurationError(
                f"{name}:{line}: a second {rate.currency} rate dated {rate.valid_from}"
            )
        seen.add((rate.currency, rate.valid_from))
        rates.append(rate)
    bases = {r.base for r in rates}
    if len(bases) > 1:
        # Rates against different bases cannot be chained without guessing a cross rate.
        raise ConfigurationError(f"{name}: every rate must use one base; found {sorted(bases)}")
    return rates


def _parse_row(name: str, line: int, row: dict[str, str]) -> DatedRate:
    where = f"{name}:{line}"
    try:
        valid_from = date.fromisoformat(row["date"])
    except ValueError:
        raise ConfigurationError(f"{where}: date {row['date']!r} is not YYYY-MM-DD") from None
    for column in ("currency", "base"):
        if not _ISO_4217.match(row[column]):
            raise ConfigurationError(f"{where}: {column} {row[column]!r} is not an ISO 4217 code")
    try:
        rate = Decimal(row["rate_to_base"])
    except InvalidOperation:
        raise ConfigurationError(
            f"{where}: rate_to_base {row['rate_to_base']!r} is not a number"
        ) from None
    if not rate.is_finite() or rate <= 0:
        raise ConfigurationError(f"{where}: rate_to_base must be a positive number")
    if row["currency"] == row["base"] and rate != 1:
        raise ConfigurationError(f"{where}: the base currency's rate to itself must be 1")
    return DatedRate(valid_from, row["currency"], rate, row["base"])


async def replace_fx_rates(session: AsyncSession, tenant_id: str, rates: list[DatedRate]) -> int:
    """Make `rates` the tenant's whole rates table (the file is the source of truth)."""
    await session.execute(delete(FxRate).where(FxRate.tenant_id == tenant_id))
    session.add_all(
        FxRate(
            tenant_id=tenant_id,
            currency=r.currency,
            valid_from=r.valid_from,
            rate_to_base=r.rate_to_base,
            base=r.base,
        )
        for r in rates
    )
    await session.flush()
    return len(rates)


async def load_tenant_fx_rates(
    sessions: async_sessionmaker[AsyncSession], config_dir: Path, tenant_id: str
) -> int:
    """At start-up: validate the tenant's rates file and make it the rates table. Returns the
    number of rates; 0 (table untouched) when there is no file."""
    path = fx_rates_path(config_dir, tenant_id)
    if not path.exists():
        return 0
    rates = read_fx_csv(path)
    async with sessions() as session, session.begin():
        if await _stored_rates(session, tenant_id) == set(rates):
            # Every API process loads at start-up: an unchanged file must not rewrite the
            # table (concurrent rewrites would collide on the unique constraint).
            return len(rates)
        return await replace_fx_rates(session, tenant_id, rates)


async def _stored_rates(session: AsyncSession, tenant_id: str) -> set[DatedRate]:
    rows = await session.execute(
        select(FxRate.valid_from, FxRate.currency, FxRate.rate_to_base, FxRate.base).where(
            FxRate.tenant_id == tenant_id
        )
    )
    # Decimals compare and hash by value: 1.10 read back as 1.1000000000 still matches.
    return {DatedRate(d, c, Decimal(str(r)), b) for d, c, r, b in rows}


def _has_rates_file(config_dir: Path) -> bool:
    shared = config_dir / FX_RATES_FILE
    return shared.exists() or any(config_dir.glob(f"*/{FX_RATES_FILE}"))


async def load_all_fx_rates(
    sessions: async_sessionmaker[AsyncSession], config_dir: Path
) -> dict[str, int]:
    """At start-up: `load_tenant_fx_rates` for every tenant in the database. Touches nothing
    when `config_dir` holds no rates file at all."""
    if not _has_rates_file(config_dir):
        return {}
    async with sessions() as session:
        tenant_ids = (await session.scalars(select(Tenant.id))).all()
    return {t: await load_tenant_fx_rates(sessions, config_dir, t) for t in tenant_ids}


async def tenant_base(session: AsyncSession, tenant_id: str) -> str | None:
    """The tenant's base currency, or None when it has no rates at all."""
    bases = (
        await session.scalars(select(FxRate.base).where(FxRate.tenant_id == tenant_id).distinct())
    ).all()
    if len(bases) > 1:
        raise ConfigurationError(f"tenant {tenant_id!r} has FX rates against {sorted(bases)}")
    return bases[0] if bases else None


async def _to_base(
    session: AsyncSession, tenant_id: str, currency: str, on: date
) -> Decimal | None:
    return await session.scalar(
        select(FxRate.rate_to_base)
        .where(
            FxRate.tenant_id == tenant_id,
            FxRate.currency == currency,
            FxRate.valid_from <= on,
        )
        .order_by(FxRate.valid_from.desc())
        .limit(1)
    )


async def rate_on(
    session: AsyncSession, tenant_id: str, currency: str, reporting: str, on: date
) -> Decimal:
    """How many `reporting` units one `currency` unit is worth on `on` (the latest rate on or
    before that date). Raises MissingFxRate naming the currency and date when there is none."""
    if currency == reporting:
        return Decimal(1)
    base = await tenant_base(session, tenant_id) or reporting
    factor = Decimal(1)
    if currency != base:
        to_base = await _to_base(session, tenant_id, currency, on)
        if to_base is None:
            raise MissingFxRate(currency, on, reporting)
        factor = to_base
    if reporting != base:
        reporting_to_base = await _to_base(session, tenant_id, reporting, on)
        if reporting_to_base is None:
            raise MissingFxRate(reporting, on, base)
        factor = factor / reporting_to_base
    return factor


class day_literal(FunctionElement[date]):
    """A date constant typed as a date on every backend (SQLite keeps dates as ISO text)."""

    type = Date()
    inherit_cache = True

    def __init__(self, value: date) -> None:
        self.value = value
        super().__init__()


@compiles(day_literal)
def _day_literal_default(element: day_literal, compiler: Any, **kw: Any) -> str:
    return f"DATE '{element.value.isoformat()}'"


@compiles(day_literal, "sqlite")
def _day_literal_sqlite(element: day_literal, compiler: Any, **kw: Any) -> str:
    return f"CAST('{element.value.isoformat()}' AS TEXT)"


class day_key(FunctionElement[date]):
    """A date as a join key. SQLite compares with the operands' affinity, and only equal
    affinities let it index a join, so both sides of a day join are TEXT there."""

    type = Date()
    inherit_cache = True


@compiles(day_key)
def _day_key_default(element: day_key, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(day_key, "sqlite")
def _day_key_sqlite(element: day_key, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


def daily_factors(
    rates: Iterable[DatedRate], start: date, end: date, reporting: str
) -> DailyFactors:
    """Every day of [start, end] with, for each currency the tenant has rates for (and its
    base), how many `reporting` units one unit is worth: the rates in force that day, chained
    `currency -> base -> reporting`. None where a rate is not yet in force (a missing rate).

    Pure: margin fetches the tenant's rates once and turns the table into SQL rows, so that
    each amount is converted by an equality join on its date.
    """
    rates = list(rates)
    bases = sorted({r.base for r in rates})
    if len(bases) > 1:
        raise ConfigurationError(f"FX rates against more than one base: {bases}")
    base = bases[0] if bases else reporting
    by_currency: dict[str, list[DatedRate]] = {}
    for rate in sorted(rates, key=lambda r: r.valid_from):
        if rate.currency != base and rate.valid_from <= end:
            by_currency.setdefault(rate.currency, []).append(rate)
    currencies = tuple(sorted(({base} | set(by_currency)) - {reporting}))
    # Per currency, the index of the next rate to come into force as the days advance.
    cursor = dict.fromkeys(by_currency, 0)
    in_force: dict[str, Decimal | None] = dict.fromkeys(by_currency)
    in_force[base] = Decimal(1)
    days: list[tuple[date, tuple[Decimal | None, ...]]] = []
    day = start
    while day <= end:
        for currency, dated in by_currency.items():
            i = cursor[currency]
            while i < len(dated) and dated[i].valid_from <= day:
                in_force[currency], i = dated[i].rate_to_base, i + 1
            cursor[currency] = i
        to_reporting = in_force.get(reporting)
        days.append((day, tuple(_factor(in_force[c], to_reporting) for c in currencies)))
        day += timedelta(days=1)
    return DailyFactors(reporting, currencies, tuple(days))


# Enough digits that a million converted amounts still sum to the cent.
_FACTOR_CONTEXT = Context(prec=20)


def _factor(to_base: Decimal | None, reporting_to_base: Decimal | None) -> Decimal | None:
    if to_base is None or reporting_to_base is None:
        return None
    # Normalised: trailing zeros (rates are stored as NUMERIC(20, 10)) would only lengthen
    # every multiplication on PostgreSQL.
    return _FACTOR_CONTEXT.divide(to_base, reporting_to_base).normalize(_FACTOR_CONTEXT)
