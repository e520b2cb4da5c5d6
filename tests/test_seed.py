"""Loading a generated firm into the store: golden records, source records, crosswalks, lineage."""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from dataclasses import fields
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.sandbox.firm import generate_firm
from golden_records import canonical
from golden_records.canonical import ClientStatus, EntityType, Firm
from golden_records.models import (
    DEFAULT_TENANT,
    GOLDEN_MODELS,
    ClientRecord,
    Crosswalk,
    InvoiceRecord,
    Lineage,
    PaymentRecord,
    ProjectRecord,
    ResourceRecord,
    SourceRecord,
    Tenant,
    TimeEntryRecord,
)
from golden_records.ownership import DEFAULT_OWNERSHIP, owner_of
from golden_records.systems import SYSTEMS
from hub.seed import load_firm

Sessions = async_sessionmaker[AsyncSession]
E = EntityType


@cache
def small_firm() -> Firm:
    return generate_firm(seed=1, scale=0.05)


def _lists(firm: Firm) -> dict[EntityType, list[Any]]:
    return {
        E.CLIENT: firm.clients,
        E.PROJECT: firm.projects,
        E.RESOURCE: firm.resources,
        E.ASSIGNMENT: firm.assignments,
        E.TIME_ENTRY: firm.time_entries,
        E.INVOICE: firm.invoices,
        E.PAYMENT: firm.payments,
        E.COST_RATE: firm.cost_rates,
    }


async def _all(sessions: Sessions, stmt: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.execute(stmt)).all())


async def test_counts_match_the_firm(sessions: Sessions) -> None:
    firm = small_firm()
    reported: list[tuple[str, int]] = []
    counts = await load_firm(sessions, firm, progress=lambda t, n: reported.append((t, n)))
    async with sessions() as session:
        for entity_type, items in _lists(firm).items():
            model = GOLDEN_MODELS[entity_type]
            stored = await session.scalar(select(func.count()).select_from(model))
            assert stored == len(items) == counts[model.__tablename__], entity_type
        sources = await session.scalar(select(func.count()).select_from(SourceRecord))
        walks = await session.scalar(select(func.count()).select_from(Crosswalk))
    assert sources == walks == counts["source_records"] == counts["crosswalks"]
    assert sources > len(firm.time_entries)  # every client and person is in several systems
    progress = Counter[str]()
    for table, rows in reported:
        progress[table] += rows
    assert dict(progress) == counts


async def test_each_crosswalk_resolves_to_the_golden_record_of_its_entity(
    sessions: Sessions,
) -> None:
    firm = small_firm()
    await load_firm(sessions, firm)
    # One identifying value per entity type, as stored in the golden row.
    identity = {
        E.CLIENT: (ClientRecord.name, [c.name for c in firm.clients]),
        E.PROJECT: (ProjectRecord.code, [p.code for p in firm.projects]),
        E.RESOURCE: (ResourceRecord.email, [r.email for r in firm.resources]),
        E.INVOICE: (InvoiceRecord.number, [i.number for i in firm.invoices]),
    }
    for entity_type, (column, expected) in identity.items():
        model = GOLDEN_MODELS[entity_type]
        rows = await _all(
            sessions,
            select(Crosswalk.system, Crosswalk.external_id, column)
            .join(model, model.id == Crosswalk.golden_id)
            .where(Crosswalk.entity_type == entity_type.value)
            .order_by(Crosswalk.id),
        )
        by_system: dict[str, list[str]] = defaultdict(list)
        for system, _external_id, value in rows:
            by_system[system].append(value)
        for system, values in by_system.items():
            assert entity_type in SYSTEMS[system].holds
            # Each system's copies map to golden records of distinct, real entities.
            assert len(set(values)) == len(values) and set(values) <= set(expected), system
        # Every entity is reachable from at least one system's ID.
        assert set().union(*map(set, by_system.values())) == set(expected)


