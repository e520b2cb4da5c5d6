"""The audit log: who did what to which record, when, why, and what changed.

`record` adds an entry to the caller's session, so the entry commits (or rolls back) with the
change it describes. `query` pages through a tenant's entries, newest first. `purge` enforces
the retention setting (`crosswalk audit purge --older-than 90d`).
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.errors import InvalidCursor, PageSizeExceeded
from hub.auth.principal import Principal
from hub.models import AuditEntry

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    end_cursor: str | None
    has_next_page: bool


def record(
    session: AsyncSession,
    *,
    tenant_id: str,
    actor: str,
    actor_role: str,
    action: str,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    reason: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    only_changes: bool = True,
) -> AuditEntry:
    """Add an entry to `session` (committed with the caller's transaction).

    With `only_changes`, `before`/`after` keep just the fields whose value differs, which is
    what a reader of the log wants to see. Values are made JSON-safe (dates, decimals, enums).
    """
    old, new = _json_safe(before), _json_safe(after)
    if only_changes and old is not None and new is not None:
        changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
        old = {k: v for k, v in old.items() if k in changed}
        new = {k: v for k, v in new.items() if k in changed}
    entry = AuditEntry(
        tenant_id=tenant_id,
        at=datetime.now(UTC),
        actor=actor,
        actor_role=actor_role,
        request_id=request_id,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        reason=reason,
        before=old,
        after=new,
    )
    session.add(entry)
    return entry


def record_by(
    session: AsyncSession,
    principal: Principal,
    action: str,
    *,
    request_id: str | None = None,
    **details: Any,
) -> AuditEntry:
    """`record` for an authenticated caller: tenant, actor and role come from the Principal."""
    return record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.subject,
        actor_role=principal.role.value,
        action=action,
        request_id=request_id,
        **details,
    )


async def query(
    session: AsyncSession,
    tenant_id: str,
    *,
    actor: str | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    request_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    first: int = 50,
    after: str | None = None,
) -> AuditPage:
    """One page of a tenant's entries, newest first; `after` is the previous page's end_cursor."""
    if first < 0 or first > MAX_PAGE_SIZE:
        raise PageSizeExceeded(
            f"`first` must be between 0 and {MAX_PAGE_SIZE}, got {first}.", field="first"
        )
    stmt = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    filters: dict[str, Any] = {
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "request_id": request_id,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(AuditEntry, column) == value)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= _utc(since))
    if until is not None:
        stmt = stmt.where(AuditEntry.at < _utc(until))
    if after is not None:
        stmt = stmt.where(AuditEntry.id < decode_cursor(after))
    # IDs grow with insertion, so ordering by ID is newest first and a stable keyset.
    stmt = stmt.order_by(AuditEntry.id.desc()).limit(first + 1)
    rows = list((await session.scalars(stmt)).all())
    entries = rows[:first]
    end_cursor = encode_cursor(entries[-1].id) if entries else None
    return AuditPage(entries=entries, end_cursor=end_cursor, has_next_page=len(rows) > first)


async def purge(
    sessions: async_sessionmaker[AsyncSession],
    older_than: timedelta,
    *,
    tenant_id: str | None = None,
) -> int:
    """Delete entries older than `older_than` (all tenants unless one is named); how many."""
    cutoff = datetime.now(UTC) - older_than
    stmt = delete(AuditEntry).where(AuditEntry.at < cutoff)
    if tenant_id is not None:
        stmt = stmt.where(AuditEntry.tenant_id == tenant_id)
    async with sessions() as session, session.begin():
        result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def encode_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{entry_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "audit":
            raise ValueError(kind)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor(f"Invalid cursor {cursor!r}.", field="after") from None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _json_safe(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {str(k): json_value(v) for k, v in values.items()}


def json_value(value: Any) -> Any:
    """A value as JSON stores it: enums by value, dates ISO, decimals as exact strings."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    return value


def parse_duration(text: str) -> timedelta:
    """ "90d", "12h", "30m", "2w" -> timedelta; used by `crosswalk audit purge --older-than`."""
    units = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    value = text.strip().lower()
    if len(value) >= 2 and value[-1] in units and value[:-1].isdigit():
        return timedelta(**{units[value[-1]]: int(value[:-1])})
    raise ValueError(f"Not a duration: {text!r}; use e.g. 90d, 12h, 2w.")
