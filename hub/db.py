"""The async SQLAlchemy engine and sessions, for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from golden_records.models import Base

# Modules outside golden_records that add tables to Base.metadata.
_MODEL_MODULES = (
    "hub.models",
    "hub.sync_models",
    "golden_records.fx_models",
    "golden_records.matching_models",
    "hub.outbox_models",
)


def import_all_models() -> None:
    """Import every module that declares tables, so create_all and Alembic see them all."""
    for name in _MODEL_MODULES:
        importlib.import_module(name)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine tuned for its backend: SQLite gets WAL and foreign keys, PostgreSQL a pool."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        # WAL lets readers run beside the one writer; the timeout makes writers queue, not fail.
        kwargs["connect_args"] = {"timeout": 30}
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("use a SQLite file, not :memory:, so every connection sees the data")
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_all(engine: AsyncEngine) -> None:
    """Create every table directly (tests and the demo); production uses Alembic."""
    import_all_models()
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


async def drop_all(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
