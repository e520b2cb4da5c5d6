"""The margin CSV (HTTP and CLI) carries exactly the rows GraphQL `margin(...)` returns."""

from __future__ import annotations

import asyncio
import csv
import io
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send
from test_margin_fixture import ACME, P2, T, load_small_firm
from typer.testing import CliRunner

from golden_records.margin import MarginGroupBy
from golden_records.models import Base, Tenant
from hub.auth.principal import AuthMethod, Principal
from hub.auth.roles import Role
from hub.cli_export import app as export_cli
from hub.db import create_engine, session_maker
from hub.export import margin_export_route
from hub.settings import Settings
from resolvers.context import Context
from resolvers.global_ids import encode_global_id
from schema import build_schema
from schema.margin import client_margin, project_margin

Sessions = async_sessionmaker[AsyncSession]
PROJECT_ID = encode_global_id("Project", 1)

FIELDS = (
    "clientId clientName projectId projectName resourceId resourceName department month currency "
    "hours billableHours uncostedHours unpricedHours labourCost revenue margin marginPct billed "
    "unbilled utilisation"
).split()


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


SCHEMA = build_schema()


def caller(role: Role) -> Principal:
    return Principal(T, role, "key:1", 1, AuthMethod.API_KEY)


@pytest.fixture
async def firm(sessions: Sessions) -> Sessions:
    await load_small_firm(sessions)
    return sessions


async def graphql(sessions: Sessions, query: str, role: Role = Role.ANALYST) -> Any:
    async with Context.create(
        sessions, tenant_id=T, settings=Settings(), principal=caller(role)
    ) as ctx:
        return await SCHEMA.execute(query, context_value=ctx)


async def graphql_rows(sessions: Sessions, arguments: str) -> list[dict[str, Any]]:
    result = await graphql(sessions, f"{{ margin({arguments}) {{ {' '.join(FIELDS)} }} }}")
    assert result.errors is None, result.errors
    assert result.data is not None
    rows: list[dict[str, Any]] = result.data["margin"]
    return rows


class WithPrincipal:
    """Stands in for the authentication middleware: puts a caller into the scope."""

    def __init__(self, app: Starlette, role: Role) -> None:
        self.app = app
        self.principal = caller(role)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["crosswalk.principal"] = self.principal
        await self.app(scope, receive, send)


async def get_csv(
    sessions: Sessions, query: str, role: Role | None = Role.ANALYST
) -> httpx.Response:
    app: Any = Starlette(routes=[margin_export_route(sessions, Settings())])
    if role is not None:
        app = WithPrincipal(app, role)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        return await client.get(f"/export/margin.csv?{query}")


def as_csv_cells(row: dict[str, Any], columns: list[str]) -> dict[str, str]:
    cells = {snake(k): "" if v is None else str(v) for k, v in row.items()}
    return {c: cells[c] for c in columns}


@pytest.mark.parametrize(
    ("group_by", "extra"),
    [
        ("CLIENT,MONTH", ""),
        ("RESOURCE,PROJECT", ""),
        ("DEPARTMENT", ""),
        ("", ""),
        ("PROJECT,MONTH", f"&clientIds={encode_global_id('Client', ACME)}"),
    ],
)
async def test_csv_rows_equal_graphql_rows(firm: Sessions, group_by: str, extra: str) -> None:
    response = await get_csv(
        firm, f"groupBy={group_by}&from=2026-01-01&to=2026-02-28&currency=USD{extra}"
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))

    dims = ", ".join(g for g in group_by.split(",") if g)
    filter_arg = f', filter: {{clientIds: ["{encode_global_id("Client", ACME)}"]}}' if extra else ""
    rows = await graphql_rows(
        firm,
        f'groupBy: [{dims}], from: "2026-01-01", to: "2026-02-28", currency: "USD"' + filter_arg,
    )

    assert rows, "the fixture has data in the period"
    columns = list(table[0].keys()) if table else []
    assert [as_csv_cells(r, columns) for r in rows] == table


async def test_csv_header_follows_group_by_order(firm: Sessions) -> None:
    response = await get_csv(
        firm, "groupBy=MONTH,CLIENT&from=2026-01-01&to=2026-01-31&currency=USD"
    )

    lines = response.text.splitlines()
    assert lines[0].startswith("month,client_id,client_name,currency,hours,")
    assert lines[0].endswith(",billed,unbilled,utilisation")
    assert len(lines) == 3  # Acme and Berlin in January


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("groupBy=CLIENT,WEEK&from=2026-01-01&to=2026-01-31&currency=USD", "groupBy"),
        ("groupBy=CLIENT&from=2026-01-01&to=2026-01-31", "currency"),
        ("groupBy=CLIENT&from=2026-31-01&to=2026-01-31&currency=USD", "from"),
        ("groupBy=CLIENT&from=2026-02-01&to=2026-01-31&currency=USD", "from"),
        ("groupBy=CLIENT&to=2026-01-31&currency=USD", "from"),
        ("groupBy=CLIENT&from=2026-01-01&to=2026-01-31&currency=DOLLARS", "currency"),
        ("groupBy=CLIENT,CLIENT&from=2026-01-01&to=2026-01-31&currency=USD", "groupBy"),
        ("from=2026-01-01&to=2026-01-31&currency=USD&clientIds=nonsense", "clientIds"),
        (f"from=2026-01-01&to=2026-01-31&currency=USD&clientIds={PROJECT_ID}", "clientIds"),
    ],
)
async def test_bad_parameters_are_400_naming_the_parameter(
    sessions: Sessions, query: str, field: str
) -> None:
    response = await get_csv(sessions, query)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field
    assert error["message"]