async def test_source_records_pair_with_crosswalks_and_carry_canonical_attributes(
    sessions: Sessions,
) -> None:
    firm = small_firm()
    await load_firm(sessions, firm)
    rows = await _all(
        sessions,
        select(SourceRecord, Crosswalk.golden_id).join(
            Crosswalk,
            (Crosswalk.tenant_id == SourceRecord.tenant_id)
            & (Crosswalk.entity_type == SourceRecord.entity_type)
            & (Crosswalk.system == SourceRecord.system)
            & (Crosswalk.external_id == SourceRecord.external_id),
        ),
    )
    assert len(rows) == len(await _all(sessions, select(SourceRecord.id)))
    entries = await _all(
        sessions, select(TimeEntryRecord.id, TimeEntryRecord.spent_date, TimeEntryRecord.hours)
    )
    by_id = {i: (d.isoformat(), str(h)) for i, d, h in entries}
    for record, golden_id in rows:
        assert record.golden_id == golden_id
        if record.system in ("bamboohr", "gusto"):
            continue
        # Only the HRIS and payroll hold sensitive personal data.
        assert "national_id" not in record.attributes and "date_of_birth" not in record.attributes
        if record.entity_type == E.TIME_ENTRY.value:
            date_, hours = by_id[record.golden_id]
            assert record.attributes["date"] == date_
            assert float(record.attributes["hours"]) == float(hours)


async def test_external_ids_look_like_each_systems_own(sessions: Sessions) -> None:
    await load_firm(sessions, small_firm())
    rows = await _all(
        sessions, select(Crosswalk.entity_type, Crosswalk.system, Crosswalk.external_id)
    )
    prefixes = {"client": "001", "project": "006", "resource": "005"}
    for entity_type, system, external_id in rows:
        if system == "salesforce":
            assert re.fullmatch(r"[0-9A-Za-z]{18}", external_id)
            assert external_id.startswith(prefixes[entity_type])
        elif system == "gusto":
            assert str(uuid.UUID(external_id)) == external_id
        else:
            assert external_id.isdigit(), (system, external_id)
    assert {s for _, s, _ in rows} == set(SYSTEMS)


async def test_loading_is_deterministic_and_scoped_to_the_tenant(sessions: Sessions) -> None:
    firm = small_firm()
    await load_firm(sessions, firm)
    await load_firm(sessions, firm, "other-firm")

    async def ids(tenant: str) -> list[tuple[str, str, str]]:
        return [
            tuple(r)
            for r in await _all(
                sessions,
                select(Crosswalk.entity_type, Crosswalk.system, Crosswalk.external_id)
                .where(Crosswalk.tenant_id == tenant)
                .order_by(Crosswalk.id),
            )
        ]

    assert await ids(DEFAULT_TENANT) == await ids("other-firm")
    async with sessions() as session:
        assert await session.get(Tenant, "other-firm") is not None
        clients = await session.scalar(
            select(func.count())
            .select_from(ClientRecord)
            .where(ClientRecord.tenant_id == "other-firm")
        )
    assert clients == len(firm.clients)


async def test_references_point_at_the_right_golden_records(sessions: Sessions) -> None:
    firm = small_firm()
    await load_firm(sessions, firm)
    clients = {c.key: c for c in firm.clients}
    people = {r.key: r for r in firm.resources}
    by_id_client = {
        i: (name, domain, parent, owner)
        for i, name, domain, parent, owner in await _all(
            sessions,
            select(
                ClientRecord.id,
                ClientRecord.name,
                ClientRecord.domain,
                ClientRecord.parent_id,
                ClientRecord.account_owner_id,
            ),
        )
    }
    email_of = {
        i: e for i, e in await _all(sessions, select(ResourceRecord.id, ResourceRecord.email))
    }
    name_of = {i: v[0] for i, v in by_id_client.items()}
    stored = {v[0]: v for v in by_id_client.values()}
    for client in firm.clients:
        _name, domain, parent_id, owner_id = stored[client.name]
        assert name_of.get(parent_id) == (clients[client.parent].name if client.parent else None)
        assert email_of.get(owner_id) == (
            people[client.account_owner].email if client.account_owner else None
        )
        if client.website:
            assert domain and domain in client.website and not domain.startswith("www.")
    managers = dict(await _all(sessions, select(ResourceRecord.email, ResourceRecord.manager_id)))
    for person in firm.resources:
        expected = people[person.manager].email if person.manager else None
        assert email_of.get(managers[person.email]) == expected
    projects = await _all(
        sessions,
        select(ProjectRecord.code, ProjectRecord.client_id, ProjectRecord.project_manager_id),
    )
    by_code = {p.code: p for p in firm.projects}
    for code, client_id, manager_id in projects:
        project = by_code[code]
        assert name_of[client_id] == clients[project.client].name
        assert email_of.get(manager_id) == (
            people[project.project_manager].email if project.project_manager else None
        )
    code_of = {i: c for i, c in await _all(sessions, select(ProjectRecord.id, ProjectRecord.code))}
    logged = Counter(
        (code_of[p], email_of[r])
        for p, r in await _all(
            sessions, select(TimeEntryRecord.project_id, TimeEntryRecord.resource_id)
        )
    )
    project_code = {p.key: p.code for p in firm.projects}
    assert logged == Counter(
        (project_code[t.project], people[t.resource].email) for t in firm.time_entries
    )
    number_of = {
        i: n for i, n in await _all(sessions, select(InvoiceRecord.id, InvoiceRecord.number))
    }
    invoices = {i.key: i for i in firm.invoices}
    paid = Counter(number_of[i] for (i,) in await _all(sessions, select(PaymentRecord.invoice_id)))
    assert paid == Counter(invoices[p.invoice or ""].number for p in firm.payments)


