"""Load a canonical `Firm` straight into the store, as if every source system had been synced.

Until the connectors sync real payloads, this writes one golden record per entity, and for
each system that would hold the entity one `SourceRecord` (payload and attributes are the
canonical attributes as JSON) and one `Crosswalk` with an external ID in that system's own
style. Lineage rows (attribute -> the owning system's source record) are written for clients,
projects and resources only: for time entries, payments and the like they would be most of
the database and nothing reads them.

Everything is bulk Core inserts in chunks, in one transaction: a scale-1 firm is ~250k rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.sandbox._ids import gusto_uuid, salesforce_id
from golden_records.canonical import (
    Address,
    BillingType,
    ClientStatus,
    EmploymentType,
    EntityType,
    Firm,
    ProjectStatus,
)
from golden_records.matching.normalize import domain
from golden_records.models import (
    DEFAULT_TENANT,
    GOLDEN_MODELS,
    Crosswalk,
    Lineage,
    SourceRecord,
    Tenant,
)
from golden_records.ownership import DEFAULT_OWNERSHIP
from golden_records.pricing import reprice
from golden_records.survivorship import FALLBACK_RULE, Strategy

E = EntityType
Progress = Callable[[str, int], None]

CHUNK_ROWS = 2000
# The moment the seeded copies were "last modified" in their systems: fixed, not the clock,
# so that two loads of the same firm are identical.
SOURCE_UPDATED_AT = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)

# Only the HRIS and payroll may hold these (see DESIGN.md): other systems' copies omit them.
SENSITIVE = frozenset({"date_of_birth", "national_id", "home_address"})
_SENSITIVE_SYSTEMS = frozenset({"bamboohr", "gusto"})

# Salesforce object key prefixes: Account, Opportunity, User (account owners).
_SALESFORCE_PREFIX = {E.CLIENT: "001", E.PROJECT: "006", E.RESOURCE: "005"}
# Harvest IDs are one large integer space; start each object type somewhere plausible.
_HARVEST_BASE = {
    E.CLIENT: 5_735_776,
    E.PROJECT: 14_307_913,
    E.RESOURCE: 1_782_959,
    E.ASSIGNMENT: 125_068_553,
    E.TIME_ENTRY: 636_708_723,
}
_LINEAGE_TYPES = (E.CLIENT, E.PROJECT, E.RESOURCE)


async def load_firm(
    sessions: async_sessionmaker[AsyncSession],
    firm: Firm,
    tenant_id: str = DEFAULT_TENANT,
    *,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write `firm` into the store for `tenant_id` in one transaction; rows written per table.

    `progress(table, rows)` is called after each chunk with the number of rows just written.
    """
    loader = _Loader(firm, tenant_id, progress or (lambda _table, _rows: None))
    async with sessions() as session, session.begin():
        # Writing first takes SQLite's write lock before any IDs are chosen (see _insert);
        # the no-op update does that when the tenant already exists.
        tenant = await session.get(Tenant, tenant_id)
        if tenant is None:
            session.add(Tenant(id=tenant_id, name=firm.name))
        else:
            await session.execute(
                update(Tenant).where(Tenant.id == tenant_id).values(name=Tenant.name)
            )
        await session.flush()
        await loader.run(session)
        await reprice(session, tenant_id)  # priced time for margin (golden_records.pricing)
    return loader.counts


_PLAIN = frozenset({str, bool, int, float})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # per canonical class, all but `key`


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK_ROWS):
        yield rows[start : start + CHUNK_ROWS]


def _json_value(value: Any) -> Any:
    if value is None or type(value) in _PLAIN:  # the common case, checked first: hot path
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Address):
        return _address(value)
    if isinstance(value, list):
        return list(value)
    return value


