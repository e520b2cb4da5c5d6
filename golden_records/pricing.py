"""Priced time: each time entry's labour cost and revenue, stored beside it by one UPDATE ... FROM.

Margin sums these columns instead of joining rates per query (golden_records.margin). The rules
are margin's: cost = hours x the cost rate in force on the entry's date (the rate with the
latest `effective_from` on or before it, unless its `effective_to`, inclusive, has passed);
revenue for billable time on a TIME_AND_MATERIALS project = hours x the assignment's override
in force, else the project's bill rate, else the person's default (override and project rates
in the project's currency, the default in the person's). Other entries earn 0. A NULL amount
means no rate was in force: margin reports those hours as uncosted / unpriced.

Call `reprice` whenever time entries, cost rates, assignments, bill rates or billing types
change (after seeding and after each sync); it is idempotent.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, literal, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from golden_records.canonical import BillingType
from golden_records.fx import day_literal
from golden_records.models import (
    AssignmentRecord,
    CostRateRecord,
    ProjectRecord,
    ResourceRecord,
    TimeEntryRecord,
)

# An assignment without a start date is in force from the beginning; open ends run to the end.
_BEGINNING = date(1, 1, 1)
_END_OF_TIME = date(9999, 12, 31)


def _scope(
    tenant_id: str, resource_ids: Collection[int] | None, project_ids: Collection[int] | None
) -> Any:
    te = TimeEntryRecord
    parts = []
    if resource_ids is not None:
        parts.append(te.resource_id.in_(list(resource_ids)))
    if project_ids is not None:
        parts.append(te.project_id.in_(list(project_ids)))
    # Entries of the given people or on the given projects: whatever a rate change touches.
    return and_(te.tenant_id == tenant_id, or_(*parts)) if parts else te.tenant_id == tenant_id


def _periods(start: Any, end: Any, partition_by: Sequence[Any], tiebreak: Any) -> list[Any]:
    """valid_from, next_from (the next row's start, so the latest start wins), valid_to."""
    return [
        start.label("valid_from"),
        func.coalesce(
            func.lead(start).over(partition_by=partition_by, order_by=(start, tiebreak)),
            day_literal(_END_OF_TIME),
        ).label("next_from"),
        func.coalesce(end, day_literal(_END_OF_TIME)).label("valid_to"),
    ]


def _in_force(day: Any, period: Any) -> Any:
    # Open ends are far dates, not NULLs: plain comparisons the planners handle well.
    return and_(day >= period.c.valid_from, day < period.c.next_from, day <= period.c.valid_to)


def _cost_periods(tenant_id: str) -> Any:
    cr = CostRateRecord
    return (
        select(
            cr.resource_id,
            *_periods(cr.effective_from, cr.effective_to, (cr.resource_id,), cr.id),
            cr.hourly_cost,
            cr.currency,
        )
        .where(cr.tenant_id == tenant_id)
        .subquery("cost_periods")
    )


def _assignment_periods(tenant_id: str) -> Any:
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
        .subquery("assignment_periods")
    )


def _priced(tenant_id: str, where: Any) -> Any:
    """(id, cost_amount, cost_currency, revenue_amount, revenue_currency) per entry in scope."""
    te, p, r = TimeEntryRecord, ProjectRecord, ResourceRecord
    cost, assigned = _cost_periods(tenant_id), _assignment_periods(tenant_id)
    earns = and_(te.billable.is_(True), p.billing_type == BillingType.TIME_AND_MATERIALS.value)
    rate = func.coalesce(assigned.c.bill_rate, p.bill_rate, r.default_bill_rate)
    rate_currency = case(
        (or_(assigned.c.bill_rate.is_not(None), p.bill_rate.is_not(None)), p.currency),
        else_=r.currency,
    )
    return (
        select(
            te.id.label("id"),
            (te.hours * cost.c.hourly_cost).label("cost_amount"),
            cost.c.currency.label("cost_currency"),
            # Entries that earn nothing by themselves (not billable, fixed fee, non-billable
            # project) are worth 0; NULL is kept for "should earn, but no rate applies".
            case((earns, te.hours * rate), else_=literal(0)).label("revenue_amount"),
            case((and_(earns, rate.is_not(None)), rate_currency), else_=null()).label(
                "revenue_currency"
            ),
        )
        .select_from(te)
        .join(p, p.id == te.project_id)
        .join(r, r.id == te.resource_id)
        .outerjoin(cost, and_(cost.c.resource_id == te.resource_id, _in_force(te.spent_date, cost)))
        .outerjoin(
            assigned,
            and_(
                assigned.c.project_id == te.project_id,
                assigned.c.resource_id == te.resource_id,
                _in_force(te.spent_date, assigned),
            ),
        )
        .where(where)
        .subquery("priced")
    )


async def reprice(
    session: AsyncSession,
    tenant_id: str,
    *,
    resource_ids: Collection[int] | None = None,
    project_ids: Collection[int] | None = None,
) -> None:
    """Recompute cost and revenue of the tenant's time entries: one UPDATE ... FROM.

    With `resource_ids` and/or `project_ids`, only the entries of those people or on those
    projects (either) are repriced; with neither, all the tenant's entries.
    """
    te = TimeEntryRecord
    priced = _priced(tenant_id, _scope(tenant_id, resource_ids, project_ids))
    await session.execute(
        update(te)
        .where(te.id == priced.c.id)
        .values(
            cost_amount=priced.c.cost_amount,
            cost_currency=priced.c.cost_currency,
            revenue_amount=priced.c.revenue_amount,
            revenue_currency=priced.c.revenue_currency,
        )
        .execution_options(synchronize_session=False)
    )