async def test_lineage_names_the_owning_systems_source_record(sessions: Sessions) -> None:
    firm = small_firm()
    counts = await load_firm(sessions, firm)
    rows = await _all(
        sessions,
        select(
            Lineage.entity_type,
            Lineage.golden_id,
            Lineage.attribute,
            Lineage.rule,
            SourceRecord.system,
            SourceRecord.golden_id,
        ).join(SourceRecord, SourceRecord.id == Lineage.source_record_id),
    )
    assert len(rows) == counts["lineage"]
    assert {r[0] for r in rows} == {"client", "project", "resource"}
    rules = Counter[str]()
    for entity_type, golden_id, attribute, rule, system, source_golden_id in rows:
        assert source_golden_id == golden_id
        rules[rule] += 1
        if rule == "OWNING_SYSTEM":
            assert system == owner_of(EntityType(entity_type), attribute)
        else:
            # The owner holds no copy (a prospect is not in the ERP yet): first copy, said so.
            assert rule == "FIRST_AVAILABLE"
    assert rules["OWNING_SYSTEM"] > rules["FIRST_AVAILABLE"] > 0
    per_record = Counter((r[0], r[1]) for r in rows)
    assert set(per_record.values()) == {
        len(DEFAULT_OWNERSHIP[E.CLIENT]),
        len(DEFAULT_OWNERSHIP[E.PROJECT]),
        len(DEFAULT_OWNERSHIP[E.RESOURCE]),
    }
    # A sample the stewards will look at: an active client's name comes from the CRM and its
    # legal name from the ERP; a person's date of birth from the HRIS.
    client_name = {c.name: c.status for c in firm.clients}
    golden_names = dict(await _all(sessions, select(ClientRecord.id, ClientRecord.name)))
    seen = {(golden_names.get(g), a): s for t, g, a, _r, s, _ in rows if t == "client"}
    active = next(n for n, s in client_name.items() if s is ClientStatus.ACTIVE)
    assert seen[active, "name"] == "salesforce"
    assert seen[active, "legal_name"] == "quickbooks"
    assert {s for t, _g, a, _r, s, _ in rows if t == "resource" and a == "date_of_birth"} == {
        "bamboohr"
    }


def test_ownership_table_covers_the_canonical_model() -> None:
    models = {
        E.CLIENT: canonical.Client,
        E.PROJECT: canonical.Project,
        E.RESOURCE: canonical.Resource,
        E.ASSIGNMENT: canonical.Assignment,
        E.TIME_ENTRY: canonical.TimeEntry,
        E.INVOICE: canonical.Invoice,
        E.PAYMENT: canonical.Payment,
        E.COST_RATE: canonical.CostRate,
    }
    for entity_type, model in models.items():
        attributes = {f.name for f in fields(model)} - {"key"}
        owned = set(DEFAULT_OWNERSHIP[entity_type])
        assert owned - {"domain"} <= attributes, entity_type
        hub_owned = attributes - owned
        # No source system keeps skills; Harvest's project API has no manager field.
        expected = {E.RESOURCE: {"skills"}, E.PROJECT: {"project_manager"}}.get(entity_type, set())
        assert hub_owned == expected, entity_type
        for attribute in owned:
            system = owner_of(entity_type, attribute)
            assert system is not None and entity_type in SYSTEMS[system].holds
    assert owner_of(E.CLIENT, "name") == "salesforce"
    assert owner_of(E.CLIENT, "tax_id") == "quickbooks"
    assert owner_of(E.RESOURCE, "national_id") == "bamboohr"
    assert owner_of(E.RESOURCE, "skills") is None
    assert owner_of(E.COST_RATE, "hourly_cost") == "gusto"
