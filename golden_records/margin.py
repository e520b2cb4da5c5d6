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
after anything those rules read changes). The tenant's rates become one row of factors per day
of the period (golden_records.fx.daily_factors, sent as literal rows); each time entry joins its
day's row on equality, converts its amounts, and one GROUP BY sums them straight into the
requested groups, carrying only the requested keys. Invoices, few, are summed the same way and
merged in. Python only derives margin, margin %, unbilled and utilisation per row, and rounds
to cents.
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
    Numeric,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
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
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter, ColumnElement, TextClause
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import CTE

from golden_records.canonical import BillingType
from golden_records.errors import ConfigurationError, MissingFxRate, ValidationFailed
from golden_records.fx import DailyFactors, DatedRate, daily_factors, day_key
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


class _fx_rows(TextClause):
    """`(VALUES (day, f_0, f_1...), ...) AS fx_rows` for a DailyFactors table.

    Dates and decimals only, nothing a caller typed. Typed per backend so that PostgreSQL
    folds the constants once: a cast in the join condition would be evaluated per entry.
    """

    inherit_cache = False  # the rows are the statement's own literals

    def __init__(self, factors: DailyFactors) -> None:
        super().__init__("")
        self.factors = factors


def _render_rows(factors: DailyFactors, day: str, null: str) -> str:
    def row(d: date, fs: tuple[Decimal | None, ...]) -> str:
        numbers = (null if f is None else format(f, "f") for f in fs)
        return "(" + ", ".join([day.format(d.isoformat()), *numbers]) + ")"

    return f"(VALUES {', '.join(row(d, fs) for d, fs in factors.days)}) AS fx_rows"


@compiles(_fx_rows)
def _fx_rows_default(element: _fx_rows, compiler: Any, **kw: Any) -> str:
    return _render_rows(element.factors, "DATE '{}'", "CAST(NULL AS NUMERIC)")


@compiles(_fx_rows, "sqlite")
def _fx_rows_sqlite(element: _fx_rows, compiler: Any, **kw: Any) -> str:
    return _render_rows(element.factors, "'{}'", "NULL")


def _fx_days(factors: DailyFactors) -> CTE:
    """The factor table as SQL rows: `day`, then `f_0`, `f_1`... for `factors.currencies`.

    Literal rows: the planners know their exact size, and on PostgreSQL a parallel worker may
    read them, which it may not do with a recursive day series or a window over the rates.
    SQLite must materialise them to index the day join; PostgreSQL must inline them (a
    materialised CTE is read by the leader process only).
    """
    columns: list[Any] = [day_key(literal_column("column1")).label("day")]
    columns += [
        literal_column(f"column{k + 2}", Numeric()).label(f"f_{k}")
        for k in range(len(factors.currencies))
    ]
    return (
        select(*columns)
        .select_from(_fx_rows(factors))
        .cte("fx_days")
        .prefix_with("MATERIALIZED", dialect="sqlite")
        .prefix_with("NOT MATERIALIZED", dialect="postgresql")
    )


def _inline(currency: str) -> BindParameter[str]:
    # Rendered into the SQL (quoted by SQLAlchemy), not sent as a parameter: PostgreSQL then
    # plans the CASE over constants, measurably faster per entry than over $n parameters.
    return bindparam(None, currency, type_=String(3), literal_execute=True)


class _Conversion:
    """Amounts to the reporting currency by their currency and the day's row of `fx_days`."""

    def __init__(self, factors: DailyFactors, fx_days: CTE) -> None:
        self.reporting = _inline(factors.reporting)
        self.columns = {_inline(c): fx_days.c[f"f_{k}"] for k, c in enumerate(factors.currencies)}

    def factor(self, currency: Any) -> ColumnElement[Any]:
        """NULL for a currency without a rate that day (or none at all)."""
        return case(self.columns, value=currency) if self.columns else null()

    def convert(self, amount: Any, currency: Any) -> ColumnElement[Any]:
        # Amounts already in the reporting currency skip the multiplication.
        return case((currency == self.reporting, amount), else_=amount * self.factor(currency))

    def missing(self, currency: Any) -> ColumnElement[bool]:
        return and_(
            currency.is_not(None), currency != self.reporting, self.factor(currency).is_(None)
        )


