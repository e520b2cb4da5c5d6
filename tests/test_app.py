"""The assembled app: probes, the GraphiQL page, and what answers without credentials."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.app import create_app
from hub.settings import Settings

HTML = {"Accept": "text/html"}
DEMO_KEY = "cwk_graphiqltest_" + "k" * 43


def client(engine: AsyncEngine, **kwargs: str) -> httpx.AsyncClient:
    app = create_app(Settings(), engine=engine, **kwargs)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub")


async def test_probes_answer_without_credentials(engine: AsyncEngine) -> None:
    async with client(engine) as http:
        health = await http.get("/healthz")
        metrics = await http.get("/metrics")
    assert health.json() == {"status": "ok"}
    assert metrics.status_code == 200
    assert "crosswalk_graphql_requests" in metrics.text


async def test_graphiql_needs_credentials_outside_the_demo(engine: AsyncEngine) -> None:
    async with client(engine) as http:
        page = await http.get("/graphql", headers=HTML)
    assert page.status_code == 401
    assert page.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_demos_graphiql_page_opens_and_sends_its_key(engine: AsyncEngine) -> None:
    async with client(engine, graphiql_api_key=DEMO_KEY) as http:
        page = await http.get("/graphql", headers=HTML)
        query = await http.post("/graphql", json={"query": "{ me { role } }"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert f'"Authorization": "Bearer {DEMO_KEY}"' in page.text
    # The page is the only thing served without a key: queries still need one.
    assert query.status_code == 401
