"""Incremental matching in the store: blocking through the index, auto-merge, queue, never-match."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_golden_store import add_source
from typer.testing import CliRunner

from golden_records import golden_store as store
from golden_records.matching_models import CandidateStatus, MatchCandidate
from golden_records.models import DEFAULT_TENANT as T
from golden_records.models import ResourceRecord, SourceRecord, Tenant
from hub.cli import app as cli_app
from hub.db import create_all, create_engine, session_maker
from hub.matching_service import MATCHER, match_new_records
from hub.models import AuditEntry

JANE = {
    "given_name": "Jane",
    "family_name": "Doe",
    "email": "jane.doe@firm.example",
    "date_of_birth": "1985-03-02",
    "national_id": "123-45-6789",
}


async def _add(sessions: async_sessionmaker[AsyncSession], *args: object, **kw: object) -> int:
    async with sessions() as session, session.begin():
        return await add_source(session, *args, **kw)  # type: ignore[arg-type]


async def _live(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ResourceRecord)
        .where(ResourceRecord.merged_into_id.is_(None))
    )
    return int(count or 0)


async def test_a_synced_duplicate_merges_and_only_key_sharing_records_are_compared(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    hris = await _add(sessions, "resource", "bamboohr", "E1", JANE)
    for n, (given, family) in enumerate([("Omar", "Khan"), ("Li", "Wei"), ("Ana", "Silva")]):
        await _add(
            sessions,
            "resource",
            "bamboohr",
            f"E{n + 2}",
            {"given_name": given, "family_name": family, "email": f"{given.lower()}@firm.example"},
        )
    first = await match_new_records(sessions, T, "resource")
    assert (first[0].examined, first[0].comparisons, first[0].merged) == (4, 0, 0)

    # Payroll syncs its copy of Jane (a personal e-mail): one new golden record.
    payroll = await _add(
        sessions, "resource", "gusto", "G9", {**JANE, "email": "jane.doe@gmail.com"}
    )
    second = await match_new_records(sessions, T, "resource")
    # Only the new record is looked at, and only Jane shares a blocking key with it.
    assert (second[0].examined, second[0].comparisons) == (1, 1)
    assert second[0].merges == [(hris, payroll)]
    async with sessions() as session:
        assert await _live(session) == 4
        assert (await store.resolve(session, T, "resource", payroll)).id == hris
        snap = await store.snapshot(session, T, "resource", hris)
        assert snap["crosswalks"] == ["bamboohr:E1", "gusto:G9"]
        # The HRIS owns the e-mail.
        assert snap["attributes"]["email"] == "jane.doe@firm.example"
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "merge"))
        assert entry is not None and entry.actor == MATCHER and entry.entity_id == str(hris)


async def test_a_not_a_match_pair_stays_apart_through_later_passes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a = await _add(sessions, "resource", "bamboohr", "E1", JANE)
    b = await _add(sessions, "resource", "gusto", "G1", JANE)
    async with sessions() as session, session.begin():
        await store.mark_not_a_match(
            session, "resource", a, b, tenant_id=T, actor="steward", reason="twins"
        )
    for full in (False, True):
        result = await match_new_records(sessions, T, "resource", full=full)
        assert result[0].merged == 0
    # A later sync brings a third copy that matches both: it may join one of them, never both.
    await _add(sessions, "resource", "harvest", "U7", JANE)
    await match_new_records(sessions, T, "resource")
    await match_new_records(sessions, T, "resource", full=True)
    async with sessions() as session:
        assert await _live(session) == 2
        assert await store.never_matched(session, T, "resource", a, b)


async def test_an_unmerged_record_is_not_merged_back_by_the_next_pass(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a = await _add(sessions, "resource", "bamboohr", "E1", JANE)
    b = await _add(sessions, "resource", "gusto", "G1", JANE)
    assert (await match_new_records(sessions, T, "resource"))[0].merges == [(a, b)]
    async with sessions() as session, session.begin():
        source = await session.scalar(
            select(SourceRecord.id).where(SourceRecord.external_id == "G1")
        )
        assert source is not None
        change = await store.unmerge(
            session, "resource", source, tenant_id=T, actor="steward", reason="different people"
        )
    assert change.entity_id == b
    for full in (False, True):
        assert (await match_new_records(sessions, T, "resource", full=full))[0].merged == 0
    async with sessions() as session:
        assert await _live(session) == 2


async def test_pairs_between_the_thresholds_go_to_the_stewards_queue(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a = await _add(
        sessions,
        "client",
        "salesforce",
        "001A",
        {"name": "Acme Consulting", "website": "https://acme.example"},
    )
    b = await _add(
        sessions,
        "client",
        "quickbooks",
        "58",
        {"name": "Acme Consultants", "website": "www.acme.example"},
    )
    result = await match_new_records(sessions, T, "client")
    assert (result[0].merged, result[0].candidates) == (0, 1)
    await match_new_records(sessions, T, "client", full=True)  # no duplicate candidate
    async with sessions() as session:
        candidates = list(await session.scalars(select(MatchCandidate)))
        assert len(candidates) == 1
        candidate = candidates[0]
        assert (candidate.golden_id_a, candidate.golden_id_b) == (a, b)
        assert candidate.status == CandidateStatus.OPEN
        assert 0.65 <= candidate.score < 0.85
        features = {e["feature"]: e for e in candidate.explanation}
        assert features["domain"]["similarity"] == 1.0
        assert features["tax_id"]["similarity"] is None  # neither side has one
        assert features["name"]["left"] == "acme consulting"


def test_match_command_merges_and_reports(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSWALK_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CROSSWALK_CONFIG_DIR", str(tmp_path))

    async def setup() -> None:
        engine = create_engine(sqlite_url)
        await create_all(engine)
        sessions = session_maker(engine)
        async with sessions() as session, session.begin():
            session.add(Tenant(id=T, name="Default"))
        await _add(sessions, "resource", "bamboohr", "E1", JANE)
        await _add(sessions, "resource", "gusto", "G1", JANE)
        await engine.dispose()

    asyncio.run(setup())
    result = CliRunner().invoke(cli_app, ["match", "--entity", "resource"])
    assert result.exit_code == 0, result.output
    assert "Merged 1 duplicates and queued 0 candidates" in result.output
