"""Keyset (cursor) pagination over one golden table: stable order, the row ID as tie-breaker.

A cursor names the ordering it was issued for and the ID of the last row seen. The next page
compares against that row's *stored* sort value (a sub-select by primary key), so the cursor
never round-trips a timestamp through Python, whose text form differs from what SQLite stores.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Row, and_, func, or_, select

from golden_records.errors import InvalidCursor, PageSizeExceeded, ValidationFailed
from golden_records.models import GoldenRecord
from resolvers.global_ids import MAX_PK

if TYPE_CHECKING:
    from hub.settings import Settings
    from resolvers.context import Context


@dataclass(frozen=True, slots=True)
class Ordering:
    """Sort a connection by one column, ascending or descending; `key` goes into cursors."""

    key: str  # e.g. "NAME", stable: it is part of every cursor
    column: str
    descending: bool = False

    @property
    def tag(self) -> str:
        return f"{self.key}:{'DESC' if self.descending else 'ASC'}"


@dataclass(slots=True)
class Page:
    rows: Sequence[Row[Any]]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    count: Callable[[], Awaitable[int]]


def page_size(first: int | None, settings: Settings, *, field: str = "first") -> int:
    """`first`, defaulted and bounded; an error a caller can act on when it is out of range."""
    if first is None:
        return settings.default_page_size
    if first < 0:
        raise ValidationFailed(f"`{field}` must be zero or more, got {first}.", field=field)
    if first > settings.max_page_size:
        raise PageSizeExceeded(
            f"`{field}` is {first}, but at most {settings.max_page_size} rows can be asked for "
            "at once; page through the rest with `after`.",
            field=field,
        )
    return first


def encode_cursor(ordering: Ordering, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([ordering.tag, pk]).encode()).decode()


def decode_cursor(cursor: str, ordering: Ordering) -> int:
    try:
        tag, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(tag, str) or type(pk) is not int or not 0 < pk <= MAX_PK:
            raise ValueError(cursor)
    except (binascii.Error, UnicodeError, ValueError, TypeError):
        raise InvalidCursor(
            f"{cursor!r} is not a cursor of this connection; pass a `cursor` or "
            "`pageInfo.endCursor` value returned by the previous page.",
            field="after",
        ) from None
    if tag != ordering.tag:
        raise InvalidCursor(
            f"This cursor was issued for orderBy {tag}, not {ordering.tag}; "
            "start again without `after` when changing the order.",
            field="after",
        )
    return pk


async def paginate(
    ctx: Context,
    model: type[GoldenRecord],
    conditions: Sequence[ColumnElement[bool]],
    ordering: Ordering,
    *,
    first: int | None,
    after: str | None,
    columns: Sequence[ColumnElement[Any]] | None = None,
) -> Page:
    """One page of live golden rows of this tenant matching `conditions` (one SELECT), with
    `columns` only (they must include `id`) or every column."""
    limit = page_size(first, ctx.settings)
    table = model.__table__
    where = [
        table.c.tenant_id == ctx.tenant_id,
        table.c.merged_into_id.is_(None),
        *conditions,
    ]
    sort, pk = table.c[ordering.column], table.c.id

    async def count() -> int:
        return int(await ctx.scalar(select(func.count()).select_from(table).where(*where)))

    keyset: list[ColumnElement[bool]] = []
    if after is not None:
        anchor_id = decode_cursor(after, ordering)
        anchor = (
            select(sort)
            .where(table.c.id == anchor_id, table.c.tenant_id == ctx.tenant_id)
            .scalar_subquery()
        )
        if ordering.descending:
            keyset.append(or_(sort < anchor, and_(sort == anchor, pk < anchor_id)))
        else:
            keyset.append(or_(sort > anchor, and_(sort == anchor, pk > anchor_id)))

    order = (sort.desc(), pk.desc()) if ordering.descending else (sort.asc(), pk.asc())
    selected = select(table) if columns is None else select(*columns)
    stmt = selected.where(*where, *keyset).order_by(*order).limit(limit + 1)
    rows = await ctx.execute(stmt)
    page = rows[:limit]
    return Page(
        rows=page,
        cursors=[encode_cursor(ordering, r.id) for r in page],
        has_next_page=len(rows) > limit,
        has_previous_page=after is not None,
        count=count,
    )
