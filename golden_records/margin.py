"""Margin for BI: hours, labour cost, revenue, margin, billed/unbilled and utilisation, in SQL.

The rules (also in the README, "Margin data"):

- Period: time entries whose date and invoices whose issue date fall in [from, to], both
  inclusive. Rejected time entries are left out; draft and void invoices are left out.
- Hours: every remaining entry. Billable hours: entries marked billable on a project that is
  not NON_BILLABLE. Utilisation = billable hours / hours (null when there are no hours).
- Labour cost = hours x the resource's cost rate in force on the entry's date: the rate with the
  latest `effective_from` on or before the date, unless its `effective_to` (inclusive) has
  passed. A rate change mid-month therefore splits the month at the change date. Hours with no
  rate in force cost nothing and are reported as `uncosted_hours`, never hidden.
- Revenue by billing type of the entry's project:
  TIME_AND_MATERIALS: billable hours x the bill rate that applies: the assignment's override
  (the assignment of that person on that project in force on the date), else the project's bill
  rate, else the person's default bill rate. Override and project rates are in the project's
  currency, the default rate in the person's currency. Billable T&M hours with no rate at all
  earn nothing and are reported as `unpriced_hours`.
  FIXED_FEE: the project's invoiced amounts in the period (by issue date); its time earns no
  revenue, so fee and time are never counted twice.
  NON_BILLABLE: no revenue.
  Invoices without a project count as billed, not as revenue (their billing type is unknown).
- Margin = revenue - labour cost; margin % = margin / revenue x 100, null when revenue is 0.
- Billed = invoiced amounts in the period; unbilled = revenue - billed (work in progress; it is
  negative when the period's invoices bill work done before it).
- Invoices carry a client, project and month but no person: grouped by RESOURCE or DEPARTMENT
  they form the row with an empty resource/department, and a resource or department filter
  leaves them out.
- Currency: each amount converts to the reporting currency with the rate in force on its own
  date (the entry's date, the invoice's issue date), through the tenant's FX base
  (golden_records.fx). An amount whose rate is missing raises MissingFxRate naming the currency
  and the date; currencies are never mixed.

How: time entries carry their cost and revenue, priced ahead of time by
golden_records.pricing.reprice (which applies the cost-rate and bill-rate rules above; call it
after anything those rules read changes). Time entries and invoices become one set of facts
(UNION ALL), summed per group and day with each amount split into one column per currency;
those daily sums join one row of FX factors per day (golden_records.fx) and a second GROUP BY
converts and sums them. One FX lookup per group and day instead of one per entry keeps the
statement close to the bare GROUP BY. Python only derives margin, margin %, unbilled and
utilisation per row, and rounds to cents.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Executable,
    Row,
    Select,
    String,
    and_,
    case,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Subquery

from golden_records.canonical import BillingType
from golden_records.errors import ConfigurationError, MissingFxRate, ValidationFailed
from golden_records.fx import daily_factors, day_key, day_series
from golden_records.fx_models import FxRate
from golden_records.models import (
    ClientRecord,
    InvoiceRecord,
    ProjectRecord,
    ResourceRecord,
    TimeEntryRecord,
)

CENT = Decimal("0.01")
_EXCLUDED_INVOICE_STATES = ("DRAFT", "VOID")
_REJECTED = "REJECTED"
# Open-ended periods run from/to here: NULLs would sort differently on the two backends.
_BEGINNING = date(1, 1, 1)
_END_OF_TIME = date(9999, 12, 31)
MAX_PERIOD_DAYS = 3700  # ten years and then some


class MarginGroupBy(enum.StrEnum):
    CLIENT = "CLIENT"
    PROJECT = "PROJECT"
    RESOURCE = "RESOURCE"
    DEPARTMENT = "DEPARTMENT"
    MONTH = "MONTH"


@dataclass(frozen=True, slots=True)
class MarginFilter:
    client_ids: tuple[int, ...] = ()
    project_ids: tuple[int, ...] = ()
    resource_ids: tuple[int, ...] = ()
    department: str | None = None


@dataclass(frozen=True, slots=True)
class MarginQuery:
    start: date
    end: date
    currency: str
    group_by: tuple[MarginGroupBy, ...] = ()
    filter: MarginFilter = field(default_factory=MarginFilter)

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValidationFailed(
                f"`from` ({self.start}) is after `to` ({self.end}).", field="from"
            )
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValidationFailed(
                f"{self.currency!r} is not an ISO 4217 currency code.", field="currency"
            )
        if (self.end - self.start).days >= MAX_PERIOD_DAYS:
            # Rates are expanded per day of the period; a century would be millions of rows.
            raise ValidationFailed(
                f"The period may span at most {MAX_PERIOD_DAYS} days.", field="to"
            )
        if len(set(self.group_by)) != len(self.group_by):
            raise ValidationFailed("groupBy lists a dimension twice.", field="groupBy")


@dataclass(frozen=True, slots=True)
class MarginRow:
    """One group's measures, every amount in `currency`."""

    currency: str
    client_id: int | None = None
    client_name: str | None = None
    project_id: int | None = None
    project_name: str | None = None
    resource_id: int | None = None
    resource_name: str | None = None
    department: str | None = None
    month: str | None = None  # "YYYY-MM"
    hours: Decimal = Decimal(0)
    billable_hours: Decimal = Decimal(0)
    uncosted_hours: Decimal = Decimal(0)
    unpriced_hours: Decimal = Decimal(0)
    labour_cost: Decimal = Decimal(0)
    revenue: Decimal = Decimal(0)
    billed: Decimal = Decimal(0)

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.labour_cost

    @property
    def margin_pct(self) -> Decimal | None:
        if not self.revenue:
            return None
        return (self.margin / self.revenue * 100).quantize(CENT)

    @property
    def unbilled(self) -> Decimal:
        return self.revenue - self.billed

    @property
    def utilisation(self) -> Decimal | None:
        if not self.hours:
            return None
        return (self.billable_hours / self.hours).quantize(Decimal("0.0001"))


