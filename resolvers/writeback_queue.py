"""The outbox as stewards see it: list, retry, discard; and the tenant's ownership table.

Rows are always the caller's tenant's: another tenant's write-back IDs are simply not found.
Retry and discard write an audit entry in the same transaction as the change.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from golden_records.canonical import EntityType
from golden_records.errors import InvalidCursor, InvalidId, ValidationFailed
from hub import audit
from hub import outbox as store
from hub.outbox_models import WriteBack, WriteBackStatus
from hub.tenants import known_attributes
from resolvers.admin import principal
from resolvers.pagination import page_size

if TYPE_CHECKING:
    from resolvers.context import Context

TYPE = "WriteBack"
MAX_REASON = 2000
# The entity types a caller writes through the API, in the order the table lists them.
WRITABLE_TYPES = (EntityType.CLIENT, EntityType.PROJECT, EntityType.RESOURCE, EntityType.COST_RATE)


@dataclass(frozen=True, slots=True)
class WriteBackPage:
    rows: list[WriteBack]
    has_next_page: bool
    total_count: int


@dataclass(frozen=True, slots=True)
class Rule:
    entity_type: EntityType
    attribute: str
    owner: str  # a system, or "hub"
    strategies: tuple[str, ...]


def encode_id(pk: int) -> str:
    return base64.b64encode(f"{TYPE}:{pk}".encode()).decode()


def decode_id(value: str, *, field: str = "id") -> int:
    try:
        kind, _, pk = base64.b64decode(value.encode(), validate=True).decode().partition(":")
        if kind == TYPE and int(pk) > 0:
            return int(pk)
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise InvalidId(f"{value!r} is not a write-back ID; use the `id` of a WriteBack.", field=field)


def cursor(row: WriteBack) -> str:
    return base64.b64encode(f"wb:{row.id}".encode()).decode()


def _after(value: str) -> int:
    try:
        kind, _, pk = base64.b64decode(value.encode(), validate=True).decode().partition(":")
        if kind == "wb":
            return int(pk)
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise InvalidCursor(f"{value!r} is not a cursor of this list.", field="after")


async def write_backs(
    ctx: Context,
    *,
    statuses: Sequence[WriteBackStatus] | None,
    system: str | None,
    first: int | None,
    after: str | None,
) -> WriteBackPage:
    """Newest first; `statuses` [FAILED, CONFLICT] is the exception queue."""
    limit = page_size(first, ctx.settings)
    where = [WriteBack.tenant_id == ctx.tenant_id]
    if statuses:
        where.append(WriteBack.status.in_([s.value for s in statuses]))
    if system is not None:
        where.append(WriteBack.system == system)
    total = int(await ctx.scalar(select(func.count()).select_from(WriteBack).where(*where)) or 0)
    stmt = select(WriteBack).where(*where)
    if after is not None:
        stmt = stmt.where(WriteBack.id < _after(after))
    rows = [r[0] for r in await ctx.execute(stmt.order_by(WriteBack.id.desc()).limit(limit + 1))]
    return WriteBackPage(rows=rows[:limit], has_next_page=len(rows) > limit, total_count=total)


def _reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").strip()
    if required and not text:
        raise ValidationFailed("Say why, for the audit log.", field="reason")
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"A reason is at most {MAX_REASON} characters.", field="reason")
    return text or None


async def _act(
    ctx: Context,
    global_id: str,
    why: str | None,
    action: str,
    change: Callable[[WriteBack], None],
) -> WriteBack:
    """Apply a steward's `change` to one of the tenant's rows, with its audit entry."""
    caller = principal(ctx)
    pk = decode_id(global_id)
    async with ctx.writing() as session:
        row = await store.get_row(session, ctx.tenant_id, pk)
        before = {"status": row.status, "error": row.last_error, "write_back": row.id}
        change(row)
        audit.record(
            session,
            tenant_id=ctx.tenant_id,
            actor=caller.subject,
            actor_role=caller.role.value,
            action=action,
            entity_type=row.entity_type,
            entity_id=row.golden_id,
            reason=why,
            before=before,
            after={"status": row.status, "write_back": row.id},
            request_id=ctx.request_id,
            only_changes=False,
        )
    return row


async def retry(ctx: Context, global_id: str, reason: str | None) -> WriteBack:
    """Send an exception-queue row again, from a first attempt."""
    row = await _act(
        ctx, global_id, _reason(reason, required=False), "write_back.retry", store.retry
    )
    if ctx.outbox_wakeup is not None:
        ctx.outbox_wakeup()
    return row


async def discard(ctx: Context, global_id: str, reason: str) -> WriteBack:
    """Give up on a row: it is never sent; the golden record keeps the source's value."""
    return await _act(
        ctx, global_id, _reason(reason, required=True), "write_back.discard", store.discard
    )


def source_of_truth(ctx: Context, entity_type: EntityType | None) -> list[Rule]:
    """Every attribute with its owner under the tenant's table (or `hub`) and the tenant's
    survivorship strategies for it."""
    table = ctx.tenant.ownership_table()
    survivorship = ctx.tenant.survivorship_config()
    rules: list[Rule] = []
    for kind in WRITABLE_TYPES:
        if entity_type is not None and kind != entity_type:
            continue
        owners = table.get(kind, {})
        for attribute in sorted(known_attributes(kind) - {"domain"}):
            rules.append(
                Rule(
                    entity_type=kind,
                    attribute=attribute,
                    owner=owners.get(attribute) or "hub",
                    strategies=tuple(
                        str(s.value) for s in survivorship.strategies(kind, attribute)
                    ),
                )
            )
    return rules
