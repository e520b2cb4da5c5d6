"""Bad input gets a GraphQL error with the CrosswalkError code and a message a person can act on."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from api_fixtures import SETTINGS, gid, run, seed
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]


async def error_of(sessions: Sessions, query: str, variables: dict[str, Any] | None = None) -> Any:
    result = await run(sessions, query, variables)
    assert result.errors, f"expected an error, got {result.data}"
    assert len(result.errors) == 1
    return result.errors[0]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-an-id",
        b64("Client:abc"),
        b64("Spaceship:1"),
        b64("Client:-4"),
        "",
        b64("Client"),
        b64(f"Client:{2**70}"),  # bigger than any 64-bit key
        "\ud800",
    ],
)
async def test_malformed_or_unknown_global_ids(sessions: Sessions, bad_id: str) -> None:
    await seed(sessions)
    for query in (
        "query($id: ID!) { node(id: $id) { id } }",
        "query($id: ID!) { client(id: $id) { id } }",
    ):
        error = await error_of(sessions, query, {"id": bad_id})
        assert error.extensions["code"] == "INVALID_ID"
        assert "is not a Crosswalk ID" in error.message


async def test_global_id_of_the_wrong_type(sessions: Sessions) -> None:
    firm = await seed(sessions)
    error = await error_of(
        sessions, "query($id: ID!) { client(id: $id) { id } }", {"id": firm.gid("p1")}
    )
    assert error.extensions == {"code": "INVALID_ID", "field": "id"}
    assert "ID of a Project, but a Client ID is expected" in error.message
    error = await error_of(
        sessions,
        "query($c: ID!) { projects(filter: {client: $c}) { totalCount } }",
        {"c": firm.gid("r1")},
    )
    assert error.extensions == {"code": "INVALID_ID", "field": "filter.client"}


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        b64("[1, 2]"),
        b64('["NAME:ASC", "x"]'),
        b64("{"),
        b64(f'["NAME:ASC", {2**70}]'),
        b64('["NAME:ASC", true]'),
    ],
)
async def test_malformed_cursor(sessions: Sessions, cursor: str) -> None:
    await seed(sessions)
    error = await error_of(
        sessions, "query($a: String) { clients(after: $a) { totalCount } }", {"a": cursor}
    )
    assert error.extensions == {"code": "INVALID_CURSOR", "field": "after"}
    assert "endCursor" in error.message


async def test_cursor_of_another_ordering(sessions: Sessions) -> None:
    await seed(sessions)
    page = await run(sessions, "{ clients(first: 1) { pageInfo { endCursor } } }")
    assert page.data is not None
    cursor = page.data["clients"]["pageInfo"]["endCursor"]
    error = await error_of(
        sessions,
        "query($a: String) { clients(after: $a, orderBy: {field: UPDATED_AT}) { totalCount } }",
        {"a": cursor},
    )
    assert error.extensions["code"] == "INVALID_CURSOR"
    assert "NAME:ASC" in error.message and "UPDATED_AT:ASC" in error.message


async def test_page_size_over_the_maximum_or_negative(sessions: Sessions) -> None:
    firm = await seed(sessions)
    too_many = SETTINGS.max_page_size + 1
    error = await error_of(sessions, f"{{ clients(first: {too_many}) {{ totalCount }} }}")
    assert error.extensions == {"code": "PAGE_SIZE_EXCEEDED", "field": "first"}
    assert f"at most {SETTINGS.max_page_size}" in error.message
    error = await error_of(sessions, "{ resources(first: -1) { totalCount } }")
    assert error.extensions == {"code": "VALIDATION", "field": "first"}
    error = await error_of(
        sessions,
        f'{{ client(id: "{firm.gid("c1")}") {{ projects(first: {too_many}) {{ name }} }} }}',
    )
    assert error.extensions["code"] == "PAGE_SIZE_EXCEEDED"
    assert error.path == ["client", "projects"]


async def test_unknown_system_in_a_ref(sessions: Sessions) -> None:
    await seed(sessions)
    error = await error_of(sessions, '{ client(ref: {system: "sap", externalId: "1"}) { id } }')
    assert error.extensions == {"code": "UNKNOWN_SYSTEM", "field": "system"}
    assert "'sap'" in error.message and "salesforce" in error.message
    error = await error_of(
        sessions,
        '{ crosswalk(entityType: CLIENT, system: "nope", externalId: "1") { entityType } }',
    )
    assert error.extensions["code"] == "UNKNOWN_SYSTEM"


async def test_system_that_does_not_hold_the_entity(sessions: Sessions) -> None:
    await seed(sessions)
    error = await error_of(sessions, '{ client(ref: {system: "gusto", externalId: "1"}) { id } }')
    assert error.extensions == {"code": "VALIDATION", "field": "system"}
    assert "gusto holds no client records" in error.message


async def test_lookup_needs_exactly_one_of_id_or_ref(sessions: Sessions) -> None:
    await seed(sessions)
    error = await error_of(sessions, "{ client { id } }")
    assert error.extensions["code"] == "VALIDATION"
    error = await error_of(
        sessions,
        f'{{ client(id: "{gid("Client", 1)}", ref: {{system: "crm", externalId: "1"}}) {{ id }} }}',
    )
    assert error.extensions["code"] == "VALIDATION"


async def test_text_the_database_cannot_store(sessions: Sessions) -> None:
    await seed(sessions)
    error = await error_of(
        sessions,
        "query($s: String) { clients(filter: {search: $s}) { totalCount } }",
        {"s": "a\x00"},
    )
    assert error.extensions == {"code": "VALIDATION", "field": "filter.search"}
    error = await error_of(
        sessions,
        'query($e: String!) { client(ref: {system: "crm", externalId: $e}) { id } }',
        {"e": "\x00"},
    )
    assert error.extensions == {"code": "VALIDATION", "field": "externalId"}
    error = await error_of(
        sessions,
        "query($t: DateTime) { clients(filter: {updatedSince: $t}) { totalCount } }",
        {"t": "0001-01-01T00:00:00+01:00"},
    )
    assert error.extensions == {"code": "VALIDATION", "field": "filter.updatedSince"}


async def test_graphql_level_mistakes_have_a_code_too(sessions: Sessions) -> None:
    error = await error_of(sessions, "{ clients { nosuchfield } }")
    assert error.extensions["code"] == "GRAPHQL_VALIDATION"
    assert "nosuchfield" in error.message


async def test_unexpected_failures_are_masked(sessions: Sessions) -> None:
    """A bug never leaks internals: the caller gets INTERNAL and the request ID to quote."""
    from hub.auth import AuthMethod, Principal, Role
    from resolvers.context import Context
    from schema import build_schema

    viewer = Principal("default", Role.VIEWER, "test", None, AuthMethod.JWT)
    ctx = Context.create(
        sessions, tenant_id="default", settings=SETTINGS, request_id="req-9", principal=viewer
    )
    await ctx.session.close()
    ctx.session = None  # type: ignore[assignment]  # every statement now fails inside a resolver
    result = await build_schema().execute("{ clients { totalCount } }", context_value=ctx)
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "INTERNAL", "requestId": "req-9"}
    assert "NoneType" not in result.errors[0].message
