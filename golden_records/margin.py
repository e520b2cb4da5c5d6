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

How: time entries and invoices become one set of facts (UNION ALL); cost rates and assignment
overrides join as ranges (`LEAD()` turns each rate's start into a [from, next) period); FX
rates are expanded to one factor per currency and day of the period (golden_records.fx) and
join on equality; one GROUP BY sums the converted facts. Everything is one statement; Python
only derives margin, margin %, unbilled and utilisation per row, and rounds to cents.
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
from sqlalchemy.sql.selectable import CTE, Subquery

from golden_records.canonical import BillingType
from golden_records.errors import ConfigurationError, MissingFxRate, ValidationFailed
from golden_records.fx import daily_factors, day_key, day_literal, day_series
from golden_records.fx_models import FxRate
from golden_records.models import (
    AssignmentRecord,
    ClientRecord,
    CostRateRecord,
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


def _in_period(day: Any, period: Any) -> Any:
    """`day` falls in [valid_from, next_from) and on or before valid_to.

    Plain comparisons, no ORs on NULLs (open ends are far dates), so that SQLite can index
    the join on the fly.
    """
    return and_(day >= period.c.valid_from, day < period.c.next_from, day <= period.c.valid_to)


def _periods(start: Any, end: Any, partition_by: Sequence[Any], tiebreak: Any) -> list[Any]:
    """valid_from, next_from (the next row's start), valid_to columns of dated rows."""
    return [
        start.label("valid_from"),
        func.coalesce(
            func.lead(start).over(partition_by=partition_by, order_by=(start, tiebreak)),
            day_literal(_END_OF_TIME),
        ).label("next_from"),
        func.coalesce(end, day_literal(_END_OF_TIME)).label("valid_to"),
    ]


def _cost_periods(tenant_id: str) -> CTE:
    cr = CostRateRecord
    return (
        select(
            cr.resource_id,
            *_periods(cr.effective_from, cr.effective_to, (cr.resource_id,), cr.id),
            cr.hourly_cost,
            cr.currency,
        )
        .where(cr.tenant_id == tenant_id)
        .cte("cost_periods")
    )


def _cost_days(tenant_id: str, days: CTE) -> CTE:
    """The cost rate in force per resource and day of the period.

    An equality join on (resource, day) is indexed or hashed by both backends; SQLite will
    not index a range join against the windowed periods, and would scan them per entry.
    """
    periods = _cost_periods(tenant_id)
    return (
        select(periods.c.resource_id, days.c.day, periods.c.hourly_cost, periods.c.currency)
        .join(periods, _in_period(days.c.day, periods))
        .cte("cost_days")
    )


def _assignment_periods(tenant_id: str) -> CTE:
    a = AssignmentRecord
    start = func.coalesce(a.start_date, day_literal(_BEGINNING))
    return (
        select(
            a.project_id,
            a.resource_id,
            *_periods(start, a.end_date, (a.project_id, a.resource_id), a.id),
            a.bill_rate,
        )
        .where(a.tenant_id == tenant_id)
        .cte("assignment_periods")
    )


def _time_facts(tenant_id: str, q: MarginQuery, days: CTE) -> Select[Any]:
    te, p, r = TimeEntryRecord, ProjectRecord, ResourceRecord
    cost, assigned = _cost_days(tenant_id, days), _assignment_periods(tenant_id)
    billable = and_(te.billable.is_(True), p.billing_type != BillingType.NON_BILLABLE.value)
    earns = and_(te.billable.is_(True), p.billing_type == BillingType.TIME_AND_MATERIALS.value)
    rate = func.coalesce(assigned.c.bill_rate, p.bill_rate, r.default_bill_rate)
    rate_currency = case(
        (or_(assigned.c.bill_rate.is_not(None), p.bill_rate.is_not(None)), p.currency),
        else_=r.currency,
    )
    priced = and_(earns, rate.is_not(None))
    zero = literal(0)
    stmt: Select[Any] = (
        select(
            te.spent_date.label("day"),
            p.client_id.label("client_id"),
            te.project_id.label("project_id"),
            te.resource_id.label("resource_id"),
            r.department.label("department"),
            te.hours.label("hours"),
            case((billable, te.hours), else_=zero).label("billable_hours"),
            case((cost.c.hourly_cost.is_(None), te.hours), else_=zero).label("uncosted_hours"),
            case((and_(earns, rate.is_(None)), te.hours), else_=zero).label("unpriced_hours"),
            func.coalesce(te.hours * cost.c.hourly_cost, zero).label("cost"),
            cost.c.currency.label("cost_currency"),
            case((priced, te.hours * rate), else_=zero).label("revenue"),
            zero.label("billed"),
            case((priced, rate_currency), else_=null()).label("money_currency"),
        )
        .select_from(te)
        .join(p, p.id == te.project_id)
        .join(r, r.id == te.resource_id)
        .outerjoin(
            cost,
            and_(cost.c.resource_id == te.resource_id, cost.c.day == day_key(te.spent_date)),
        )
        .outerjoin(
            assigned,
            and_(
                assigned.c.project_id == te.project_id,
                assigned.c.resource_id == te.resource_id,
                _in_period(te.spent_date, assigned),
            ),
        )
        .where(
            te.tenant_id == tenant_id,
            te.spent_date >= q.start,
            te.spent_date <= q.end,
            te.approval_state != _REJECTED,
        )
    )
    f = q.filter
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
    facts = union_all(_time_facts(tenant_id, q, days), _invoice_facts(tenant_id, q)).subquery(
        "facts"
    )
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


def margin_statement(tenant_id: str, q: MarginQuery, base: str | None) -> Select[Any]:
    """One row per group: the keys, names and summed measures (see the module docstring).

    `base` is the tenant's FX base currency (golden_records.fx.tenant_base), None if it has
    no rates. Rows where a rate was missing have `missing > 0`; see `missing_rate_statement`.
    """
    conv = _converted(tenant_id, q, base)
    keys: list[ColumnElement[Any]] = [
        conv.c[_KEY_COLUMNS[g]] for g in q.group_by if g in _KEY_COLUMNS
    ]
    if MarginGroupBy.MONTH in q.group_by:
        keys.append(month_of(conv.c.day).label("month"))
    sums = [func.sum(conv.c[m]).label(m) for m in _MEASURES + _AMOUNTS]
    missing = func.count(conv.c.missing_currency).label("missing")
    # HAVING keeps an empty period empty when there are no keys (a bare SUM gives one row).
    grouped = (
        select(*keys, *sums, missing).group_by(*keys).having(func.count() > 0).subquery("grouped")
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


def fx_base_statement(tenant_id: str) -> Select[Any]:
    return select(FxRate.base).where(FxRate.tenant_id == tenant_id).distinct()


Execute = Callable[[Executable], Awaitable[Sequence[Row[Any]]]]


async def compute_margin(execute: Execute, tenant_id: str, q: MarginQuery) -> list[MarginRow]:
    """Run the margin query through `execute` (e.g. `Context.execute`) and shape the rows.

    Raises MissingFxRate when any amount in the period has no rate to the reporting currency.
    """
    bases = [row[0] for row in await execute(fx_base_statement(tenant_id))]
    base = bases[0] if len(bases) == 1 else None
    if len(bases) > 1:
        raise ConfigurationError(f"tenant {tenant_id!r} has FX rates against {sorted(bases)}")
    rows = await execute(margin_statement(tenant_id, q, base))
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
