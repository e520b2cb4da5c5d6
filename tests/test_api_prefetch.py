"""The look-ahead prefetch of connections: same answers as the DataLoader path, same statements."""

from __future__ import annotations

import json
from typing import Any

from api_fixtures import SCHEMA, TENANT, seed, seed_many
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from test_api_dataloaders import recorded

from hub.auth import AuthMethod, Principal, Role
from hub.settings import Settings
from resolvers.context import Context

Sessions = async_sessionmaker[AsyncSession]

WIDE = Settings(max_page_size=500, default_page_size=50)

# Everything a client can reach, with fragments, aliases, `first` and a date range, so the
# prefetch meets each shape of selection it has to understand (or leave to the loaders).
CLIENT_FIELDS = """
fragment Person on Resource { id givenName familyName manager { givenName } }
fragment Work on Project {
  id name status client { name }
  projectManager { ...Person }
  team: assignments { role allocation resource { ...Person } project { name } }
  firstTwo: assignments(first: 1) { role }
  timeEntries(from: "2026-02-01") { hours spentDate }
  allTime: timeEntries { hours }
}
fragment ClientTree on Client {
  id name currency version
  parent { name } children { name }
  accountOwner { ...Person }
  ... on Node { id }
  ... { crosswalks { system externalId } }
  ... on GoldenRecord { sourceRecords { system } lineage { attribute rule } }
  invoices { number payments { amount } }
  projects { ...Work }
  projects2: projects(first: 1) { name }
}
"""

CONNECTION = (
    CLIENT_FIELDS
    + """
query($first: Int!) { clients(first: $first) { edges { node { ...ClientTree } } } }
"""
)

BY_NODE = (
    CLIENT_FIELDS
    + """
query($id: ID!) { node(id: $id) { ...ClientTree } }
"""
)


async def execute(
    sessions: Sessions,
    query: str,
    variables: dict[str, Any],
    *,
    prefetch: bool = True,
    role: Role = Role.ADMIN,
    settings: Settings = WIDE,
) -> Any:
    """The query's result as JSON text (what a client receives), with the prefetch on or off."""
    principal = Principal(TENANT, role, f"test-{role.value}", None, AuthMethod.JWT)
    ctx = Context.create(sessions, tenant_id=TENANT, settings=settings, principal=principal)
    ctx.prefetch = prefetch
    try:
        result = await SCHEMA.execute(query, variable_values=variables, context_value=ctx)
    finally:
        await ctx.close()
    errors = [
        {"path": e.path, "code": (e.extensions or {}).get("code")} for e in result.errors or []
    ]
    return json.dumps({"data": result.data, "errors": errors}, sort_keys=True)


async def test_prefetched_page_equals_each_record_loaded_by_node(sessions: Sessions) -> None:
    await seed(sessions)
    page = json.loads(await execute(sessions, CONNECTION, {"first": 10}))
    assert page["errors"] == []
    nodes = [edge["node"] for edge in page["data"]["clients"]["edges"]]
    assert [n["name"] for n in nodes] == ["Acme Corp", "Beta LLC", "Delta 100%", "Gamma Inc"]
    acme = nodes[0]
    # The data really is deep, so the comparison below compares something.
    assert acme["children"] == [{"name": "Beta LLC"}]
    assert {p["name"] for p in acme["projects"]} == {"Apollo", "Zephyr"}
    assert any(p["team"] and p["team"][0]["resource"] for p in acme["projects"])
    for node in nodes:
        alone = json.loads(await execute(sessions, BY_NODE, {"id": node["id"]}))
        assert alone["errors"] == []
        assert alone["data"]["node"] == node


async def test_prefetch_on_and_off_give_the_same_json(sessions: Sessions) -> None:
    await seed(sessions)
    await seed_many(sessions, 12, prefix="Wide")
    on = await execute(sessions, CONNECTION, {"first": 20})
    off = await execute(sessions, CONNECTION, {"first": 20}, prefetch=False)
    assert on == off
    assert len(json.loads(on)["data"]["clients"]["edges"]) == 16


async def test_prefetch_keeps_one_statement_per_level(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    await seed_many(sessions, 100)
    query = """query($first: Int!) { clients(first: $first) { edges { node { name
      ... on Client { projects { name team: assignments { role resource { givenName } } } }
      again: projects { assignments { resource { familyName } } }
    } } } }"""
    counts = {}
    for first in (10, 100):
        for prefetch in (True, False):
            with recorded(engine) as statements:
                result = json.loads(
                    await execute(sessions, query, {"first": first}, prefetch=prefetch)
                )
            assert result["errors"] == []
            edges = result["data"]["clients"]["edges"]
            assert len(edges) == first
            assert all(len(p["team"]) == 2 for e in edges for p in e["node"]["projects"])
            counts[(first, prefetch)] = len(statements)
    # The page, projects by client, assignments by project, resources by ID.
    assert set(counts.values()) == {4}, counts


async def test_guarded_fields_are_still_refused_under_a_prefetched_page(
    sessions: Sessions,
) -> None:
    await seed(sessions)
    query = """{ clients(first: 5) { edges { node { name projects { team: assignments {
      resource { givenName costRates { hourlyCost } } } } } } } }"""
    result = json.loads(await execute(sessions, query, {}, role=Role.VIEWER))
    assert result["errors"]
    assert {e["code"] for e in result["errors"]} == {"FORBIDDEN"}
    # Full paths, through the lists the executor completed itself.
    shape = ["clients", "edges", int, "node", "projects", int, "team", int, "resource", "costRates"]
    for error in result["errors"]:
        path = error["path"]
        assert len(path) == len(shape), path
        for part, expected in zip(path, shape, strict=True):
            assert isinstance(part, int) if expected is int else part == expected, path
    acme = result["data"]["clients"]["edges"][0]["node"]
    people = [a["resource"] for p in acme["projects"] for a in p["team"] if a["resource"]]
    assert people and all(p["costRates"] is None and p["givenName"] for p in people)


async def test_nested_first_out_of_range_is_still_an_error(sessions: Sessions) -> None:
    await seed(sessions)
    query = "{ clients(first: 2) { edges { node { projects(first: -1) { name } } } } }"
    result = json.loads(await execute(sessions, query, {}))
    assert result["errors"] and {e["code"] for e in result["errors"]} == {"VALIDATION"}


async def test_a_relation_met_again_deeper_is_prefetched_below_too(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    """`projects { client { projects { ... } } }` reuses the loaded projects and still
    prefetches what is below them, without extra statements."""
    await seed_many(sessions, 30)
    query = """{ clients(first: 30) { edges { node { name projects { name client {
      projects { assignments { role resource { givenName } } } } } } } } }"""
    results, counts = {}, {}
    for prefetch in (True, False):
        with recorded(engine) as statements:
            results[prefetch] = await execute(sessions, query, {}, prefetch=prefetch)
        counts[prefetch] = len(statements)
    assert results[True] == results[False]
    edges = json.loads(results[True])["data"]["clients"]["edges"]
    deep = edges[0]["node"]["projects"][0]["client"]["projects"][0]["assignments"]
    assert len(deep) == 2 and deep[0]["resource"]["givenName"]
    # page, projects, clients by ID, assignments, resources (client.projects is cached).
    assert counts == {True: 5, False: 5}, counts
