"""Nested traversal costs one SQL statement per level, whatever the page size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api_fixtures import SETTINGS, data, seed, seed_many
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hub.settings import Settings

Sessions = async_sessionmaker[AsyncSession]

TRAVERSAL = """query($first: Int!) {
  clients(first: $first) { %s edges { node { name
    projects { name assignments { role resource { givenName } } } } } } }"""

WIDE = Settings(max_page_size=500, default_page_size=50)


@contextmanager
def recorded(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_statement_count_does_not_grow_with_page_size(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    await seed_many(sessions, 100)
    counts: dict[tuple[int, bool], int] = {}
    for first in (10, 100):
        for with_total in (False, True):
            query = TRAVERSAL % ("totalCount" if with_total else "")
            with recorded(engine) as statements:
                result = await data(sessions, query, {"first": first}, settings=WIDE)
            edges = result["clients"]["edges"]
            assert len(edges) == first
            assert all(len(e["node"]["projects"]) == 2 for e in edges)
            assert all(
                len(p["assignments"]) == 2 and p["assignments"][0]["resource"]["givenName"]
                for e in edges
                for p in e["node"]["projects"]
            )
            counts[(first, with_total)] = len(statements)
    # clients page, projects by client, assignments by project, resources by ID.
    assert counts[(10, False)] == counts[(100, False)] == 4, counts
    assert counts[(10, True)] == counts[(100, True)] == 5, counts


async def test_siblings_share_one_session_safely(engine: AsyncEngine, sessions: Sessions) -> None:
    """Many loaders fire at once on one request's session; each still runs one statement."""
    await seed(sessions)
    await seed_many(sessions, 30, prefix="Wide")
    with recorded(engine) as statements:
        result = await data(
            sessions,
            """{ clients(first: 40) { totalCount edges { node {
                 name parent { name } children { name } accountOwner { givenName }
                 sourceRecords { system } crosswalks { system } lineage { attribute }
                 invoices { number payments { amount } }
                 projects { name client { name } projectManager { givenName }
                   timeEntries { hours } assignments { resource { manager { givenName } } } }
               } } } }""",
            settings=WIDE,
        )
    clients = {e["node"]["name"]: e["node"] for e in result["clients"]["edges"]}
    assert len(clients) == 34
    assert clients["Acme Corp"]["children"] == [{"name": "Beta LLC"}]
    assert clients["Beta LLC"]["parent"] == {"name": "Acme Corp"}
    assert [s["system"] for s in clients["Acme Corp"]["sourceRecords"]] == [
        "quickbooks",
        "salesforce",
    ]
    assert clients["Acme Corp"]["invoices"][0]["payments"] == [{"amount": "600.0000"}]
    assert clients["Wide 0007"]["projects"][0]["client"] == {"name": "Wide 0007"}
    # 15 nested fields: at most one statement each, plus the page and the count (loaders of the
    # same kind, e.g. resources by ID, may share a statement when their keys arrive together).
    assert len(statements) <= 17, statements


async def test_default_settings_paging(sessions: Sessions) -> None:
    await seed(sessions)
    result = await data(sessions, "{ clients { edges { node { name } } } }")
    assert len(result["clients"]["edges"]) == SETTINGS.default_page_size
