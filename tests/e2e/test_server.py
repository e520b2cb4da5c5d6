"""The real thing: `crosswalk demo --no-serve` seeds, `crosswalk serve` answers over HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e


def graphql(server: Server, query: str, **variables: object) -> dict:
    response = httpx.post(
        f"{server.base_url}/graphql",
        json={"query": query, "variables": variables},
        headers=server.headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_healthz_answers(serve: Server) -> None:
    assert httpx.get(f"{serve.base_url}/healthz").json() == {"status": "ok"}


def test_clients_over_http(serve: Server) -> None:
    body = graphql(
        serve,
        "query($n: Int!) { clients(first: $n) { totalCount edges { cursor node { id name "
        "crosswalks { system externalId } projects { name } } } pageInfo { hasNextPage } } }",
        n=5,
    )
    assert "errors" not in body, body
    clients = body["data"]["clients"]
    assert clients["totalCount"] > 5
    assert len(clients["edges"]) == 5
    assert clients["pageInfo"]["hasNextPage"] is True
    first = clients["edges"][0]["node"]
    assert first["name"]
    assert first["crosswalks"], "every synced client knows its source system's ID"
    # The demo syncs over HTTP from every system holding clients (CRM, PSA and ERP).
    everything = graphql(
        serve, "{ clients(first: 500) { edges { node { crosswalks { system } } } } }"
    )
    systems = {
        c["system"]
        for edge in everything["data"]["clients"]["edges"]
        for c in edge["node"]["crosswalks"]
    }
    assert systems >= {"salesforce", "harvest", "quickbooks"}


def test_lookup_by_system_id_round_trips(serve: Server) -> None:
    listing = graphql(
        serve, "{ clients(first: 1) { edges { node { id crosswalks { system externalId } } } } }"
    )
    node = listing["data"]["clients"]["edges"][0]["node"]
    ref = node["crosswalks"][0]
    found = graphql(
        serve,
        "query($sys: String!, $ext: String!) "
        "{ client(ref: {system: $sys, externalId: $ext}) { id } }",
        sys=ref["system"],
        ext=ref["externalId"],
    )
    assert found["data"]["client"]["id"] == node["id"]


def test_graphql_refuses_callers_without_credentials(serve: Server) -> None:
    response = httpx.post(f"{serve.base_url}/graphql", json={"query": "{ clients { totalCount } }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_bad_input_is_a_clear_graphql_error_not_a_500(serve: Server) -> None:
    body = graphql(serve, '{ node(id: "not-a-real-id") { id } }')
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"


def test_the_demos_sync_runs_are_listed(serve: Server) -> None:
    body = graphql(
        serve, "{ syncRuns(first: 100) { totalCount edges { node { system stream status } } } }"
    )
    assert "errors" not in body, body
    runs = [e["node"] for e in body["data"]["syncRuns"]["edges"]]
    assert {r["system"] for r in runs} == {
        "salesforce",
        "harvest",
        "quickbooks",
        "bamboohr",
        "gusto",
    }
    assert {r["status"] for r in runs} == {"SUCCEEDED"}
