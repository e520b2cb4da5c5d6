"""The write-back outbox: accepted mutations and the writes they owe each source system.

A mutation stores its `MutationRequest` and one `WriteBack` row per owning system in the same
transaction as the golden record's version bump, so an accepted change survives any crash. The
worker (hub/outbox_worker.py) sends each row through the system's connector and records what
happened; rows that cannot be applied wait in the exception queue (FAILED or CONFLICT) until a
steward retries or discards them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from golden_records.models import Base, Id, tenant_column


class WriteBackStatus(enum.StrEnum):
    PENDING = "PENDING"  # waiting to be sent, or to be retried at `next_attempt_at`
    IN_FLIGHT = "IN_FLIGHT"  # claimed by a worker until `claimed_until`
    APPLIED = "APPLIED"  # the system confirmed it
    FAILED = "FAILED"  # exception queue: refused by the system, or retries exhausted
    CONFLICT = "CONFLICT"  # exception queue: the field changed at the source meanwhile
    DISCARDED = "DISCARDED"  # a steward gave up on it

    @property
    def is_final(self) -> bool:
        return self in (WriteBackStatus.APPLIED, WriteBackStatus.DISCARDED)

    @property
    def is_open(self) -> bool:
        """Still owed to the system: the worker will (or may yet) send it."""
        return self in (WriteBackStatus.PENDING, WriteBackStatus.IN_FLIGHT)


EXCEPTION_QUEUE = (WriteBackStatus.FAILED, WriteBackStatus.CONFLICT)


class MutationRequest(Base):
    """One accepted mutation. Its idempotency key makes a client's retry return this one
    instead of writing again; `request_hash` tells a retry from a different request."""

    __tablename__ = "mutation_requests"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    operation: Mapped[str] = mapped_column(String(60))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None)
    request_hash: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(20))
    golden_id: Mapped[int] = mapped_column(Id)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("tenant_id", "idempotency_key"),)


class WriteBack(Base):
    """One system's share of a mutation: which fields to write to which record."""

    __tablename__ = "write_backs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = tenant_column()
    mutation_id: Mapped[int] = mapped_column(Id, ForeignKey("mutation_requests.id"), index=True)
    system: Mapped[str] = mapped_column(String(30))
    entity_type: Mapped[str] = mapped_column(String(20))
    # None until the system confirms a record the hub has no golden record for yet (a new
    # payroll cost rate); the worker then creates it.
    golden_id: Mapped[int | None] = mapped_column(Id, default=None)
    action: Mapped[str] = mapped_column(String(10))  # create, update
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # canonical attribute -> value (JSON-safe; references as golden IDs)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    # the source's values of those fields when the mutation was accepted: a stale token is
    # re-applied only if the source still holds these
    base: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    depends_on_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("write_backs.id"), default=None
    )
    status: Mapped[str] = mapped_column(String(12), default=WriteBackStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(80), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    __table_args__ = (
        # what the worker's claim scans: due rows, oldest first
        Index("ix_write_backs_due", "status", "next_attempt_at"),
        Index("ix_write_backs_tenant_status", "tenant_id", "status", "id"),
        Index("ix_write_backs_record", "tenant_id", "entity_type", "golden_id", "system"),
    )

    @property
    def state(self) -> WriteBackStatus:
        return WriteBackStatus(self.status)