class month_of(FunctionElement[str]):
    """'YYYY-MM' of a date column, on SQLite and PostgreSQL."""

    type = String()
    inherit_cache = True


@compiles(month_of)
def _month_of_default(element: month_of, compiler: Any, **kw: Any) -> str:
    # A plain timestamp: to_char would otherwise pick timestamptz and do zone work per row.
    return f"to_char(CAST({compiler.process(element.clauses, **kw)} AS timestamp), 'YYYY-MM')"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: Any, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


def _time_facts(tenant_id: str, q: MarginQuery) -> Select[Any]:
    """Time entries with their stored prices (golden_records.pricing): no rate joins here."""
    te, p, r = TimeEntryRecord, ProjectRecord, ResourceRecord
    billable = and_(te.billable.is_(True), p.billing_type != BillingType.NON_BILLABLE.value)
    f = q.filter
    # People are joined only when the department is asked for: the join costs a lookup a row.
    by_department = MarginGroupBy.DEPARTMENT in q.group_by or f.department is not None
    zero = literal(0)
    stmt: Select[Any] = (
        select(
            te.spent_date.label("day"),
            p.client_id.label("client_id"),
            te.project_id.label("project_id"),
            te.resource_id.label("resource_id"),
            (r.department if by_department else null()).label("department"),
            te.hours.label("hours"),
            case((billable, te.hours), else_=zero).label("billable_hours"),
            case((te.cost_amount.is_(None), te.hours), else_=zero).label("uncosted_hours"),
            case(
                (and_(te.billable.is_(True), te.revenue_amount.is_(None)), te.hours),
                else_=zero,
            ).label("unpriced_hours"),
            func.coalesce(te.cost_amount, zero).label("cost"),
            te.cost_currency.label("cost_currency"),
            func.coalesce(te.revenue_amount, zero).label("revenue"),
            zero.label("billed"),
            te.revenue_currency.label("money_currency"),
        )
        .select_from(te)
        .join(p, p.id == te.project_id)
        .where(
            te.tenant_id == tenant_id,
            te.spent_date >= q.start,
            te.spent_date <= q.end,
            te.approval_state != _REJECTED,
        )
    )
    if by_department:
        stmt = stmt.join(r, r.id == te.resource_id)
    if f.client_ids:
        stmt = stmt.where(p.client_id.in_(f.client_ids))
    if f.project_ids:
        stmt = stmt.where(te.project_id.in_(f.project_ids))
    if f.resource_ids:
        stmt = stmt.where(te.resource_id.in_(f.resource_ids))
    if f.department is not None:
        stmt = stmt.where(r.department == f.department)
    return stmt


