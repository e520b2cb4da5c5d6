"""The audit log: entries commit with the change, page newest first, filter, and purge by age."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.errors import InvalidCursor, PageSizeExceeded
from golden_records.models import DEFAULT_TENANT, Tenant
from hub import audit
from hub.auth import AuthMethod, Principal, Role
from hub.models import AuditEntry

Sessions = async_sessionmaker[AsyncSession]
STEWARD = Principal(DEFAULT_TENANT, Role.STEWARD, "key:7", 7, AuthMethod.API_KEY)


async def test_entry_records_who_why_and_only_what_changed(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        audit.record_by(
            session,
            STEWARD,
            "client.update",
            request_id="req-1",
            entity_type="client",
            entity_id=42,
            reason="customer renamed",
            before={"name": "Acme", "status": "ACTIVE", "since": date(2020, 1, 1)},
            after={"name": "Acme Corp", "status": "ACTIVE", "since": date(2020, 1, 1)},
        )
    async with sessions() as session:
        page = await audit.query(session, DEFAULT_TENANT)
    (entry,) = page.entries
    assert (entry.actor, entry.actor_role, entry.request_id) == ("key:7", "steward", "req-1")
    assert (entry.action, entry.entity_type, entry.entity_id) == ("client.update", "client", "42")
    assert entry.reason == "customer renamed"
    assert entry.before == {"name": "Acme"}
    assert entry.after == {"name": "Acme Corp"}


async def test_values_are_stored_json_safe(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        audit.record_by(
            session,
            STEWARD,
            "cost_rate.create",
            after={"hourly_cost": Decimal("85.50"), "effective_from": date(2026, 1, 1)},
        )
    async with sessions() as session:
        (entry,) = (await audit.query(session, DEFAULT_TENANT)).entries
    assert entry.before is None
    assert entry.after == {"hourly_cost": "85.50", "effective_from": "2026-01-01"}


async def test_entry_rolls_back_with_the_change(sessions: Sessions) -> None:
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            audit.record_by(session, STEWARD, "client.merge")
            raise RuntimeError("merge failed")
    async with sessions() as session:
        assert (await audit.query(session, DEFAULT_TENANT)).entries == []


async def test_pages_newest_first_with_filters_and_tenant_scope(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        session.add(Tenant(id="other", name="Other"))
    async with sessions() as session, session.begin():
        for i in range(5):
            audit.record_by(session, STEWARD, "client.update", entity_type="client", entity_id=i)
        audit.record_by(session, STEWARD, "client.merge", entity_type="client", entity_id=99)
        audit.record(
            session, tenant_id="other", actor="x", actor_role="admin", action="client.update"
        )
    async with sessions() as session:
        first = await audit.query(session, DEFAULT_TENANT, action="client.update", first=3)
        assert [e.entity_id for e in first.entries] == ["4", "3", "2"]
        assert first.has_next_page
        second = await audit.query(
            session, DEFAULT_TENANT, action="client.update", first=3, after=first.end_cursor
        )
        assert [e.entity_id for e in second.entries] == ["1", "0"]
        assert not second.has_next_page
        merges = await audit.query(session, DEFAULT_TENANT, action="client.merge")
        assert [e.entity_id for e in merges.entries] == ["99"]
        assert len((await audit.query(session, "other")).entries) == 1
        by_entity = await audit.query(session, DEFAULT_TENANT, entity_type="client", entity_id=3)
        assert [e.entity_id for e in by_entity.entries] == ["3"]
        future = await audit.query(session, DEFAULT_TENANT, since=datetime.now(UTC) + timedelta(1))
        assert future.entries == []


async def test_bad_cursor_and_page_size_are_refused(sessions: Sessions) -> None:
    async with sessions() as session:
        with pytest.raises(InvalidCursor):
            await audit.query(session, DEFAULT_TENANT, after="garbage!")
        with pytest.raises(PageSizeExceeded):
            await audit.query(session, DEFAULT_TENANT, first=100_000)


async def test_purge_removes_only_expired_entries_and_counts_them(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        entries = [audit.record_by(session, STEWARD, "client.update") for _ in range(5)]
    old_ids = [e.id for e in entries[:3]]
    async with sessions() as session, session.begin():
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.id.in_(old_ids))
            .values(at=datetime.now(UTC) - timedelta(days=120))
        )

    assert await audit.purge(sessions, timedelta(days=90)) == 3
    assert await audit.purge(sessions, timedelta(days=90)) == 0
    async with sessions() as session:
        remaining = (await audit.query(session, DEFAULT_TENANT)).entries
    assert sorted(e.id for e in remaining) == [e.id for e in entries[3:]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90d", timedelta(days=90)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2))],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert audit.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "d", "90", "ninety days", "-5d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="Not a duration"):
        audit.parse_duration(text)
