"""Tables the sync keeps beside the golden records: one row per run, one bookmark per stream."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from golden_records.models import Base, Id, tenant_column


class SyncRun(Base):
    """One pull of one stream of one system: when, how it went, and what it changed."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    system: Mapped[str] = mapped_column(String(30))
    stream: Mapped[str] = mapped_column(String(60))
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), index=True)  # running, succeeded, failed
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class SyncCursor(Base):
    """The bookmark of a stream: the newest source modification time already synced."""

    __tablename__ = "sync_cursors"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    system: Mapped[str] = mapped_column(String(30))
    stream: Mapped[str] = mapped_column(String(60))
    cursor: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (UniqueConstraint("tenant_id", "system", "stream"),)
