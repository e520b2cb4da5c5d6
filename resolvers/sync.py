"""Reading the sync run log: one tenant's runs, newest first, keyset-paged by run ID."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select

from golden_records.errors import InvalidCursor
from golden_records.systems import get_system
from hub.sync_models import SyncRun
from resolvers.context import Context
from resolvers.pagination import page_size


@dataclass(frozen=True, slots=True)
class SyncRunFilterValues:
    system: str | None = None
    status: str | None = None  # running, succeeded, failed
    since: datetime | None = None  # runs started at or after


@dataclass(slots=True)
class SyncRunPage:
    runs: list[SyncRun]
    has_next_page: bool
    count: Callable[[], Awaitable[int]]


def encode_cursor(run_id: int) -> str:
    return base64.urlsafe_b64encode(f"syncrun:{run_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "syncrun":
            raise ValueError(kind)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor(
            f"{cursor!r} is not a cursor of syncRuns; pass `pageInfo.endCursor` of the previous "
            "page.",
            field="after",
        ) from None


def _filtered(ctx: Context, where: SyncRunFilterValues) -> Select[Any]:
    stmt = select(SyncRun).where(SyncRun.tenant_id == ctx.tenant_id)
    if where.system is not None:
        # Accept roles and aliases ("crm") as everywhere else; UnknownSystem names the choices.
        stmt = stmt.where(SyncRun.system == get_system(where.system).name)
    if where.status is not None:
        stmt = stmt.where(SyncRun.status == where.status)
    if where.since is not None:
        since = where.since if where.since.tzinfo else where.since.replace(tzinfo=UTC)
        stmt = stmt.where(SyncRun.started_at >= since.astimezone(UTC))
    return stmt


async def sync_runs(
    ctx: Context, where: SyncRunFilterValues, *, first: int | None, after: str | None
) -> SyncRunPage:
    """One page of the caller's tenant's runs, newest first."""
    size = page_size(first, ctx.settings)
    stmt = _filtered(ctx, where)
    count_stmt = select(func.count()).select_from(stmt.subquery())
    if after is not None:
        stmt = stmt.where(SyncRun.id < decode_cursor(after))
    # IDs grow with insertion, so ordering by ID is newest first and a stable keyset.
    rows = [row[0] for row in await ctx.execute(stmt.order_by(SyncRun.id.desc()).limit(size + 1))]

    async def count() -> int:
        return int(await ctx.scalar(count_stmt) or 0)

    return SyncRunPage(runs=rows[:size], has_next_page=len(rows) > size, count=count)