def _invoice_facts(tenant_id: str, q: MarginQuery) -> Select[Any]:
    i, p = InvoiceRecord, ProjectRecord
    client_id = func.coalesce(i.client_id, p.client_id)
    fixed_fee = p.billing_type == BillingType.FIXED_FEE.value
    zero = literal(0)
    columns: list[Any] = [
        i.issue_date.label("day"),
        client_id.label("client_id"),
        i.project_id.label("project_id"),
        null().label("resource_id"),
        null().label("department"),
        zero.label("hours"),
        zero.label("billable_hours"),
        zero.label("uncosted_hours"),
        zero.label("unpriced_hours"),
        zero.label("cost"),
        null().label("cost_currency"),
        case((fixed_fee, i.total_amount), else_=zero).label("revenue"),
        i.total_amount.label("billed"),
        i.currency.label("money_currency"),
    ]
    stmt = (
        select(*columns)
        .select_from(i)
        .outerjoin(p, p.id == i.project_id)
        .where(
            i.tenant_id == tenant_id,
            i.issue_date >= q.start,
            i.issue_date <= q.end,
            i.status.not_in(_EXCLUDED_INVOICE_STATES),
        )
    )
    f = q.filter
    if f.client_ids:
        stmt = stmt.where(client_id.in_(f.client_ids))
    if f.project_ids:
        stmt = stmt.where(i.project_id.in_(f.project_ids))
    if f.resource_ids or f.department is not None:
        stmt = stmt.where(false())  # an invoice has no person to match the filter
    return stmt


_KEY_COLUMNS = {
    MarginGroupBy.CLIENT: "client_id",
    MarginGroupBy.PROJECT: "project_id",
    MarginGroupBy.RESOURCE: "resource_id",
    MarginGroupBy.DEPARTMENT: "department",
}
_MEASURES = ("hours", "billable_hours", "uncosted_hours", "unpriced_hours")
_AMOUNTS = ("cost", "revenue", "billed")


def _converted(tenant_id: str, q: MarginQuery, base: str | None) -> Subquery:
    """Every fact with its amounts in the reporting currency at the rate of its own day."""
    days = day_series(q.start, q.end)
    facts = _facts(tenant_id, q)
    factors = daily_factors(tenant_id, days, q.currency, base or q.currency)
    cost_fx, money_fx = factors.alias("cost_fx"), factors.alias("money_fx")
    one: ColumnElement[Any] = literal_column("1.0")
    cost_factor = case((facts.c.cost_currency == q.currency, one), else_=cost_fx.c.factor)
    money_factor = case((facts.c.money_currency == q.currency, one), else_=money_fx.c.factor)
    missing = case(
        (and_(facts.c.cost_currency.is_not(None), cost_factor.is_(None)), facts.c.cost_currency),
        (
            and_(facts.c.money_currency.is_not(None), money_factor.is_(None)),
            facts.c.money_currency,
        ),
        else_=null(),
    )
    keys = [facts.c[_KEY_COLUMNS[g]] for g in q.group_by if g in _KEY_COLUMNS]
    return (
        select(
            *keys,
            facts.c.day,
            *(facts.c[m] for m in _MEASURES),
            (facts.c.cost * cost_factor).label("cost"),
            (facts.c.revenue * money_factor).label("revenue"),
            (facts.c.billed * money_factor).label("billed"),
            missing.label("missing_currency"),
        )
        .select_from(facts)
        .outerjoin(
            cost_fx,
            and_(
                cost_fx.c.currency == facts.c.cost_currency, cost_fx.c.day == day_key(facts.c.day)
            ),
        )
        .outerjoin(
            money_fx,
            and_(
                money_fx.c.currency == facts.c.money_currency,
                money_fx.c.day == day_key(facts.c.day),
            ),
        )
        .subquery("converted")
    )


