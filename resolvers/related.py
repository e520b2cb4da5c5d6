"""Nested fields: a parent's related golden records, always through the request's DataLoaders.

These return the loader's future itself (not a coroutine), so a resolver that calls them can be
a plain function: GraphQL awaits the future, and no task is created per parent. When the future
is already done (the look-ahead prefetch in `resolvers.prefetch` loaded it), they return its
value instead, which keeps graphql-core on its synchronous path for the whole subtree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Row

from golden_records.models import GoldenRecord
from resolvers.dataloaders import Build
from resolvers.pagination import page_size

if TYPE_CHECKING:
    from resolvers.context import Context


def load_one(
    ctx: Context, model: type[GoldenRecord], build: Build, pk: int | None
) -> Awaitable[Any] | Any:
    """The record a foreign key points at (its merge survivor), or None; or a future of it."""
    if pk is None:
        return None
    return _settled(ctx.loaders.by_id(model, build).load(pk))


def load_many(
    ctx: Context,
    model: type[GoldenRecord],
    build: Build,
    parent_column: str,
    parent_pk: int,
    first: int | None,
    *,
    order_by: Sequence[str] = (),
    where: Sequence[ColumnElement[bool]] = (),
    variant: Hashable = None,
) -> Awaitable[list[Any]] | list[Any]:
    """Up to `first` live records whose `parent_column` is `parent_pk`.

    Without `first` a nested list is bounded by the maximum page size, so that one deep
    query cannot return the whole database.
    """
    limit = page_size(first, ctx.settings)
    loader = ctx.loaders.children(
        model, parent_column, build, where=where, variant=variant, order_by=order_by
    )
    future = loader.load(parent_pk)
    if _done(future):
        rows: list[Any] = future.result()
        return rows if first is None else rows[:limit]
    # The loader already stops at the maximum page size; only a smaller `first` needs a cut.
    return future if first is None else _first(future, limit)


def _done(future: asyncio.Future[Any]) -> bool:
    # A failed load stays a future, so GraphQL raises its error where it always did.
    return future.done() and not future.cancelled() and future.exception() is None


def _settled(future: asyncio.Future[Any]) -> Any:
    """The future's value if it is already loaded, else the future itself."""
    return future.result() if _done(future) else future


async def _first(future: Awaitable[list[Any]], limit: int) -> list[Any]:
    return (await future)[:limit]


def _row(row: Row[Any]) -> Row[Any]:
    return row


async def one(ctx: Context, model: type[GoldenRecord], pk: int | None) -> Row[Any] | None:
    """The row a foreign key points at (its merge survivor), or None; batched like the rest.

    For fields whose type has a `from_row`, prefer `load_one(..., Type.from_row, pk)`, which
    builds each object once and needs no coroutine per parent.
    """
    if pk is None:
        return None
    row: Row[Any] | None = await ctx.loaders.by_id(model, _row).load(pk)
    return row
