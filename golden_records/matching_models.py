"""Persistence for incremental matching and stewardship: blocking keys, candidates, never-match.

`NeverMatch` pairs *source record* IDs, not golden IDs: a golden ID changes meaning when it
loses or wins a merge (or comes back after an unmerge), while a source record is always the
same system's copy of the same thing. So a "these two are different" decision keeps holding
whichever golden records the two copies end up in, and follows them through merges and
unmerges without being rewritten.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from golden_records.models import Base, Id, tenant_column


class CandidateStatus(enum.StrEnum):
    OPEN = "OPEN"
    MERGED = "MERGED"
    NOT_A_MATCH = "NOT_A_MATCH"
    SUPERSEDED = "SUPERSEDED"  # one side was merged or changed away before a steward decided


class BlockingKey(Base):
    """One blocking key of one golden record: records are compared only when they share one."""

    __tablename__ = "blocking_keys"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    entity_type: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    golden_id: Mapped[int] = mapped_column(Id)

    __table_args__ = (
        UniqueConstraint("tenant_id", "entity_type", "key", "golden_id"),
        Index("ix_blocking_keys_golden", "tenant_id", "entity_type", "golden_id"),
    )


class MatchCandidate(Base):
    """A likely duplicate pair (score between review and auto-merge) waiting for a steward."""

    __tablename__ = "match_candidates"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    entity_type: Mapped[str] = mapped_column(String(20))
    golden_id_a: Mapped[int] = mapped_column(Id)  # the lower ID of the pair
    golden_id_b: Mapped[int] = mapped_column(Id)
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[list[Any]] = mapped_column(JSON)  # FeatureExplanation rows as dicts
    status: Mapped[str] = mapped_column(String(20), default=CandidateStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    resolution_reason: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (
        Index("ix_match_candidates_queue", "tenant_id", "entity_type", "status", "score"),
        Index("ix_match_candidates_pair", "tenant_id", "entity_type", "golden_id_a", "golden_id_b"),
    )


class NeverMatch(Base):
    """A steward's "not the same": these two source records are never proposed together again."""

    __tablename__ = "never_match"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    entity_type: Mapped[str] = mapped_column(String(20))
    source_record_a: Mapped[int] = mapped_column(Id)  # the lower ID of the pair
    source_record_b: Mapped[int] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (
        UniqueConstraint("tenant_id", "entity_type", "source_record_a", "source_record_b"),
    )


class SourceOrigin(Base):
    """The golden record a source record belonged to before it was first merged away.

    Unmerge uses it to bring the original loser ID back to life, so that a merge followed by
    an unmerge restores both golden records and their crosswalks exactly.
    """

    __tablename__ = "source_origins"

    source_record_id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[str] = tenant_column()
    entity_type: Mapped[str] = mapped_column(String(20))
    golden_id: Mapped[int] = mapped_column(Id)


class MatchBookmark(Base):
    """Up to which golden `updated_at` the incremental matcher has looked, per entity type."""

    __tablename__ = "match_bookmarks"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
