"""A query's loaders fetch only the columns it asks for, and every field it asks for is there."""

from __future__ import annotations

from typing import Any

from api_fixtures import data, seed
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from test_api_dataloaders import recorded

Sessions = async_sessionmaker[AsyncSession]

PEOPLE_ON_PROJECTS = """{ clients(first: 10) { edges { node { name projects {
  assignments { role resource { %s } } } } } } }"""


def _resource_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM resources" in s]


async def test_unasked_columns_are_not_read(engine: AsyncEngine, sessions: Sessions) -> None:
    await seed(sessions)
    with recorded(engine) as statements:
        result = await data(sessions, PEOPLE_ON_PROJECTS % "givenName")
    people = [
        a["resource"]
        for e in result["clients"]["edges"]
        for p in e["node"]["projects"]
        for a in p["assignments"]
    ]
    assert people and all(p["givenName"] for p in people)
    (statement,) = _resource_statements(statements)
    # Sensitive and bulky columns stay in the database when nobody asked for them.
    for column in ("home_address", "national_id", "date_of_birth", "skills", "email"):
        assert f"resources.{column}" not in statement


async def test_asked_columns_are_read_and_returned(engine: AsyncEngine, sessions: Sessions) -> None:
    await seed(sessions)
    with recorded(engine) as statements:
        result = await data(sessions, PEOPLE_ON_PROJECTS % "givenName email skills homeAddress")
    (statement,) = _resource_statements(statements)
    assert "resources.home_address" in statement and "resources.skills" in statement
    people = [
        a["resource"]
        for e in result["clients"]["edges"]
        for p in e["node"]["projects"]
        for a in p["assignments"]
    ]
    assert any(p["skills"] == ["python"] for p in people)
    assert all(p["email"] for p in people)


async def test_fields_asked_through_fragments_and_interfaces_are_filled(
    sessions: Sessions,
) -> None:
    """Fields named only in a fragment, an inline fragment on an interface or a second alias
    are fetched too: the nested answer equals the same record read on its own."""
    await seed(sessions)
    nested_query = """
    fragment Names on Resource { familyName }
    { clients(first: 10) { edges { node { projects { assignments { resource {
        givenName ...Names
        ... on GoldenRecord { version updatedAt }
        ... on Node { id }
        mail: email
    } } } } } } }"""
    nested = await data(sessions, nested_query)
    people: dict[str, dict[str, Any]] = {}
    for edge in nested["clients"]["edges"]:
        for project in edge["node"]["projects"]:
            for assignment in project["assignments"]:
                person = assignment["resource"]
                people[person["id"]] = person
    assert people
    single = """query($id: ID!) { node(id: $id) { ... on Resource {
        id givenName familyName version updatedAt mail: email } } }"""
    for global_id, person in people.items():
        assert person["version"] is not None and person["updatedAt"] is not None
        alone = await data(sessions, single, {"id": global_id})
        assert alone["node"] == person
