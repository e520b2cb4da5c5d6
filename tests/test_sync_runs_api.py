"""`syncRuns` over GraphQL: the caller's tenant only, newest first, filtered and paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.models import Tenant
from hub.auth import Role
from hub.sync_models import SyncRun
from tests.api_fixtures import OTHER_TENANT, TENANT, data, run

Sessions = async_sessionmaker[AsyncSession]
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

RUNS = """query($filter: SyncRunFilter, $first: Int, $after: String) {
  syncRuns(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { system stream status full fetched created updated unchanged
                          deleted skipped error startedAt finishedAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def _seed_runs(sessions: Sessions) -> None:
    async with sessions() as s:
        s.add(Tenant(id=OTHER_TENANT, name="Other firm"))
        await s.flush()
        rows = [
            ("salesforce", "accounts", "succeeded", None, 0),
            ("harvest", "projects", "succeeded", None, 10),
            ("quickbooks", "invoices", "failed", "TransientError: quickbooks: 503", 20),
            ("salesforce", "contacts", "succeeded", None, 30),
        ]
        for system, stream, status, error, minutes in rows:
            started = T0 + timedelta(minutes=minutes)
            s.add(
                SyncRun(
                    tenant_id=TENANT,
                    system=system,
                    stream=stream,
                    full=minutes == 0,
                    status=status,
                    started_at=started,
                    finished_at=started + timedelta(seconds=5),
                    fetched=minutes + 1,
                    created=minutes,
                    updated=1,
                    unchanged=0,
                    deleted=0,
                    skipped=0,
                    error=error,
                )
            )
        s.add(
            SyncRun(
                tenant_id=OTHER_TENANT,
                system="gusto",
                stream="employees",
                full=True,
                status="succeeded",
                started_at=T0,
                fetched=9,
                created=9,
                updated=0,
                unchanged=0,
                deleted=0,
                skipped=0,
            )
        )
        await s.commit()


async def test_runs_are_listed_newest_first_with_their_counts(sessions: Sessions) -> None:
    await _seed_runs(sessions)
    runs = (await data(sessions, RUNS, {"first": 10}, role=Role.VIEWER))["syncRuns"]
    assert runs["totalCount"] == 4
    nodes = [e["node"] for e in runs["edges"]]
    assert [(n["system"], n["stream"]) for n in nodes] == [
        ("salesforce", "contacts"),
        ("quickbooks", "invoices"),
        ("harvest", "projects"),
        ("salesforce", "accounts"),
    ]
    failed = nodes[1]
    assert failed["status"] == "FAILED"
    assert failed["error"] == "TransientError: quickbooks: 503"
    assert failed["fetched"] == 21 and failed["created"] == 20
    assert nodes[3]["full"] is True
    assert nodes[0]["startedAt"].startswith("2026-03-01T08:30:00")


async def test_another_tenants_runs_are_invisible(sessions: Sessions) -> None:
    await _seed_runs(sessions)
    other = (await data(sessions, RUNS, tenant=OTHER_TENANT))["syncRuns"]
    assert [e["node"]["system"] for e in other["edges"]] == ["gusto"]
    mine = (await data(sessions, RUNS, {"first": 10}))["syncRuns"]
    assert "gusto" not in {e["node"]["system"] for e in mine["edges"]}


async def test_filters_by_system_role_status_and_since(sessions: Sessions) -> None:
    await _seed_runs(sessions)

    async def streams(**filter: object) -> list[str]:
        result = await data(sessions, RUNS, {"filter": filter, "first": 10})
        return [e["node"]["stream"] for e in result["syncRuns"]["edges"]]

    assert await streams(system="salesforce") == ["contacts", "accounts"]
    assert await streams(system="crm") == ["contacts", "accounts"]  # a role names its system
    assert await streams(status="FAILED") == ["invoices"]
    since = (T0 + timedelta(minutes=10)).isoformat()
    assert await streams(since=since) == ["contacts", "invoices", "projects"]


async def test_unknown_system_is_a_clear_error(sessions: Sessions) -> None:
    await _seed_runs(sessions)
    result = await run(sessions, RUNS, {"filter": {"system": "sap"}})
    assert result.errors is not None
    assert "Unknown source system 'sap'" in result.errors[0].message


async def test_pages_follow_the_end_cursor(sessions: Sessions) -> None:
    await _seed_runs(sessions)
    first = (await data(sessions, RUNS, {"first": 3}))["syncRuns"]
    assert len(first["edges"]) == 3 and first["pageInfo"]["hasNextPage"] is True
    rest = await data(sessions, RUNS, {"first": 3, "after": first["pageInfo"]["endCursor"]})
    edges = rest["syncRuns"]["edges"]
    assert [e["node"]["stream"] for e in edges] == ["accounts"]
    assert rest["syncRuns"]["pageInfo"]["hasNextPage"] is False


async def test_a_bad_cursor_is_refused(sessions: Sessions) -> None:
    result = await run(sessions, RUNS, {"after": "nonsense"})
    assert result.errors is not None
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["code"] == "INVALID_CURSOR"
