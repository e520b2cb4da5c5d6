"""The demo's seeded firm, with the committed FX rates, answers margin over GraphQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from golden_records.fx_models import FxRate
from golden_records.models import Base, TimeEntryRecord
from hub import bootstrap
from hub.auth.principal import AuthMethod, Principal
from hub.auth.roles import Role
from hub.cli import _seed_demo
from hub.db import create_engine, session_maker
from hub.settings import Settings
from resolvers.context import Context
from schema import build_schema

CONFIG = Path(__file__).resolve().parents[1] / "config"
QUERY = """{ margin(groupBy: [CLIENT, MONTH], from: "2026-01-01", to: "2026-03-31",
  currency: "USD") { clientName month hours labourCost revenue margin } }"""


async def test_demo_seeded_database_answers_margin(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def create_tables(database_url: str) -> None:
        # The models' schema: the Alembic migration is regenerated from them.
        engine = create_engine(database_url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await engine.dispose()

    monkeypatch.setattr(bootstrap, "prepare_database", create_tables)
    settings = Settings(database_url=sqlite_url, config_dir=CONFIG)
    await _seed_demo(settings, seed=7, scale=0.05)

    engine = create_engine(sqlite_url)
    sessions = session_maker(engine)
    try:
        async with sessions() as session:
            rates = await session.scalar(select(func.count()).select_from(FxRate))
            priced = await session.scalar(
                select(func.count()).where(TimeEntryRecord.cost_amount.is_not(None))
            )
        assert rates and priced, "the demo loads FX rates and prices its time"

        principal = Principal(settings.default_tenant, Role.ANALYST, "key:1", 1, AuthMethod.API_KEY)
        async with Context.create(
            sessions, tenant_id=settings.default_tenant, settings=settings, principal=principal
        ) as ctx:
            result = await build_schema().execute(QUERY, context_value=ctx)
    finally:
        await engine.dispose()

    assert result.errors is None, result.errors
    rows: list[dict[str, Any]] = result.data["margin"] if result.data else []
    assert {r["month"] for r in rows} == {"2026-01", "2026-02", "2026-03"}
    assert sum(float(r["labourCost"]) for r in rows) > 0
    assert sum(float(r["revenue"]) for r in rows) > 0