def _facts(tenant_id: str, q: MarginQuery) -> Subquery:
    return union_all(_time_facts(tenant_id, q), _invoice_facts(tenant_id, q)).subquery("facts")


def _daily(tenant_id: str, q: MarginQuery, currencies: Sequence[str]) -> Subquery:
    """Facts summed per group and day, each amount split into one column per currency.

    Summing before converting turns one FX lookup per time entry into one per group and day;
    `other` counts amounts in a currency outside `currencies` (they have no rate at all).
    """
    facts = _facts(tenant_id, q)
    keys = [facts.c[_KEY_COLUMNS[g]] for g in q.group_by if g in _KEY_COLUMNS]
    split: list[Any] = []
    for i, cur in enumerate(currencies):
        split += [
            func.sum(case((facts.c.cost_currency == cur, facts.c.cost))).label(f"cost_{i}"),
            func.sum(case((facts.c.money_currency == cur, facts.c.revenue))).label(f"revenue_{i}"),
            func.sum(case((facts.c.money_currency == cur, facts.c.billed))).label(f"billed_{i}"),
        ]
    unknown = or_(
        and_(facts.c.cost_currency.is_not(None), facts.c.cost_currency.not_in(currencies)),
        and_(facts.c.money_currency.is_not(None), facts.c.money_currency.not_in(currencies)),
    )
    return (
        select(
            *keys,
            facts.c.day,
            *(func.sum(facts.c[m]).label(m) for m in _MEASURES),
            *split,
            func.count(case((unknown, 1))).label("other"),
        )
        .group_by(*keys, facts.c.day)
        .subquery("daily")
    )


def _day_factors(
    tenant_id: str, q: MarginQuery, base: str | None, currencies: Sequence[str]
) -> Subquery:
    """One row per day of the period with one factor column per currency (NULL: no rate)."""
    days = day_series(q.start, q.end)
    factors = daily_factors(tenant_id, days, q.currency, base or q.currency)
    return (
        select(
            days.c.day,
            *(
                func.max(case((factors.c.currency == cur, factors.c.factor))).label(f"f_{i}")
                for i, cur in enumerate(currencies)
            ),
        )
        .select_from(days)
        .outerjoin(factors, factors.c.day == days.c.day)
        .group_by(days.c.day)
        .subquery("day_factors")
    )


def margin_statement(
    tenant_id: str, q: MarginQuery, base: str | None, currencies: Sequence[str] = ()
) -> Select[Any]:
    """One row per group: the keys, names and summed measures (see the module docstring).

    `base` is the tenant's FX base currency (golden_records.fx.tenant_base), None if it has
    no rates; `currencies` those it has rates for (`fx_currencies_statement`). Rows where a
    rate was missing have `missing > 0`; see `missing_rate_statement`.
    """
    known = sorted({q.currency, *([base] if base else []), *currencies})
    daily = _daily(tenant_id, q, known)
    fx = _day_factors(tenant_id, q, base, known)
    one: ColumnElement[Any] = literal_column("1.0")
    zero = literal(0)
    amounts: dict[str, Any] = {"cost": zero, "revenue": zero, "billed": zero}
    missing: list[Any] = [daily.c.other > 0]
    for i, cur in enumerate(known):
        factor = one if cur == q.currency else fx.c[f"f_{i}"]
        for amount in amounts:
            column = daily.c[f"{amount}_{i}"]
            amounts[amount] = amounts[amount] + func.coalesce(column * factor, zero)
            if cur != q.currency:
                missing.append(and_(column.is_not(None), factor.is_(None)))
    keys: list[ColumnElement[Any]] = [
        daily.c[_KEY_COLUMNS[g]] for g in q.group_by if g in _KEY_COLUMNS
    ]
    if MarginGroupBy.MONTH in q.group_by:
        keys.append(month_of(daily.c.day).label("month"))
    sums = [func.sum(daily.c[m]).label(m) for m in _MEASURES]
    sums += [func.sum(amount).label(name) for name, amount in amounts.items()]
    # HAVING keeps an empty period empty when there are no keys (a bare SUM gives one row).
    grouped = (
        select(*keys, *sums, func.count(case((or_(*missing), 1))).label("missing"))
        .select_from(daily)
        .outerjoin(fx, fx.c.day == day_key(daily.c.day))
        .group_by(*keys)
        .having(func.count() > 0)
        .subquery("grouped")
    )

    c, p, r = ClientRecord, ProjectRecord, ResourceRecord
    columns: list[Any] = list(grouped.c)
    stmt = select(*columns).select_from(grouped)
    order: list[Any] = []
    for g in q.group_by:
        if g is MarginGroupBy.CLIENT:
            stmt = stmt.outerjoin(c, c.id == grouped.c.client_id).add_columns(
                c.name.label("client_name")
            )
        elif g is MarginGroupBy.PROJECT:
            stmt = stmt.outerjoin(p, p.id == grouped.c.project_id).add_columns(
                p.name.label("project_name")
            )
        elif g is MarginGroupBy.RESOURCE:
            stmt = stmt.outerjoin(r, r.id == grouped.c.resource_id).add_columns(
                (r.given_name + " " + r.family_name).label("resource_name")
            )
        column = grouped.c["month" if g is MarginGroupBy.MONTH else _KEY_COLUMNS[g]]
        order.append(column.asc().nulls_last())
    return stmt.order_by(*order)


