"""A small hand-built firm for the margin tests; every expected figure is worked out beside it.

Reporting currency USD is the FX base; 1 EUR = 1.10 USD from 2026-01-01, 1.20 from 2026-01-16.

Clients: Acme (1, USD), Berlin GmbH (2, EUR).
People:  Alice (1, Consulting, default 100 USD/h; cost 40 USD/h, 50 from 2026-01-15),
         Bob (2, Engineering, default 80 USD/h; cost 30 USD/h),
         Carla (3, Consulting, EUR, default 90 EUR/h; cost 20 EUR/h).
Projects: P1 (Acme, T&M 120 USD/h; Alice's assignment overrides to 150),
          P2 (Acme, fixed fee), P3 (Berlin, T&M, no project rate, EUR), P4 (Acme, non-billable).

January 2026 time (hours, cost, revenue in USD):
  1  Alice P1 01-10  8 billable  cost 8x40=320  revenue 8x150=1200 (assignment override)
  2  Alice P1 01-20  8 billable  cost 8x50=400  revenue 1200 (the cost rate changed on 01-15)
  3  Alice P4 01-21  4           cost 4x50=200  revenue 0 (non-billable project)
  4  Bob   P1 01-12 10 billable  cost 300       revenue 10x120=1200 (project rate)
  5  Bob   P2 01-13  6 billable  cost 180       revenue 0 (fixed fee: revenue is invoices)
  6  Bob   P1 01-14  2           cost 60        revenue 0 (not billable)
  7  Carla P3 01-05  5 billable  cost 100 EUR x1.10=110  revenue 450 EUR x1.10=495
  8  Carla P3 01-20  5 billable  cost 100 EUR x1.20=120  revenue 450 EUR x1.20=540
  9  Alice P1 02-03  2 billable  (February: outside the January period)
 10  Bob   P1 01-15  3 billable  REJECTED: left out
Invoices: I1 P2 01-31 5000 USD sent (fixed fee: revenue and billed),
          I2 P3 01-20 1000 EUR sent (billed 1200 USD), I3 P1 01-31 2000 USD sent (billed),
          I4 P2 01-25 1000 USD draft (left out).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.fx import DatedRate, replace_fx_rates
from golden_records.models import (
    DEFAULT_TENANT,
    AssignmentRecord,
    ClientRecord,
    CostRateRecord,
    InvoiceRecord,
    ProjectRecord,
    ResourceRecord,
    TimeEntryRecord,
)
from golden_records.pricing import reprice

T = DEFAULT_TENANT
D = Decimal
ACME, BERLIN = 1, 2
ALICE, BOB, CARLA = 1, 2, 3
P1, P2, P3, P4 = 1, 2, 3, 4

FX = [
    DatedRate(date(2026, 1, 1), "EUR", D("1.10"), "USD"),
    DatedRate(date(2026, 1, 16), "EUR", D("1.20"), "USD"),
]


def _client(id: int, name: str, currency: str) -> ClientRecord:
    return ClientRecord(id=id, tenant_id=T, name=name, status="ACTIVE", currency=currency)


def _person(id: int, given: str, dept: str, rate: str, currency: str = "USD") -> ResourceRecord:
    return ResourceRecord(
        id=id,
        tenant_id=T,
        given_name=given,
        family_name="Example",
        department=dept,
        employment_type="EMPLOYEE",
        status="ACTIVE",
        default_bill_rate=D(rate),
        currency=currency,
        skills=[],
    )


def _project(
    id: int, client: int, billing: str, currency: str = "USD", rate: str | None = None
) -> ProjectRecord:
    return ProjectRecord(
        id=id,
        tenant_id=T,
        client_id=client,
        name=f"P{id}",
        status="ACTIVE",
        billing_type=billing,
        currency=currency,
        bill_rate=D(rate) if rate else None,
    )


def _cost(id: int, person: int, start: date, cost: str, currency: str = "USD") -> CostRateRecord:
    return CostRateRecord(
        id=id,
        tenant_id=T,
        resource_id=person,
        effective_from=start,
        effective_to=None,
        hourly_cost=D(cost),
        currency=currency,
    )


def _time(
    id: int,
    person: int,
    project: int,
    day: date,
    hours: str,
    billable: bool,
    state: str = "APPROVED",
) -> TimeEntryRecord:
    return TimeEntryRecord(
        id=id,
        tenant_id=T,
        project_id=project,
        resource_id=person,
        spent_date=day,
        hours=D(hours),
        billable=billable,
        approval_state=state,
    )


def _invoice(
    id: int, client: int, project: int, day: date, amount: str, currency: str, status: str = "SENT"
) -> InvoiceRecord:
    return InvoiceRecord(
        id=id,
        tenant_id=T,
        client_id=client,
        project_id=project,
        number=f"I{id}",
        issue_date=day,
        currency=currency,
        total_amount=D(amount),
        balance=D(amount),
        status=status,
    )


def jan(day: int) -> date:
    return date(2026, 1, day)


async def load_small_firm(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        session.add_all(
            [
                _client(ACME, "Acme", "USD"),
                _client(BERLIN, "Berlin GmbH", "EUR"),
                _person(ALICE, "Alice", "Consulting", "100"),
                _person(BOB, "Bob", "Engineering", "80"),
                _person(CARLA, "Carla", "Consulting", "90", "EUR"),
            ]
        )
        await session.flush()
        session.add_all(
            [
                _project(P1, ACME, "TIME_AND_MATERIALS", rate="120"),
                _project(P2, ACME, "FIXED_FEE"),
                _project(P3, BERLIN, "TIME_AND_MATERIALS", currency="EUR"),
                _project(P4, ACME, "NON_BILLABLE"),
            ]
        )
        await session.flush()
        session.add_all(
            [
                AssignmentRecord(
                    id=1, tenant_id=T, project_id=P1, resource_id=ALICE, bill_rate=D("150")
                ),
                AssignmentRecord(id=2, tenant_id=T, project_id=P1, resource_id=BOB),
                _cost(1, ALICE, date(2025, 1, 1), "40"),
                _cost(2, ALICE, jan(15), "50"),
                _cost(3, BOB, date(2025, 1, 1), "30"),
                _cost(4, CARLA, date(2025, 1, 1), "20", "EUR"),
                _time(1, ALICE, P1, jan(10), "8", True),
                _time(2, ALICE, P1, jan(20), "8", True),
                _time(3, ALICE, P4, jan(21), "4", False),
                _time(4, BOB, P1, jan(12), "10", True),
                _time(5, BOB, P2, jan(13), "6", True),
                _time(6, BOB, P1, jan(14), "2", False),
                _time(7, CARLA, P3, jan(5), "5", True),
                _time(8, CARLA, P3, jan(20), "5", True),
                _time(9, ALICE, P1, date(2026, 2, 3), "2", True),
                _time(10, BOB, P1, jan(15), "3", True, state="REJECTED"),
                _invoice(1, ACME, P2, jan(31), "5000", "USD"),
                _invoice(2, BERLIN, P3, jan(20), "1000", "EUR"),
                _invoice(3, ACME, P1, jan(31), "2000", "USD"),
                _invoice(4, ACME, P2, jan(25), "1000", "USD", status="DRAFT"),
            ]
        )
        await replace_fx_rates(session, T, FX)
        await reprice(session, T)
