"""Golden records in the store: survivorship, lineage, merge, unmerge and not-a-match."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records import golden_store as store
from golden_records.errors import NotFound, ValidationFailed
from golden_records.models import (
    DEFAULT_TENANT,
    ClientRecord,
    Crosswalk,
    Lineage,
    ProjectRecord,
    SourceRecord,
    Tenant,
)

T = DEFAULT_TENANT
OLD = datetime(2025, 1, 1, tzinfo=UTC)
NEW = datetime(2026, 6, 1, tzinfo=UTC)
REQUIRED: dict[str, dict[str, Any]] = {
    "client": {"name": "(unnamed)", "status": "ACTIVE", "currency": "USD"},
    "project": {
        "name": "(unnamed)",
        "status": "ACTIVE",
        "billing_type": "TIME_AND_MATERIALS",
        "currency": "USD",
    },
    "resource": {
        "given_name": "",
        "family_name": "",
        "employment_type": "EMPLOYEE",
        "status": "ACTIVE",
        "currency": "USD",
        "skills": [],
    },
}


async def add_source(
    session: AsyncSession,
    entity_type: str,
    system: str,
    external_id: str,
    attributes: dict[str, Any],
    *,
    updated: datetime = OLD,
    refs: dict[str, dict[str, str]] | None = None,
    tenant: str = T,
) -> int:
    """What a sync does for a new source record: a golden record of its own, and its crosswalk."""
    model = store.model_for(entity_type)
    golden = model(tenant_id=tenant, **REQUIRED[entity_type])
    session.add(golden)
    await session.flush()
    session.add(
        SourceRecord(
            tenant_id=tenant,
            entity_type=entity_type,
            golden_id=golden.id,
            system=system,
            external_id=external_id,
            payload={},
            attributes={**attributes, "_refs": refs or {}},
            source_updated_at=updated,
        )
    )
    session.add(
        Crosswalk(
            tenant_id=tenant,
            entity_type=entity_type,
            system=system,
            external_id=external_id,
            golden_id=golden.id,
        )
    )
    await session.flush()
    await store.recompute(session, entity_type, golden.id)
    return golden.id


async def _source_id(session: AsyncSession, system: str, external_id: str) -> int:
    found = await session.scalar(
        select(SourceRecord.id).where(
            SourceRecord.system == system, SourceRecord.external_id == external_id
        )
    )
    assert found is not None
    return found


async def test_owning_system_wins_over_a_newer_value_and_lineage_names_its_source(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        crm = await add_source(
            session,
            "client",
            "salesforce",
            "001A",
            {"name": "Acme Corp", "industry": "Retail"},
            updated=OLD,
        )
        erp = await add_source(
            session,
            "client",
            "quickbooks",
            "58",
            {
                "name": "ACME Corporation LLC",
                "legal_name": "Acme Corp LLC",
                "industry": "Wholesale",
            },
            updated=NEW,
        )
        await store.merge(session, "client", crm, [erp], tenant_id=T, actor="alice", reason="dup")
    async with sessions() as session:
        golden = await session.get(ClientRecord, crm)
        assert golden is not None
        # The CRM owns the name and industry, even though the ERP's copy is newer.
        assert (golden.name, golden.industry) == ("Acme Corp", "Retail")
        assert golden.legal_name == "Acme Corp LLC"  # only the ERP has it
        lineage = {
            row.attribute: row
            for row in await session.scalars(
                select(Lineage).where(Lineage.golden_id == crm, Lineage.entity_type == "client")
            )
        }
        assert lineage["name"].source_record_id == await _source_id(session, "salesforce", "001A")
        assert lineage["name"].rule == "OWNING_SYSTEM"
        erp_source = await _source_id(session, "quickbooks", "58")
        assert lineage["legal_name"].source_record_id == erp_source


async def test_merge_then_unmerge_restores_both_records_and_their_crosswalks(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        a = await add_source(
            session,
            "client",
            "salesforce",
            "001A",
            {"name": "Acme Corp", "website": "https://acme.example"},
        )
        b = await add_source(
            session,
            "client",
            "quickbooks",
            "58",
            {"name": "ACME Corp.", "tax_id": "12-345", "legal_name": "Acme LLC"},
        )
        project = await add_source(
            session,
            "project",
            "quickbooks",
            "J1",
            {"name": "Rollout"},
            refs={"client_id": {"entity_type": "client", "external_id": "58"}},
        )
        before_a = await store.snapshot(session, T, "client", a)
        before_b = await store.snapshot(session, T, "client", b)
        project_row = await session.get(ProjectRecord, project)
        assert project_row is not None and project_row.client_id == b

    async with sessions() as session, session.begin():
        change = await store.merge(
            session, "client", a, [b], tenant_id=T, actor="alice", reason="same firm"
        )
    assert change.after[str(a)]["crosswalks"] == ["quickbooks:58", "salesforce:001A"]
    async with sessions() as session:
        merged = await store.snapshot(session, T, "client", a)
        assert merged["attributes"]["tax_id"] == "12-345"
        assert (await store.resolve(session, T, "client", b)).id == a
        project_row = await session.get(ProjectRecord, project)
        assert project_row is not None and project_row.client_id == a

    async with sessions() as session, session.begin():
        source = await _source_id(session, "quickbooks", "58")
        change = await store.unmerge(
            session, "client", source, tenant_id=T, actor="alice", reason="wrong merge"
        )
    assert change.entity_id == b  # the loser's own ID comes back
    async with sessions() as session:
        assert await store.snapshot(session, T, "client", a) == before_a
        assert await store.snapshot(session, T, "client", b) == before_b
        project_row = await session.get(ProjectRecord, project)
        assert project_row is not None and project_row.client_id == b


async def test_unmerge_of_an_original_source_gets_a_new_golden_record(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        a = await add_source(session, "client", "salesforce", "001A", {"name": "Acme Corp"})
        b = await add_source(session, "client", "quickbooks", "58", {"name": "Acme Inc"})
        await store.merge(session, "client", a, [b], tenant_id=T, actor="alice", reason="dup")
        crm_source = await _source_id(session, "salesforce", "001A")
        change = await store.unmerge(
            session, "client", crm_source, tenant_id=T, actor="alice", reason="split"
        )
        split = change.entity_id
        assert split not in (a, b)
        assert (await store.snapshot(session, T, "client", split))["crosswalks"] == [
            "salesforce:001A"
        ]
        assert (await store.snapshot(session, T, "client", a))["attributes"]["name"] == "Acme Inc"
        # Split apart by a steward: never proposed together again.
        assert await store.never_matched(session, T, "client", a, split)


async def test_merge_validation(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        session.add(Tenant(id="other", name="Other"))
        a = await add_source(session, "client", "salesforce", "001A", {"name": "Acme"})
        b = await add_source(session, "client", "quickbooks", "58", {"name": "Acme"})
        theirs = await add_source(
            session, "client", "salesforce", "001Z", {"name": "Acme"}, tenant="other"
        )
        with pytest.raises(ValidationFailed):
            await store.merge(session, "client", a, [a], tenant_id=T, actor="x", reason=None)
        with pytest.raises(NotFound):
            await store.merge(session, "client", a, [theirs], tenant_id=T, actor="x", reason=None)
        with pytest.raises(NotFound):
            await store.merge(session, "client", a, [10_000], tenant_id=T, actor="x", reason=None)
        await store.merge(session, "client", a, [b], tenant_id=T, actor="x", reason=None)
        with pytest.raises(ValidationFailed):  # b is gone: it resolves to a
            await store.merge(session, "client", b, [a], tenant_id=T, actor="x", reason=None)
        ours = await _source_id(session, "salesforce", "001A")
        with pytest.raises(NotFound):  # another tenant's source record
            await store.unmerge(session, "client", ours, tenant_id="other", actor="x", reason=None)
        with pytest.raises(ValidationFailed):  # a golden record's only source stays put
            theirs_source = await _source_id(session, "salesforce", "001Z")
            await store.unmerge(
                session, "client", theirs_source, tenant_id="other", actor="x", reason=None
            )


async def test_not_a_match_is_remembered_and_can_be_undone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        a = await add_source(session, "client", "salesforce", "001A", {"name": "Acme"})
        b = await add_source(session, "client", "quickbooks", "58", {"name": "Acme"})
        c = await add_source(session, "client", "harvest", "9", {"name": "Acme"})
        await store.mark_not_a_match(session, "client", a, b, tenant_id=T, actor="x", reason="no")
        assert await store.never_matched(session, T, "client", b, a)
        # The decision follows the source records through a merge.
        await store.merge(session, "client", c, [a], tenant_id=T, actor="x", reason=None)
        assert await store.never_matched(session, T, "client", c, b)
        await store.forget_not_a_match(
            session, "client", c, b, tenant_id=T, actor="x", reason="undo"
        )
        assert not await store.never_matched(session, T, "client", c, b)