def missing_rate_statement(tenant_id: str, q: MarginQuery, base: str | None) -> Select[Any]:
    """The earliest (currency, day) whose amount could not be converted."""
    conv = _converted(tenant_id, q, base)
    return (
        select(conv.c.missing_currency, conv.c.day)
        .where(conv.c.missing_currency.is_not(None))
        .order_by(conv.c.day, conv.c.missing_currency)
        .limit(1)
    )


def fx_currencies_statement(tenant_id: str) -> Select[str, str]:
    """(currency, base) pairs the tenant has rates for."""
    return select(FxRate.currency, FxRate.base).where(FxRate.tenant_id == tenant_id).distinct()


Execute = Callable[[Executable], Awaitable[Sequence[Row[Any]]]]


async def compute_margin(execute: Execute, tenant_id: str, q: MarginQuery) -> list[MarginRow]:
    """Run the margin query through `execute` (e.g. `Context.execute`) and shape the rows.

    Raises MissingFxRate when any amount in the period has no rate to the reporting currency.
    """
    pairs = [tuple(row) for row in await execute(fx_currencies_statement(tenant_id))]
    bases = sorted({row[1] for row in pairs})
    base = bases[0] if len(bases) == 1 else None
    if len(bases) > 1:
        raise ConfigurationError(f"tenant {tenant_id!r} has FX rates against {bases}")
    currencies = sorted({row[0] for row in pairs})
    rows = await execute(margin_statement(tenant_id, q, base, currencies))
    if any(row.missing for row in rows):
        found = await execute(missing_rate_statement(tenant_id, q, base))
        currency, day = found[0]._mapping["missing_currency"], found[0]._mapping["day"]
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        raise MissingFxRate(currency, day, q.currency)
    return [_shape(row, q) for row in rows]


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    # SQLite hands back floats for computed numerics; go through str to keep the shown digits.
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(CENT)


def _shape(row: Row[Any], q: MarginQuery) -> MarginRow:
    m = row._mapping
    return MarginRow(
        currency=q.currency,
        client_id=m.get("client_id"),
        client_name=m.get("client_name"),
        project_id=m.get("project_id"),
        project_name=m.get("project_name"),
        resource_id=m.get("resource_id"),
        resource_name=m.get("resource_name"),
        department=m.get("department"),
        month=m.get("month"),
        hours=_decimal(m["hours"]),
        billable_hours=_decimal(m["billable_hours"]),
        uncosted_hours=_decimal(m["uncosted_hours"]),
        unpriced_hours=_decimal(m["unpriced_hours"]),
        labour_cost=_decimal(m["cost"]),
        revenue=_decimal(m["revenue"]),
        billed=_decimal(m["billed"]),
    )
