"""Alembic migrations build exactly the schema the models declare, on every backend."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from golden_records.models import Base
from hub.db import create_engine, import_all_models
from hub.migrate import upgrade_async


def _differences(sync_conn: Connection) -> list[Any]:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_head_matches_models(empty_database_url: str) -> None:
    await upgrade_async(empty_database_url)
    import_all_models()
    engine = create_engine(empty_database_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert {"tenants", "clients", "projects", "resources", "source_records"} <= tables
    assert differences == [], f"models and migrations disagree: {differences}"


async def test_upgrade_is_repeatable(empty_database_url: str) -> None:
    await upgrade_async(empty_database_url)
    await upgrade_async(empty_database_url)  # a second run finds nothing to do, and no error