def _time_scope(
    tenant_id: str, q: MarginQuery, fx_days: CTE, columns: Sequence[Any]
) -> Select[Any]:
    """`columns` over the period's time entries, their project (and person when the
    department is asked for) and their day's FX row. Prices were stored by
    golden_records.pricing, so no rate table is joined here."""
    te, p, r = TimeEntryRecord, ProjectRecord, ResourceRecord
    f = q.filter
    by_department = MarginGroupBy.DEPARTMENT in q.group_by or f.department is not None
    stmt = (
        select(*columns)
        .select_from(te)
        .join(p, p.id == te.project_id)
        .outerjoin(fx_days, fx_days.c.day == day_key(te.spent_date))
        .where(
            te.tenant_id == tenant_id,
            te.spent_date >= q.start,
            te.spent_date <= q.end,
            te.approval_state != _REJECTED,
        )
    )
    if by_department:
        # People are joined only when needed: the join costs a lookup a row.
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


def _invoice_scope(
    tenant_id: str, q: MarginQuery, fx_days: CTE, columns: Sequence[Any]
) -> Select[Any]:
    i, p = InvoiceRecord, ProjectRecord
    stmt = (
        select(*columns)
        .select_from(i)
        .outerjoin(p, p.id == i.project_id)
        .outerjoin(fx_days, fx_days.c.day == day_key(i.issue_date))
        .where(
            i.tenant_id == tenant_id,
            i.issue_date >= q.start,
            i.issue_date <= q.end,
            i.status.not_in(_EXCLUDED_INVOICE_STATES),
        )
    )
    f = q.filter
    if f.client_ids:
        stmt = stmt.where(_invoice_client_id().in_(f.client_ids))
    if f.project_ids:
        stmt = stmt.where(i.project_id.in_(f.project_ids))
    if f.resource_ids or f.department is not None:
        stmt = stmt.where(false())  # an invoice has no person to match the filter
    return stmt


def _invoice_client_id() -> ColumnElement[Any]:
    return func.coalesce(InvoiceRecord.client_id, ProjectRecord.client_id)


_KEY_COLUMNS = {
    MarginGroupBy.CLIENT: "client_id",
    MarginGroupBy.PROJECT: "project_id",
    MarginGroupBy.RESOURCE: "resource_id",
    MarginGroupBy.DEPARTMENT: "department",
}


def _time_sums(tenant_id: str, q: MarginQuery, fx_days: CTE, fx: _Conversion) -> Select[Any]:
    """Time entries summed per requested group and month, each converted on its own day.

    Converting entry by entry (a hash or index lookup on the day) lets the GROUP BY go straight
    to the few groups asked for; summing per day first would keep a group per day and currency
    and, on PostgreSQL, far more numeric aggregate states than work_mem holds.
    """
    te, p, r = TimeEntryRecord, ProjectRecord, ResourceRecord
    key_of: dict[MarginGroupBy, Any] = {
        MarginGroupBy.CLIENT: p.client_id,
        MarginGroupBy.PROJECT: te.project_id,
        MarginGroupBy.RESOURCE: te.resource_id,
        MarginGroupBy.DEPARTMENT: r.department,
    }
    keys: list[ColumnElement[Any]] = [
        key_of[g].label(_KEY_COLUMNS[g]) for g in q.group_by if g in key_of
    ]
    if MarginGroupBy.MONTH in q.group_by:
        keys.append(month_of(te.spent_date).label("month"))
    billable = and_(te.billable.is_(True), p.billing_type != BillingType.NON_BILLABLE.value)
    # FILTER, not CASE ... ELSE 0: rows outside it cost no numeric addition.
    columns = [
        *keys,
        func.sum(te.hours).label("hours"),
        func.sum(te.hours).filter(billable).label("billable_hours"),
        func.sum(te.hours).filter(te.cost_amount.is_(None)).label("uncosted_hours"),
        func.sum(te.hours)
        .filter(and_(te.billable.is_(True), te.revenue_amount.is_(None)))
        .label("unpriced_hours"),
        func.sum(fx.convert(te.cost_amount, te.cost_currency)).label("cost"),
        func.sum(fx.convert(te.revenue_amount, te.revenue_currency)).label("revenue"),
        cast(null(), Numeric()).label("billed"),
        func.count()
        .filter(or_(fx.missing(te.cost_currency), fx.missing(te.revenue_currency)))
        .label("missing"),
        func.count().label("facts"),
    ]
    return _time_scope(tenant_id, q, fx_days, columns).group_by(*keys)


