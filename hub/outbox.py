"""The outbox in the database: enqueue with the mutation, claim for a worker, queue views.

Claiming is one UPDATE over a sub-select, so it is atomic on SQLite (one writer at a time) and,
with `FOR UPDATE SKIP LOCKED` on PostgreSQL, lets any number of workers take disjoint rows.
A row is claimed only when every earlier open row for the same record in the same system is
done (writes to one record apply in the order they were accepted) and the row it depends on
(a parent's create) is no longer open. A claim is a lease: a worker that dies leaves its rows
IN_FLIGHT until `claimed_until`, then another worker takes them again; connectors make the
repeat harmless (idempotent creates, token-checked updates).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from golden_records.errors import CrosswalkError, NotFound
from hub.audit import json_value
from hub.outbox_models import EXCEPTION_QUEUE, MutationRequest, WriteBack, WriteBackStatus

OPEN = (WriteBackStatus.PENDING, WriteBackStatus.IN_FLIGHT)


class WriteBackNotRetryable(CrosswalkError):
    code = "WRITE_BACK_NOT_RETRYABLE"


def same_value(a: Any, b: Any) -> bool:
    """Equal as canonical values: '120.00' equals Decimal('120'), a date its ISO string."""
    a, b = json_value(a), json_value(b)
    if a == b:
        return True
    scalar = (str, int, float)
    if isinstance(a, scalar) and isinstance(b, scalar) and not isinstance(a, bool):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except InvalidOperation:
            pass
    if isinstance(a, str) and isinstance(b, str) and "@" in a:  # e-mail addresses
        return a.strip().casefold() == b.strip().casefold()
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        keys = set(a) | set(b)
        return all(same_value(a.get(k), b.get(k)) for k in keys)
    return False


@dataclass(frozen=True, slots=True)
class QueuedWrite:
    """One row to enqueue: a system's share of an accepted mutation."""

    system: str
    entity_type: str
    action: str
    golden_id: int | None
    external_id: str | None
    fields: Mapping[str, Any]
    base: Mapping[str, Any] = field(default_factory=dict)
    depends_on: int | None = None  # index of another QueuedWrite of the same mutation


def now_utc() -> datetime:
    return datetime.now(UTC)


async def enqueue(
    session: AsyncSession,
    mutation: MutationRequest,
    writes: Sequence[QueuedWrite],
) -> list[WriteBack]:
    """Add the rows to `session`: committed with the mutation, or not at all."""
    now = now_utc()
    rows: list[WriteBack] = []
    for write in writes:
        row = WriteBack(
            tenant_id=mutation.tenant_id,
            mutation_id=mutation.id,
            system=write.system,
            entity_type=write.entity_type,
            golden_id=write.golden_id,
            action=write.action,
            external_id=write.external_id,
            fields=json_value(dict(write.fields)),
            base=json_value(dict(write.base)),
            status=WriteBackStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        rows.append(row)
    await session.flush()  # IDs, for dependencies
    for write, row in zip(writes, rows, strict=True):
        if write.depends_on is not None:
            row.depends_on_id = rows[write.depends_on].id
    await session.flush()
    return rows


async def claim(
    session: AsyncSession,
    *,
    worker: str,
    limit: int,
    lease: timedelta,
    tenant_id: str | None = None,
) -> list[int]:
    """Take up to `limit` due rows for `worker` (committing the claim); returns their IDs."""
    now = now_utc()
    earlier, parent = aliased(WriteBack), aliased(WriteBack)
    blocked_by_earlier = exists().where(
        earlier.tenant_id == WriteBack.tenant_id,
        earlier.entity_type == WriteBack.entity_type,
        earlier.golden_id == WriteBack.golden_id,
        earlier.system == WriteBack.system,
        earlier.id < WriteBack.id,
        earlier.status.in_(OPEN),
    )
    parent_open = exists().where(parent.id == WriteBack.depends_on_id, parent.status.in_(OPEN))
    due = (
        select(WriteBack.id)
        .where(
            or_(
                and_(
                    WriteBack.status == WriteBackStatus.PENDING,
                    WriteBack.next_attempt_at <= now,
                ),
                and_(
                    WriteBack.status == WriteBackStatus.IN_FLIGHT,
                    WriteBack.claimed_until < now,
                ),
            ),
            ~blocked_by_earlier,
            ~parent_open,
        )
        .order_by(WriteBack.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if tenant_id is not None:
        due = due.where(WriteBack.tenant_id == tenant_id)
    result = await session.execute(
        update(WriteBack)
        .where(WriteBack.id.in_(due.scalar_subquery()))
        .values(
            status=WriteBackStatus.IN_FLIGHT,
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=WriteBack.attempts + 1,
            updated_at=now,
        )
        .returning(WriteBack.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(result.scalars().all())
    await session.commit()
    return ids


async def outbox_depth(
    sessions: async_sessionmaker[AsyncSession], *statuses: WriteBackStatus
) -> int:
    """Rows in `statuses`, across tenants (the queue-depth gauges of /metrics)."""
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(WriteBack).where(WriteBack.status.in_(statuses))
        )
    return int(count or 0)


async def rows_of(session: AsyncSession, tenant_id: str, mutation_id: int) -> list[WriteBack]:
    return list(
        (
            await session.scalars(
                select(WriteBack)
                .where(WriteBack.tenant_id == tenant_id, WriteBack.mutation_id == mutation_id)
                .order_by(WriteBack.id)
            )
        ).all()
    )


async def wait_for(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    mutation_id: int,
    seconds: float,
    *,
    poll: float = 0.05,
) -> list[WriteBack]:
    """The mutation's rows once none is open any more, or as they are after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        async with sessions() as session:
            rows = await rows_of(session, tenant_id, mutation_id)
        if not any(WriteBackStatus(r.status) in OPEN for r in rows):
            return rows
        if time.monotonic() >= deadline:
            return rows
        await asyncio.sleep(min(poll, max(0.0, deadline - time.monotonic())))
        poll = min(poll * 1.5, 0.5)


async def get_row(session: AsyncSession, tenant_id: str, row_id: int) -> WriteBack:
    row = await session.get(WriteBack, row_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound(f"No write-back with ID {row_id}.", field="id")
    return row


def retry(row: WriteBack) -> None:
    """A steward sends an exception-queue row again, from its first attempt."""
    if WriteBackStatus(row.status) not in EXCEPTION_QUEUE:
        raise WriteBackNotRetryable(
            f"Write-back {row.id} is {row.status}; only FAILED or CONFLICT ones can be retried.",
            field="id",
        )
    now = now_utc()
    row.status = WriteBackStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.claimed_by = row.claimed_until = None
    row.updated_at = now


def discard(row: WriteBack) -> None:
    """A steward gives up on a row: it is never sent (the golden record keeps the source's
    value). An APPLIED row cannot be discarded: the system already holds it."""
    if WriteBackStatus(row.status) in (WriteBackStatus.APPLIED, WriteBackStatus.DISCARDED):
        raise WriteBackNotRetryable(
            f"Write-back {row.id} is {row.status} and cannot be discarded.", field="id"
        )
    if WriteBackStatus(row.status) == WriteBackStatus.IN_FLIGHT:
        raise WriteBackNotRetryable(
            f"Write-back {row.id} is being sent right now; discard it if it fails.", field="id"
        )
    now = now_utc()
    row.status = WriteBackStatus.DISCARDED
    row.claimed_by = row.claimed_until = None
    row.updated_at = now
