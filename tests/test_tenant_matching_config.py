"""Matching thresholds and survivorship from the tenant file: validated at start-up, and used
wherever golden records are built for the tenant (refresh, `crosswalk match`, the stewards'
merge and unmerge, the sync schedule)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from api_fixtures import SETTINGS, gid
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_golden_store import NEW, OLD, add_source
from typer.testing import CliRunner

from connectors.base import Connector, RetryPolicy
from connectors.sandbox.apps import CREDENTIALS, create_sandbox_apps, mount_sandbox
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.render import render_firm
from golden_records.canonical import EntityType
from golden_records.errors import ConfigurationError
from golden_records.matching_models import MatchCandidate
from golden_records.models import ClientRecord, Lineage, SourceRecord, Tenant
from golden_records.survivorship import Strategy
from hub.auth import AuthMethod, Principal, Role
from hub.cli import app
from hub.db import create_all, create_engine, session_maker
from hub.refresh import refresh_golden_records
from hub.sync import tenant_connectors
from hub.sync_schedule import SyncSchedule
from hub.tenants import TenantConfig, TenantRegistry, load_tenant_config
from resolvers.context import Context
from schema import build_schema

Sessions = async_sessionmaker[AsyncSession]
SCHEMA = build_schema()
TAX_ID = "12-3456789"


def tenant(tenant_id: str, **sections: Any) -> TenantConfig:
    return TenantConfig.model_validate({"id": tenant_id, "display_name": tenant_id, **sections})


def write(tmp_path: Path, name: str, body: dict[str, Any]) -> Path:
    path = tmp_path / "tenants" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(body))
    return path


async def add_tenant(sessions: Sessions, tenant_id: str) -> None:
    async with sessions() as session, session.begin():
        session.add(Tenant(id=tenant_id, name=tenant_id))


# --- the sections ------------------------------------------------------------------------


def test_sections_override_the_defaults_and_follow_the_tenant_ownership(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "acme",
        {
            "ownership": {"client": {"website": "quickbooks"}},
            "matching": {"client": {"auto_merge": 0.95, "review": 0.75}},
            "survivorship": {
                "client": {"industry": ["most_frequent", "MOST_RECENT"]},
                "resource": {"title": ["most_complete"]},
            },
        },
    )
    config = load_tenant_config(path, environ={})

    client = config.matching_config().for_entity("client")
    assert (client.auto_merge, client.review) == (0.95, 0.75)
    assert client.weights["tax_id"] > 0  # weights not given keep the defaults
    default = TenantConfig.default("x").matching_config()
    assert config.matching_config().for_entity("resource") == default.for_entity("resource")

    rules = config.survivorship_config()
    assert rules.strategies("client", "industry") == (Strategy.MOST_FREQUENT, Strategy.MOST_RECENT)
    assert rules.strategies("resource", "title") == (Strategy.MOST_COMPLETE,)
    assert rules.strategies("resource", "skills") == (Strategy.UNION,)  # default rule kept
    assert rules.owner("client", "website") == "quickbooks"  # the tenant's table, not the default
    assert TenantConfig.default("x").survivorship_config().owner("client", "website") == (
        "salesforce"
    )


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"matching": {"client": {"auto_merge": 0.7, "review": 0.8}}}, "matching.client: review"),
        ({"matching": {"client": {"review": 0.9}}}, "matching.client: review threshold 0.9"),
        ({"matching": {"client": {"auto_merge": 1.5}}}, "matching.client.auto_merge: Input"),
        ({"matching": {"project": {"review": 0}}}, "matching.project.review: Input should be"),
        ({"matching": {"client": {"automerge": 0.9}}}, "matching.client.automerge: Extra"),
        ({"matching": {"invoice": {"review": 0.5}}}, "matching.invoice: no matching"),
        ({"matching": {"client": 0.9}}, "matching.client"),
        (
            {"survivorship": {"client": {"website": ["newest"]}}},
            "survivorship.client.website: unknown strategy 'newest'",
        ),
        (
            {"survivorship": {"client": {"webside": ["most_recent"]}}},
            "survivorship.client.webside: unknown attribute of client",
        ),
        ({"survivorship": {"galaxy": {"x": ["min"]}}}, "survivorship.galaxy: unknown entity"),
        ({"survivorship": {"client": {"website": []}}}, "survivorship.client.website: expected"),
        ({"survivorship": {"client": ["union"]}}, "survivorship.client: expected a mapping"),
    ],
)
def test_invalid_sections_name_the_file_and_the_field(
    tmp_path: Path, sections: dict[str, Any], expected: str
) -> None:
    path = write(tmp_path, "acme", sections)
    with pytest.raises(ConfigurationError) as raised:
        load_tenant_config(path, environ={})
    assert str(path) in raised.value.message
    assert expected in raised.value.message


def test_every_broken_section_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "acme",
        {
            "ownership": {"client": {"parnt": "quickbooks"}},
            "matching": {"resource": {"review": 2}},
            "survivorship": {"client": {"website": ["newest"]}},
        },
    )
    with pytest.raises(ConfigurationError) as raised:
        TenantRegistry.load(tmp_path)
    message = raised.value.message
    assert str(path) in message
    for field in ("ownership.client.parnt", "matching.resource.review", "survivorship.client"):
        assert field in message


# --- matching thresholds -----------------------------------------------------------------


async def _near_duplicates(sessions: Sessions, tenant_id: str) -> tuple[int, int]:
    """Two clients the default thresholds merge (score about 0.97: a typo in the name)."""
    async with sessions() as session, session.begin():
        a = await add_source(
            session,
            "client",
            "salesforce",
            "001A",
            {"name": "Acme Consulting", "website": "https://acme.example"},
            tenant=tenant_id,
        )
        b = await add_source(
            session,
            "client",
            "quickbooks",
            "58",
            {"name": "Acme Consultng", "website": "www.acme.example"},
            tenant=tenant_id,
        )
    return a, b


async def test_a_raised_auto_merge_threshold_queues_what_the_default_merges(
    sessions: Sessions,
) -> None:
    strict = tenant("strict", matching={"client": {"auto_merge": 0.99, "review": 0.7}})
    await add_tenant(sessions, "strict")
    default_pair = await _near_duplicates(sessions, "default")
    strict_pair = await _near_duplicates(sessions, "strict")

    by_default = await refresh_golden_records(sessions, "default")
    by_file = await refresh_golden_records(sessions, "strict", tenant=strict)

    client_default = next(r for r in by_default if r.entity_type == "client")
    client_strict = next(r for r in by_file if r.entity_type == "client")
    assert client_default.merges == [default_pair]
    assert (client_strict.merged, client_strict.candidates) == (0, 1)
    async with sessions() as session:
        queued = list(await session.scalars(select(MatchCandidate)))
        assert [(c.tenant_id, c.golden_id_a, c.golden_id_b) for c in queued] == [
            ("strict", *strict_pair)
        ]
        assert 0.7 <= queued[0].score < 0.99


# --- survivorship ------------------------------------------------------------------------


async def _same_client_two_websites(sessions: Sessions, tenant_id: str) -> dict[str, int]:
    """The CRM's old website and the ERP's newer one, on records that auto-merge."""
    async with sessions() as session, session.begin():
        for system, external_id, website, updated in (
            ("salesforce", "001A", "https://acme.example", OLD),
            ("quickbooks", "58", "https://www.acme.example/en", NEW),
        ):
            await add_source(
                session,
                "client",
                system,
                external_id,
                {"name": "Acme Consulting", "website": website, "tax_id": TAX_ID},
                updated=updated,
                tenant=tenant_id,
            )
        rows = await session.execute(
            select(SourceRecord.system, SourceRecord.id).where(SourceRecord.tenant_id == tenant_id)
        )
        return {system: pk for system, pk in rows}


async def _website(sessions: Sessions, tenant_id: str) -> tuple[str | None, int | None, str]:
    """The golden website, and its lineage: source record and rule."""
    async with sessions() as session:
        golden = await session.scalar(
            select(ClientRecord).where(
                ClientRecord.tenant_id == tenant_id, ClientRecord.merged_into_id.is_(None)
            )
        )
        assert golden is not None
        lineage = await session.scalar(
            select(Lineage).where(
                Lineage.tenant_id == tenant_id,
                Lineage.golden_id == golden.id,
                Lineage.attribute == "website",
            )
        )
        assert lineage is not None
        return golden.website, lineage.source_record_id, lineage.rule


@pytest.mark.parametrize(
    ("sections", "system", "website", "rule"),
    [
        ({}, "salesforce", "https://acme.example", "OWNING_SYSTEM"),
        (
            {"survivorship": {"client": {"website": ["most_recent", "most_complete"]}}},
            "quickbooks",
            "https://www.acme.example/en",
            "MOST_RECENT",
        ),
        (
            {"ownership": {"client": {"website": "quickbooks"}}},
            "quickbooks",
            "https://www.acme.example/en",
            "OWNING_SYSTEM",
        ),
        (
            {"survivorship": {"client": {"website": ["min"]}}},
            "salesforce",
            "https://acme.example",
            "MIN",
        ),
    ],
)
async def test_auto_merge_uses_the_tenant_survivorship(
    sessions: Sessions, sections: dict[str, Any], system: str, website: str, rule: str
) -> None:
    await add_tenant(sessions, "acme")
    sources = await _same_client_two_websites(sessions, "acme")
    results = await refresh_golden_records(sessions, "acme", tenant=tenant("acme", **sections))
    assert next(r for r in results if r.entity_type == "client").merged == 1
    assert await _website(sessions, "acme") == (website, sources[system], rule)


MERGE = """
mutation ($ids: [ID!]!, $survivor: ID!) {
  mergeRecords(input: {ids: $ids, survivorId: $survivor, reason: "same firm"}) {
    record { id ... on Client { website } }
    errors { code }
  }
}"""

UNMERGE = """
mutation {
  unmergeSourceRecord(input: {entityType: CLIENT, reason: "not the same",
                              ref: {system: "quickbooks", externalId: "58"}}) {
    record { id ... on Client { website } }
    previous { id ... on Client { website } }
    errors { code }
  }
}"""


async def _as_steward(
    sessions: Sessions, config: TenantConfig, query: str, **variables: Any
) -> Any:
    principal = Principal(config.id, Role.STEWARD, "steward", None, AuthMethod.JWT)
    ctx = Context.create(
        sessions, tenant_id=config.id, settings=SETTINGS, principal=principal, tenant=config
    )
    try:
        result = await SCHEMA.execute(query, variable_values=variables, context_value=ctx)
    finally:
        await ctx.close()
    assert result.errors is None, result.errors
    return result.data


async def test_steward_merge_and_unmerge_use_the_tenant_survivorship(sessions: Sessions) -> None:
    await add_tenant(sessions, "acme")
    config = tenant("acme", survivorship={"client": {"website": ["most_recent"]}})
    sources = await _same_client_two_websites(sessions, "acme")
    async with sessions() as session:
        ids = sorted(await session.scalars(select(ClientRecord.id)))
    merged = await _as_steward(
        sessions, config, MERGE, ids=[gid("Client", i) for i in ids], survivor=gid("Client", ids[0])
    )
    assert merged["mergeRecords"] == {
        "record": {"id": gid("Client", ids[0]), "website": "https://www.acme.example/en"},
        "errors": [],
    }
    assert await _website(sessions, "acme") == (
        "https://www.acme.example/en",
        sources["quickbooks"],
        "MOST_RECENT",
    )
    # Split the ERP's copy out: the CRM's record is recomputed with the same rules.
    split = (await _as_steward(sessions, config, UNMERGE))["unmergeSourceRecord"]
    assert split["errors"] == []
    assert split["previous"]["website"] == "https://acme.example"
    assert split["record"]["website"] == "https://www.acme.example/en"


# --- the sync schedule and `crosswalk match` ---------------------------------------------

FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01, max_retry_after=0.01)


def _fast_connectors(http: httpx.AsyncClient, config: TenantConfig) -> list[Connector]:
    return tenant_connectors(http, config, retry=FAST)


async def test_the_sync_schedule_builds_golden_records_with_the_tenant_file(
    sessions: Sessions,
) -> None:
    """Client names belong to the CRM by default; this firm's file gives them to the ERP."""
    sandbox = mount_sandbox(create_sandbox_apps(render_firm(generate_firm(3, 0.03), 3)))
    config = tenant(
        "default",
        systems={
            name: {"base_url": f"http://sandbox/{name}", "credentials": CREDENTIALS[name]}
            for name in ("salesforce", "quickbooks")
        },
        ownership={"client": {"name": "quickbooks"}},
    )
    schedule = SyncSchedule(
        sessions,
        TenantRegistry({config.id: config}),
        60,
        connectors=_fast_connectors,
        http_options={"transport": httpx.ASGITransport(app=sandbox)},
    )
    await schedule.sync_tenant(config)
    async with sessions() as session:
        rows = (
            await session.execute(
                select(SourceRecord.golden_id, SourceRecord.system, SourceRecord.id).where(
                    SourceRecord.entity_type == EntityType.CLIENT.value
                )
            )
        ).all()
        by_golden: dict[int, dict[str, int]] = {}
        for golden_id, system, pk in rows:
            by_golden.setdefault(golden_id, {})[system] = pk
        both = {g: s for g, s in by_golden.items() if len(s) == 2}
        assert both, "some clients are in both systems and were merged"
        name_lineage = {
            line.golden_id: (line.source_record_id, line.rule)
            for line in await session.scalars(
                select(Lineage).where(
                    Lineage.entity_type == EntityType.CLIENT.value,
                    Lineage.attribute == "name",
                    Lineage.golden_id.in_(both),
                )
            )
        }
    assert name_lineage == {g: (s["quickbooks"], "OWNING_SYSTEM") for g, s in both.items()}


runner = CliRunner()


def test_crosswalk_match_reads_the_tenant_file(tmp_path: Path, sqlite_url: str) -> None:
    async def prepare() -> None:
        engine = create_engine(sqlite_url)
        await create_all(engine)
        sessions = session_maker(engine)
        await add_tenant(sessions, "strict")
        await _near_duplicates(sessions, "strict")
        await engine.dispose()

    asyncio.run(prepare())
    env = {
        "CROSSWALK_DATABASE_URL": sqlite_url,
        "CROSSWALK_CONFIG_DIR": str(tmp_path),
        "COLUMNS": "200",
    }
    broken = write(tmp_path, "strict", {"matching": {"client": {"review": 0.99}}})
    result = runner.invoke(app, ["match", "--tenant", "strict"], env=env)
    assert result.exit_code == 2
    assert str(broken) in result.output and "matching.client" in result.output

    write(tmp_path, "strict", {"matching": {"client": {"auto_merge": 0.99, "review": 0.7}}})
    result = runner.invoke(app, ["match", "--tenant", "strict", "--entity", "client"], env=env)
    assert result.exit_code == 0, result.output
    assert "Merged 0 duplicates and queued 1 candidates" in result.output