def _invoice_sums(tenant_id: str, q: MarginQuery, fx_days: CTE, fx: _Conversion) -> Select[Any]:
    i, p = InvoiceRecord, ProjectRecord
    key_of: dict[MarginGroupBy, Any] = {
        MarginGroupBy.CLIENT: _invoice_client_id(),
        MarginGroupBy.PROJECT: i.project_id,
        MarginGroupBy.RESOURCE: null(),
        MarginGroupBy.DEPARTMENT: null(),
    }
    keys = [key_of[g].label(_KEY_COLUMNS[g]) for g in q.group_by if g in key_of]
    if MarginGroupBy.MONTH in q.group_by:
        keys.append(month_of(i.issue_date).label("month"))
    fee = case((p.billing_type == BillingType.FIXED_FEE.value, i.total_amount), else_=literal(0))
    columns = [
        *keys,
        *(
            cast(null(), Numeric()).label(m)
            for m in ("hours", "billable_hours", "uncosted_hours", "unpriced_hours", "cost")
        ),
        func.sum(fx.convert(fee, i.currency)).label("revenue"),
        func.sum(fx.convert(i.total_amount, i.currency)).label("billed"),
        func.count().filter(fx.missing(i.currency)).label("missing"),
        func.count().label("facts"),
    ]
    # An invoice's person keys are constant NULLs: PostgreSQL refuses to GROUP BY a constant.
    group_by = [k for k in keys if k.name not in ("resource_id", "department")]
    return _invoice_scope(tenant_id, q, fx_days, columns).group_by(*group_by)


_MEASURES = (
    "hours",
    "billable_hours",
    "uncosted_hours",
    "unpriced_hours",
    "cost",
    "revenue",
    "billed",
    "missing",
)