def _address(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {f.name: getattr(address, f.name) for f in fields(Address)}


def canonical_attributes(entity: Any) -> dict[str, Any]:
    """The canonical attributes of a generated entity as JSON-ready values (keys as refs)."""
    names = _FIELD_NAMES.get(type(entity))
    if names is None:
        names = _FIELD_NAMES[type(entity)] = tuple(
            f.name for f in fields(entity) if f.name != "key"
        )
    return {name: _json_value(getattr(entity, name)) for name in names}


@dataclass(slots=True)
class _Copy:
    """One system's copy of one entity, before insertion."""

    entity_type: EntityType
    index: int  # position of the entity in its Firm list
    system: str
    external_id: str


class _ExternalIds:
    """Deterministic external IDs in each product's style, numbered per object type."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], int] = {}
        self._gusto = random.Random("gusto")

    def _count(self, system: str, scope: str) -> int:
        n = self._next.get((system, scope), 0) + 1
        self._next[system, scope] = n
        return n

    def new(self, entity_type: EntityType, system: str) -> str:
        if system == "salesforce":
            return salesforce_id(_SALESFORCE_PREFIX[entity_type], self._count(system, entity_type))
        if system == "harvest":
            return str(_HARVEST_BASE[entity_type] + self._count(system, entity_type))
        if system == "quickbooks":
            # QBO numbers customers and projects (sub-customers) in one sequence, and
            # transactions (invoices, payments) in another.
            scope = "customer" if entity_type in (E.CLIENT, E.PROJECT) else "txn"
            return str(self._count(system, scope))
        if system == "bamboohr":
            return str(100 + self._count(system, entity_type))
        return gusto_uuid(self._gusto)


def holding_systems(
    entity_type: EntityType, entity: Any, account_owners: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """Which systems would hold a copy of `entity` in a real firm."""
    if entity_type is E.CLIENT:
        # Prospects live only in the CRM until there is work to track and bill.
        if entity.status is ClientStatus.PROSPECT:
            return ("salesforce",)
        return ("salesforce", "harvest", "quickbooks")
    if entity_type is E.PROJECT:
        if entity.status is ProjectStatus.PROPOSED:
            return ("salesforce",)  # an opportunity, not yet a project anyone books time to
        if entity.billing_type is BillingType.NON_BILLABLE:
            return ("harvest", "salesforce")
        return ("harvest", "salesforce", "quickbooks")
    if entity_type is E.RESOURCE:
        systems = ["bamboohr", "harvest"]
        if entity.employment_type is EmploymentType.EMPLOYEE:
            systems.append("gusto")
        if entity.key in account_owners:
            systems.append("salesforce")  # as the User who owns accounts
        return tuple(systems)
    if entity_type in (E.ASSIGNMENT, E.TIME_ENTRY):
        return ("harvest",)
    if entity_type in (E.INVOICE, E.PAYMENT):
        return ("quickbooks",)
    return ("gusto",)


class _Loader:
    def __init__(self, firm: Firm, tenant_id: str, progress: Progress) -> None:
        self.firm = firm
        self.tenant = tenant_id
        self.progress = progress
        self.counts: dict[str, int] = {}
        self.ids: dict[EntityType, dict[str, int]] = {}  # entity key -> golden ID

    async def _insert(
        self,
        session: AsyncSession,
        table: Table,
        rows: Sequence[dict[str, Any]],
        *,
        returning: bool,
    ) -> list[int]:
        ids: list[int] = []
        if returning and (await session.connection()).dialect.name == "sqlite":
            # SQLite cannot order the RETURNING rows of a multi-row INSERT, so SQLAlchemy
            # would fall back to one INSERT per row (~8x slower). Within this transaction
            # we already hold SQLite's only write lock (a tenant row or an earlier table was
            # written first), so nobody else can take IDs: number the rows ourselves.
            top = (await session.execute(select(func.max(table.c.id)))).scalar() or 0
            ids = list(range(top + 1, top + 1 + len(rows)))
            for row, row_id in zip(rows, ids, strict=True):
                row["id"] = row_id
            returning = False
        for chunk in _chunks(rows):
            if returning:
                stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
                ids.extend((await session.execute(stmt, chunk)).scalars())
            else:
                await session.execute(insert(table), chunk)
            self.progress(table.name, len(chunk))
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        return ids

    async def _golden(
        self,
        session: AsyncSession,
        entity_type: EntityType,
        entities: Sequence[Any],
        rows: list[dict[str, Any]],
    ) -> list[int]:
        table = GOLDEN_MODELS[entity_type].__table__
        assert isinstance(table, Table)
        for row in rows:
            row["tenant_id"] = self.tenant
        ids = await self._insert(session, table, rows, returning=True)
        self.ids[entity_type] = {e.key: i for e, i in zip(entities, ids, strict=True)}
        return ids

    async def _link(
        self,
        session: AsyncSession,
        entity_type: EntityType,
        column: str,
        refs: list[tuple[int, int]],
    ) -> None:
        """Set a self-reference (parent, manager) once every row of the table has an ID."""
        if not refs:
            return
        table = GOLDEN_MODELS[entity_type].__table__
        assert isinstance(table, Table)
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({column: bindparam("b_ref")})
        )
        for start in range(0, len(refs), CHUNK_ROWS):
            chunk = [{"b_id": i, "b_ref": r} for i, r in refs[start : start + CHUNK_ROWS]]
            await session.execute(stmt, chunk)

    def _ref(self, entity_type: EntityType, key: str | None) -> int | None:
        return None if key is None else self.ids[entity_type][key]

    async def run(self, session: AsyncSession) -> None:
        f = self.firm
        ref = self._ref
        resource_ids = await self._golden(
            session,
            E.RESOURCE,
            f.resources,
            [
                {
                    "given_name": r.given_name,
                    "family_name": r.family_name,
                    "email": r.email,
                    "phone": r.phone,
                    "title": r.title,
                    "department": r.department,
                    "employment_type": r.employment_type.value,
                    "status": r.status.value,
                    "hire_date": r.hire_date,
                    "termination_date": r.termination_date,
                    "office": r.office,
                    "region": r.region,
                    "date_of_birth": r.date_of_birth,
                    "national_id": r.national_id,
                    "home_address": _address(r.home_address),
                    "default_bill_rate": r.default_bill_rate,
                    "currency": r.currency,
                    "skills": list(r.skills),
                }
                for r in f.resources
            ],
        )
        await self._link(
            session,
            E.RESOURCE,
            "manager_id",
            [
                (i, self.ids[E.RESOURCE][r.manager])
                for r, i in zip(f.resources, resource_ids, strict=True)
                if r.manager
            ],
        )
        client_ids = await self._golden(
            session,
            E.CLIENT,
            f.clients,
            [
                {
                    "name": c.name,
                    "legal_name": c.legal_name,
                    "website": c.website,
                    "domain": domain(c.website),
                    "industry": c.industry,
                    "account_owner_id": ref(E.RESOURCE, c.account_owner),
                    "status": c.status.value,
                    "currency": c.currency,
                    "payment_terms": c.payment_terms,
                    "tax_id": c.tax_id,
                    "billing_address": _address(c.billing_address),
                }
                for c in f.clients
            ],
        )
        await self._link(
            session,
            E.CLIENT,
            "parent_id",
            [
                (i, self.ids[E.CLIENT][c.parent])
                for c, i in zip(f.clients, client_ids, strict=True)
                if c.parent
            ],
        )
        await self._golden(
            session,
            E.PROJECT,
            f.projects,
            [
                {
                    "client_id": ref(E.CLIENT, p.client),
                    "name": p.name,
                    "code": p.code,
                    "status": p.status.value,
                    "billing_type": p.billing_type.value,
                    "start_date": p.start_date,
                    "end_date": p.end_date,
                    "currency": p.currency,
                    "budget_hours": p.budget_hours,
                    "budget_amount": p.budget_amount,
                    "bill_rate": p.bill_rate,
                    "project_manager_id": ref(E.RESOURCE, p.project_manager),
                }
                for p in f.projects
            ],
        )
        await self._golden(
            session,
            E.ASSIGNMENT,
            f.assignments,
            [
                {
                    "project_id": ref(E.PROJECT, a.project),
                    "resource_id": ref(E.RESOURCE, a.resource),
                    "role": a.role,
                    "allocation": a.allocation,
                    "start_date": a.start_date,
                    "end_date": a.end_date,
                    "bill_rate": a.bill_rate,
                }
                for a in f.assignments
            ],
        )
        projects, resources = self.ids[E.PROJECT], self.ids[E.RESOURCE]
        await self._golden(
            session,
            E.TIME_ENTRY,
            f.time_entries,
            [
                {
                    "project_id": projects[t.project],
                    "resource_id": resources[t.resource],
                    "spent_date": t.date,
                    "hours": t.hours,
                    "billable": t.billable,
                    "approval_state": t.approval_state.value,
                    "notes": t.notes,
                }
                for t in f.time_entries
            ],
        )
        await self._golden(
            session,
            E.INVOICE,
            f.invoices,
            [
                {
                    "client_id": ref(E.CLIENT, i.client),
                    "project_id": ref(E.PROJECT, i.project),
                    "number": i.number,
                    "issue_date": i.issue_date,
                    "due_date": i.due_date,
                    "currency": i.currency,
                    "total_amount": i.total_amount,
                    "balance": i.balance,
                    "status": i.status.value,
                }
                for i in f.invoices
            ],
        )
        await self._golden(
            session,
            E.PAYMENT,
            f.payments,
            [
                {
                    "client_id": ref(E.CLIENT, p.client),
                    "invoice_id": ref(E.INVOICE, p.invoice),
                    "paid_date": p.date,
                    "currency": p.currency,
                    "amount": p.amount,
                    "reference": p.reference,
                }
                for p in f.payments
            ],
        )
        await self._golden(
            session,
            E.COST_RATE,
            f.cost_rates,
            [
                {
                    "resource_id": ref(E.RESOURCE, c.resource),
                    "effective_from": c.effective_from,
                    "effective_to": c.effective_to,
                    "hourly_cost": c.hourly_cost,
                    "currency": c.currency,
                }
                for c in f.cost_rates
            ],
        )
        await self._sources(session)

    def _entities(self) -> list[tuple[EntityType, Sequence[Any]]]:
        f = self.firm
        return [
            (E.CLIENT, f.clients),
            (E.PROJECT, f.projects),
            (E.RESOURCE, f.resources),
            (E.ASSIGNMENT, f.assignments),
            (E.TIME_ENTRY, f.time_entries),
            (E.INVOICE, f.invoices),
            (E.PAYMENT, f.payments),
            (E.COST_RATE, f.cost_rates),
        ]

    async def _sources(self, session: AsyncSession) -> None:
        owners = frozenset(c.account_owner for c in self.firm.clients if c.account_owner)
        external = _ExternalIds()
        source_table = SourceRecord.__table__
        crosswalk_table = Crosswalk.__table__
        assert isinstance(source_table, Table) and isinstance(crosswalk_table, Table)
        for entity_type, entities in self._entities():
            type_name = entity_type.value
            golden = self.ids[entity_type]
            copies: list[_Copy] = []
            sources: list[dict[str, Any]] = []
            crosswalks: list[dict[str, Any]] = []
            for index, entity in enumerate(entities):
                attributes = canonical_attributes(entity)
                redacted = attributes
                if entity_type is E.RESOURCE:
                    redacted = {k: v for k, v in attributes.items() if k not in SENSITIVE}
                golden_id = golden[entity.key]
                for system in holding_systems(entity_type, entity, owners):
                    external_id = external.new(entity_type, system)
                    copies.append(_Copy(entity_type, index, system, external_id))
                    attrs = attributes if system in _SENSITIVE_SYSTEMS else redacted
                    sources.append(
                        {
                            "tenant_id": self.tenant,
                            "entity_type": type_name,
                            "golden_id": golden_id,
                            "system": system,
                            "external_id": external_id,
                            "payload": attrs,
                            "attributes": attrs,
                            "source_updated_at": SOURCE_UPDATED_AT,
                            "concurrency_token": "0" if system == "quickbooks" else None,
                            "deleted": False,
                        }
                    )
                    crosswalks.append(
                        {
                            "tenant_id": self.tenant,
                            "entity_type": type_name,
                            "system": system,
                            "external_id": external_id,
                            "golden_id": golden_id,
                        }
                    )
            wants_lineage = entity_type in _LINEAGE_TYPES
            source_ids = await self._insert(session, source_table, sources, returning=wants_lineage)
            await self._insert(session, crosswalk_table, crosswalks, returning=False)
            if wants_lineage:
                await self._lineage(session, entity_type, entities, copies, source_ids)

    async def _lineage(
        self,
        session: AsyncSession,
        entity_type: EntityType,
        entities: Sequence[Any],
        copies: list[_Copy],
        source_ids: list[int],
    ) -> None:
        """Per owned attribute, the owning system's source record; when that system holds no
        copy (a prospect has no ERP customer yet), the first copy, as survivorship would."""
        by_entity: dict[int, dict[str, int]] = {}
        for copy, source_id in zip(copies, source_ids, strict=True):
            by_entity.setdefault(copy.index, {})[copy.system] = source_id
        owned = DEFAULT_OWNERSHIP[entity_type]
        type_name = entity_type.value
        golden = self.ids[entity_type]
        rows: list[dict[str, Any]] = []
        for index, entity in enumerate(entities):
            held = by_entity[index]
            first = next(iter(held.values()))
            for attribute, owner in owned.items():
                owned_by = held.get(owner)
                rows.append(
                    {
                        "tenant_id": self.tenant,
                        "entity_type": type_name,
                        "golden_id": golden[entity.key],
                        "attribute": attribute,
                        "source_record_id": first if owned_by is None else owned_by,
                        "rule": FALLBACK_RULE if owned_by is None else Strategy.OWNING_SYSTEM.value,
                    }
                )
        lineage_table = Lineage.__table__
        assert isinstance(lineage_table, Table)
        await self._insert(session, lineage_table, rows, returning=False)