async def test_missing_fx_rate_is_422_naming_currency_and_date(firm: Sessions) -> None:
    response = await get_csv(firm, "groupBy=CLIENT&from=2026-01-01&to=2026-01-31&currency=GBP")

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "MISSING_FX_RATE"
    assert "2026-01-05" in error["message"]


async def test_margins_need_the_read_cost_permission(firm: Sessions) -> None:
    query = "groupBy=CLIENT&from=2026-01-01&to=2026-01-31&currency=USD"

    assert (await get_csv(firm, query, Role.VIEWER)).status_code == 403
    assert (await get_csv(firm, query, Role.ANALYST)).status_code == 200
    # Behind the app's authentication middleware this cannot happen; the endpoint still refuses.
    assert (await get_csv(firm, query, None)).status_code == 401


async def test_a_viewer_gets_a_forbidden_error_on_every_margin_field(firm: Sessions) -> None:
    args = 'from: "2026-01-01", to: "2026-01-31", currency: "USD"'
    query = (
        f"{{ margin({args}, groupBy: [CLIENT]) {{ revenue }} "
        f"clients(first: 1) {{ edges {{ node {{ name margin({args}) {{ revenue }} }} }} }} }}"
    )

    result = await graphql(firm, query, Role.VIEWER)

    assert result.errors is not None
    codes = {(tuple(e.path), e.extensions["code"]) for e in result.errors}
    assert codes == {
        (("margin",), "FORBIDDEN"),
        (("clients", "edges", 0, "node", "margin"), "FORBIDDEN"),
    }
    # The rest of the answer survives the refusal.
    assert result.data["margin"] is None
    assert result.data["clients"]["edges"][0]["node"]["name"]


async def test_margin_fields_on_client_project_and_resource(firm: Sessions) -> None:
    args = 'from: "2026-01-01", to: "2026-01-31", currency: "USD"'
    ids = {
        "client": encode_global_id("Client", ACME),
        "project": PROJECT_ID,
        "resource": encode_global_id("Resource", 1),
    }
    for field, id_ in ids.items():
        query = f'{{ node(id: "{id_}") {{ ... on {field.title()} {{ margin({args}) {{ '
        query += "hours labourCost revenue } } } }"
        result = await graphql(firm, query)
        assert result.errors is None, result.errors
        (row,) = result.data["node"]["margin"]
        # Acme as in test_margin; P1: entries 1, 2, 4, 6 (320+400+300+60); Alice: 1, 2, 3.
        expected = {
            "client": ("38.00", "1460.00", "8600.00"),
            "project": ("28.00", "1080.00", "3600.00"),
            "resource": ("20.00", "920.00", "2400.00"),
        }[field]
        assert (row["hours"], row["labourCost"], row["revenue"]) == expected


async def test_lower_case_currency_means_the_same_in_graphql_and_csv(firm: Sessions) -> None:
    upper = await graphql_rows(
        firm, 'groupBy: [CLIENT], from: "2026-01-01", to: "2026-01-31", currency: "USD"'
    )
    lower = await graphql_rows(
        firm, 'groupBy: [CLIENT], from: "2026-01-01", to: "2026-01-31", currency: "eur"'
    )
    response = await get_csv(firm, "groupBy=CLIENT&from=2026-01-01&to=2026-01-31&currency=eur")

    assert {r["currency"] for r in upper} == {"USD"}
    assert {r["currency"] for r in lower} == {"EUR"}
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [as_csv_cells(r, list(table[0].keys())) for r in lower] == table


async def test_entity_margin_fields(firm: Sessions) -> None:
    async with Context.create(firm, tenant_id=T, settings=Settings()) as ctx:
        info: Any = SimpleNamespace(context=ctx)
        (acme,) = (
            await client_margin(SimpleNamespace(pk=ACME), info, _jan(1), _jan(31), "USD") or []
        )
        months = (
            await project_margin(
                SimpleNamespace(pk=P2), info, _jan(1), _jan(31), "USD", [MarginGroupBy.MONTH]
            )
            or []
        )

    # Same figures as test_margin's Acme row; P2 is the fixed-fee project.
    assert (acme.revenue, acme.labour_cost, acme.client_id) == (8600, 1460, None)
    assert [(m.month, m.revenue, m.labour_cost) for m in months] == [("2026-01", 5000, 180)]


def _jan(day: int) -> Any:
    from test_margin_fixture import jan

    return jan(day)


def test_cli_writes_the_same_csv(
    sqlite_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def seed() -> None:
        engine = create_engine(sqlite_url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        sessions = session_maker(engine)
        async with sessions() as session, session.begin():
            session.add(Tenant(id=T, name="Test"))
        await load_small_firm(sessions)
        response = await get_csv(
            sessions, "groupBy=CLIENT,MONTH&from=2026-01-01&to=2026-01-31&currency=USD"
        )
        (tmp_path / "http.csv").write_bytes(response.content)
        await engine.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("CROSSWALK_DATABASE_URL", sqlite_url)
    out = tmp_path / "cli.csv"
    args = ["--group-by", "CLIENT,MONTH", "--from", "2026-01-01", "--to", "2026-01-31"]
    result = CliRunner().invoke(export_cli, [*args, "--currency", "USD", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (tmp_path / "http.csv").read_bytes()

    stdout = CliRunner().invoke(export_cli, [*args, "--currency", "XXX"])
    assert stdout.exit_code == 2
    assert "MISSING_FX_RATE" in stdout.output