def margin_statement(tenant_id: str, q: MarginQuery, factors: DailyFactors) -> Select[Any]:
    """One row per group: the keys, names and summed measures (see the module docstring).

    `factors` is the FX table of the period (golden_records.fx.daily_factors, to
    `q.currency`). Rows where a rate was missing have `missing > 0`; see
    `missing_rate_statement`.
    """
    fx_days = _fx_days(factors)
    fx = _Conversion(factors, fx_days)
    facts = union_all(
        _time_sums(tenant_id, q, fx_days, fx), _invoice_sums(tenant_id, q, fx_days, fx)
    ).subquery("facts")
    keys: list[ColumnElement[Any]] = [
        facts.c[_KEY_COLUMNS[g]] for g in q.group_by if g in _KEY_COLUMNS
    ]
    if MarginGroupBy.MONTH in q.group_by:
        keys.append(facts.c.month)
    # HAVING keeps an empty period empty when there are no keys (a bare SUM gives one row).
    grouped = (
        select(*keys, *(func.sum(facts.c[m]).label(m) for m in _MEASURES))
        .group_by(*keys)
        .having(func.sum(facts.c.facts) > 0)
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


def missing_rate_statement(tenant_id: str, q: MarginQuery, factors: DailyFactors) -> Select[Any]:
    """The earliest (currency, day) of an amount that could not be converted."""
    te, i = TimeEntryRecord, InvoiceRecord
    fx_days = _fx_days(factors)
    fx = _Conversion(factors, fx_days)
    unconverted = union_all(
        *(
            _time_scope(
                tenant_id, q, fx_days, [currency.label("currency"), te.spent_date.label("day")]
            ).where(fx.missing(currency))
            for currency in (te.cost_currency, te.revenue_currency)
        ),
        _invoice_scope(
            tenant_id, q, fx_days, [i.currency.label("currency"), i.issue_date.label("day")]
        ).where(fx.missing(i.currency)),
    ).subquery("unconverted")
    return (
        select(unconverted.c.currency, unconverted.c.day)
        .order_by(unconverted.c.day, unconverted.c.currency)
        .limit(1)
    )


def fx_rates_statement(tenant_id: str, q: MarginQuery) -> Select[date, str, Decimal, str]:
    """The tenant's rates that can be in force during the period: those dated in it, and per
    currency the latest one dated before it."""
    later = aliased(FxRate)
    in_force_at_start = (
        select(func.max(later.valid_from))
        .where(
            later.tenant_id == FxRate.tenant_id,
            later.currency == FxRate.currency,
            later.valid_from <= q.start,
        )
        .scalar_subquery()
    )
    return select(FxRate.valid_from, FxRate.currency, FxRate.rate_to_base, FxRate.base).where(
        FxRate.tenant_id == tenant_id,
        FxRate.valid_from <= q.end,
        FxRate.valid_from >= func.coalesce(in_force_at_start, q.start),
    )


# PostgreSQL's default (4MB) makes the planner sort a million entries on disk rather than
# hash them into the few groups asked for. Per sort or hash node and process, for one query.
WORK_MEM = "64MB"


class _local_setting(FunctionElement[str]):
    """`SET LOCAL name = value` as an expression (PostgreSQL's set_config); NULL elsewhere."""

    type = String()
    inherit_cache = True


@compiles(_local_setting)
def _local_setting_default(element: _local_setting, compiler: Any, **kw: Any) -> str:
    return f"set_config({compiler.process(element.clauses, **kw)}, true)"


@compiles(_local_setting, "sqlite")
def _local_setting_sqlite(element: _local_setting, compiler: Any, **kw: Any) -> str:
    return "NULL"


def local_settings_statement(work_mem: str = WORK_MEM) -> Select[str, str]:
    """Margin's PostgreSQL settings until the end of the current transaction (a no-op query on
    SQLite): `work_mem`, and custom plans only. After five runs of one prepared statement on a
    connection PostgreSQL may switch to a generic plan, which does not see the period's dates
    and measured twice as slow here."""
    return select(
        _local_setting("work_mem", work_mem),
        _local_setting("plan_cache_mode", "force_custom_plan"),
    )


Execute = Callable[[Executable], Awaitable[Sequence[Row[Any]]]]


async def compute_margin(
    execute: Execute, tenant_id: str, q: MarginQuery, *, work_mem: str | None = WORK_MEM
) -> list[MarginRow]:
    """Run the margin query through `execute` (e.g. `Context.execute`) and shape the rows.

    `work_mem` (PostgreSQL; with custom plans, see `local_settings_statement`) holds for the
    rest of the caller's transaction; None keeps the server's settings. Raises MissingFxRate
    when any amount in the period has no rate to the reporting currency.
    """
    if work_mem is not None:
        await execute(local_settings_statement(work_mem))
    rates = [
        DatedRate(valid_from=_as_date(day), currency=cur, rate_to_base=Decimal(str(rate)), base=b)
        for day, cur, rate, b in map(tuple, await execute(fx_rates_statement(tenant_id, q)))
    ]
    bases = sorted({r.base for r in rates})
    if len(bases) > 1:
        raise ConfigurationError(f"tenant {tenant_id!r} has FX rates against {bases}")
    factors = daily_factors(rates, q.start, q.end, q.currency)
    rows = await execute(margin_statement(tenant_id, q, factors))
    if any(row.missing for row in rows):
        found = await execute(missing_rate_statement(tenant_id, q, factors))
        currency, day = found[0]._mapping["currency"], found[0]._mapping["day"]
        raise MissingFxRate(currency, _as_date(day), q.currency)
    return [_shape(row, q) for row in rows]


def _as_date(value: Any) -> date:
    # SQLite hands dates back as ISO text from a UNION or a raw column.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


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
