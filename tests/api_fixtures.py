"""Small hand-built data sets for the GraphQL API tests, inserted through the models.

`seed()` builds a firm whose every answer is known; `seed_many()` builds a wide one for the
statement-count test. `run()` executes a query the way the app does: one Context per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.models import (
    AssignmentRecord,
    ClientRecord,
    CostRateRecord,
    Crosswalk,
    GoldenRecord,
    InvoiceRecord,
    Lineage,
    PaymentRecord,
    ProjectRecord,
    ResourceRecord,
    SourceRecord,
    Tenant,
    TimeEntryRecord,
)
from hub.auth import AuthMethod, Principal, Role
from hub.settings import Settings
from resolvers.context import Context
from resolvers.global_ids import encode_global_id
from schema import build_schema

TENANT = "default"
OTHER_TENANT = "other"
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
SETTINGS = Settings(max_page_size=100, default_page_size=3)
SCHEMA = build_schema()


def gid(type_name: str, pk: int) -> str:
    return encode_global_id(type_name, pk)


@dataclass
class Firm:
    """Primary keys of the seeded rows, by a short name."""

    ids: dict[str, int] = field(default_factory=dict)

    def gid(self, name: str) -> str:
        type_name = {
            "c": "Client",
            "p": "Project",
            "r": "Resource",
            "a": "Assignment",
            "t": "TimeEntry",
            "i": "Invoice",
            "x": "Other",
        }[name[0]]
        return gid(type_name, self.ids[name])


async def run(
    sessions: async_sessionmaker[AsyncSession],
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    tenant: str = TENANT,
    settings: Settings = SETTINGS,
    role: Role = Role.ADMIN,
) -> strawberry.types.ExecutionResult:
    """Run `query` as a caller of `role` in `tenant` (an admin unless said otherwise)."""
    principal = Principal(tenant, role, f"test-{role.value}", None, AuthMethod.JWT)
    ctx = Context.create(
        sessions, tenant_id=tenant, settings=settings, request_id="req-1", principal=principal
    )
    try:
        return await SCHEMA.execute(query, variable_values=variables, context_value=ctx)
    finally:
        await ctx.close()


async def data(
    sessions: async_sessionmaker[AsyncSession],
    query: str,
    variables: dict[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """The `data` of a query that must succeed."""
    result = await run(sessions, query, variables, **kwargs)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


def _stamp(record: GoldenRecord, minutes: int) -> None:
    record.created_at = T0 + timedelta(minutes=minutes)
    record.updated_at = T0 + timedelta(minutes=minutes, days=1)


async def seed(sessions: async_sessionmaker[AsyncSession]) -> Firm:
    """The known firm (tenant "default") plus a look-alike client in tenant "other"."""
    firm = Firm()
    async with sessions() as s:
        s.add(Tenant(id=OTHER_TENANT, name="Other firm"))
        r1 = ResourceRecord(
            tenant_id=TENANT,
            given_name="Ada",
            family_name="Lovelace",
            email="ada@firm.test",
            department="Engineering",
            employment_type="EMPLOYEE",
            status="ACTIVE",
            currency="USD",
            skills=["python"],
        )
        r2 = ResourceRecord(
            tenant_id=TENANT,
            given_name="Grace",
            family_name="Hopper",
            email="grace@firm.test",
            department="Engineering",
            employment_type="EMPLOYEE",
            status="ACTIVE",
            currency="USD",
            skills=[],
        )
        r3 = ResourceRecord(
            tenant_id=TENANT,
            given_name="Alan",
            family_name="Turing",
            email="alan@firm.test",
            department="Research",
            employment_type="CONTRACTOR",
            status="ON_LEAVE",
            currency="GBP",
            skills=[],
        )
        for n, r in enumerate((r1, r2, r3)):
            _stamp(r, n)
        s.add_all([r1, r2, r3])
        await s.flush()
        r2.manager_id = r1.id

        c1 = ClientRecord(
            tenant_id=TENANT,
            name="Acme Corp",
            status="ACTIVE",
            currency="USD",
            domain="acme.test",
            account_owner_id=r1.id,
        )
        c2 = ClientRecord(tenant_id=TENANT, name="Beta LLC", status="ACTIVE", currency="EUR")
        c3 = ClientRecord(tenant_id=TENANT, name="Gamma Inc", status="PROSPECT", currency="USD")
        c4 = ClientRecord(
            tenant_id=TENANT, name="Acme Corporation", status="ACTIVE", currency="USD"
        )
        c5 = ClientRecord(tenant_id=TENANT, name="Delta 100%", status="INACTIVE", currency="GBP")
        # Created in an order different from the name order, so orderings are distinguishable.
        for minutes, c in ((30, c1), (10, c2), (50, c3), (5, c4), (20, c5)):
            _stamp(c, minutes)
        s.add_all([c1, c2, c3, c4, c5])
        await s.flush()
        c2.parent_id = c1.id
        c4.merged_into_id = c1.id  # "Acme Corporation" lost a merge to "Acme Corp"

        x1 = ClientRecord(
            tenant_id=OTHER_TENANT, name="Acme Corp (other firm)", status="ACTIVE", currency="USD"
        )
        _stamp(x1, 1)
        s.add(x1)
        await s.flush()

        p1 = ProjectRecord(
            tenant_id=TENANT,
            client_id=c1.id,
            name="Apollo",
            code="AP-1",
            status="ACTIVE",
            billing_type="TIME_AND_MATERIALS",
            currency="USD",
            project_manager_id=r1.id,
            budget_hours=Decimal("120.5"),
        )
        p2 = ProjectRecord(
            tenant_id=TENANT,
            client_id=c1.id,
            name="Zephyr",
            code="ZE-2",
            status="COMPLETED",
            billing_type="FIXED_FEE",
            currency="USD",
        )
        p3 = ProjectRecord(
            tenant_id=TENANT,
            client_id=c2.id,
            name="Borealis",
            code="BO-3",
            status="ACTIVE",
            billing_type="TIME_AND_MATERIALS",
            currency="EUR",
        )
        for n, p in enumerate((p1, p2, p3)):
            _stamp(p, n)
        s.add_all([p1, p2, p3])
        await s.flush()

        a1 = AssignmentRecord(
            tenant_id=TENANT,
            project_id=p1.id,
            resource_id=r1.id,
            role="Lead",
            start_date=date(2026, 1, 1),
        )
        a2 = AssignmentRecord(
            tenant_id=TENANT,
            project_id=p1.id,
            resource_id=r2.id,
            role="Engineer",
            start_date=date(2026, 2, 1),
        )
        a3 = AssignmentRecord(
            tenant_id=TENANT,
            project_id=p3.id,
            resource_id=r3.id,
            role="Advisor",
            start_date=date(2026, 1, 15),
        )
        t1 = TimeEntryRecord(
            tenant_id=TENANT,
            project_id=p1.id,
            resource_id=r1.id,
            spent_date=date(2026, 1, 5),
            hours=Decimal("8"),
            billable=True,
            approval_state="APPROVED",
        )
        t2 = TimeEntryRecord(
            tenant_id=TENANT,
            project_id=p1.id,
            resource_id=r2.id,
            spent_date=date(2026, 2, 10),
            hours=Decimal("4.5"),
            billable=False,
            approval_state="SUBMITTED",
        )
        i1 = InvoiceRecord(
            tenant_id=TENANT,
            client_id=c1.id,
            project_id=p1.id,
            number="INV-1",
            issue_date=date(2026, 2, 1),
            currency="USD",
            total_amount=Decimal("1000"),
            balance=Decimal("400"),
            status="PARTIALLY_PAID",
        )
        cr1 = CostRateRecord(
            tenant_id=TENANT,
            resource_id=r1.id,
            effective_from=date(2025, 1, 1),
            hourly_cost=Decimal("55"),
            currency="USD",
        )
        for n, g in enumerate((a1, a2, a3, t1, t2, i1, cr1)):
            _stamp(g, n)
        s.add_all([a1, a2, a3, t1, t2, i1, cr1])
        await s.flush()
        pay1 = PaymentRecord(
            tenant_id=TENANT,
            client_id=c1.id,
            invoice_id=i1.id,
            paid_date=date(2026, 2, 20),
            currency="USD",
            amount=Decimal("600"),
            reference="wire",
        )
        _stamp(pay1, 0)
        s.add(pay1)

        sf = SourceRecord(
            tenant_id=TENANT,
            entity_type="client",
            golden_id=c1.id,
            system="salesforce",
            external_id="001A",
            payload={"Name": "Acme Corp"},
            attributes={"name": "Acme Corp"},
            concurrency_token="v7",
            fetched_at=T0,
            source_updated_at=T0,
        )
        qb = SourceRecord(
            tenant_id=TENANT,
            entity_type="client",
            golden_id=c1.id,
            system="quickbooks",
            external_id="58",
            payload={"DisplayName": "ACME Corporation", "SyncToken": "3"},
            attributes={"legal_name": "ACME Corporation"},
            concurrency_token="3",
            fetched_at=T0,
        )
        s.add_all([sf, qb])
        await s.flush()
        s.add_all(
            [
                Crosswalk(
                    tenant_id=TENANT,
                    entity_type="client",
                    system="salesforce",
                    external_id="001A",
                    golden_id=c1.id,
                ),
                Crosswalk(
                    tenant_id=TENANT,
                    entity_type="client",
                    system="quickbooks",
                    external_id="58",
                    golden_id=c1.id,
                ),
                # The loser's Salesforce ID still maps to the loser; reads follow the merge.
                Crosswalk(
                    tenant_id=TENANT,
                    entity_type="client",
                    system="salesforce",
                    external_id="001B",
                    golden_id=c4.id,
                ),
                Crosswalk(
                    tenant_id=TENANT,
                    entity_type="project",
                    system="harvest",
                    external_id="H-1",
                    golden_id=p1.id,
                ),
                Crosswalk(
                    tenant_id=TENANT,
                    entity_type="resource",
                    system="bamboohr",
                    external_id="E-2",
                    golden_id=r2.id,
                ),
                # Same Salesforce ID in another tenant: never visible from tenant "default".
                Crosswalk(
                    tenant_id=OTHER_TENANT,
                    entity_type="client",
                    system="salesforce",
                    external_id="001X",
                    golden_id=x1.id,
                ),
                Lineage(
                    tenant_id=TENANT,
                    entity_type="client",
                    golden_id=c1.id,
                    attribute="name",
                    source_record_id=sf.id,
                    rule="owner:crm",
                ),
                Lineage(
                    tenant_id=TENANT,
                    entity_type="client",
                    golden_id=c1.id,
                    attribute="legal_name",
                    source_record_id=qb.id,
                    rule="owner:erp",
                ),
            ]
        )
        await s.commit()
        for name, rec in dict(
            r1=r1,
            r2=r2,
            r3=r3,
            c1=c1,
            c2=c2,
            c3=c3,
            c4=c4,
            c5=c5,
            x1=x1,
            p1=p1,
            p2=p2,
            p3=p3,
            a1=a1,
            a2=a2,
            a3=a3,
            t1=t1,
            t2=t2,
            i1=i1,
        ).items():
            firm.ids[name] = rec.id
    return firm


async def seed_many(
    sessions: async_sessionmaker[AsyncSession], clients: int, *, prefix: str = "Client"
) -> None:
    """`clients` clients, each with two projects of two assignments to distinct resources."""
    async with sessions() as s:
        resources = [
            ResourceRecord(
                tenant_id=TENANT,
                given_name=f"Given{i}",
                family_name=f"Family{i}",
                employment_type="EMPLOYEE",
                status="ACTIVE",
                currency="USD",
                skills=[],
            )
            for i in range(clients * 4)
        ]
        s.add_all(resources)
        made = [
            ClientRecord(
                tenant_id=TENANT, name=f"{prefix} {i:04d}", status="ACTIVE", currency="USD"
            )
            for i in range(clients)
        ]
        s.add_all(made)
        await s.flush()
        projects = [
            ProjectRecord(
                tenant_id=TENANT,
                client_id=c.id,
                name=f"{c.name} project {j}",
                status="ACTIVE",
                billing_type="FIXED_FEE",
                currency="USD",
            )
            for c in made
            for j in range(2)
        ]
        s.add_all(projects)
        await s.flush()
        s.add_all(
            AssignmentRecord(tenant_id=TENANT, project_id=p.id, resource_id=resources[2 * n + k].id)
            for n, p in enumerate(projects)
            for k in range(2)
        )
        await s.commit()
