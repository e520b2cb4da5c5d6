"""Nested fields: a parent's related golden records, through the request's DataLoaders.

A relation between golden types is declared once, as data (`to_one`, `to_many`): that makes
the field's resolver, and tells the look-ahead prefetch (`resolvers.prefetch`) which loader and
key to load for a whole page at once.

The resolvers return the loader's future itself (not a coroutine), so they are plain
functions: GraphQL awaits the future, and no task is created per parent. A value the prefetch
loaded already (`Loaders.loaded`), or a future already done, is returned as it is, which keeps
graphql-core on its synchronous path for the whole subtree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Row
from strawberry.types import Info

from golden_records.models import GoldenRecord
from resolvers.context import Context
from resolvers.dataloaders import Build
from resolvers.pagination import page_size

# What a prefetch has not loaded (None is a loaded value: no related record).
_NOT_LOADED: Any = object()


@dataclass(frozen=True, slots=True, eq=False)
class Relation:
    """A field leading from a golden record to other golden records."""

    model: type[GoldenRecord]
    # The related schema type's `from_row`; looked up on first use, as the types refer to
    # each other.
    builder: Callable[[], Build]
    # The parent's attribute holding the key: a foreign key to one, the parent's `pk` to many.
    key: str
    # To many: the related table's column pointing at the parent; None for a to-one.
    parent_column: str | None = None
    order_by: tuple[str, ...] = ()

    def loader(self, ctx: Context) -> DataLoader[int, Any]:
        """The request's loader of this relation's values by key."""
        if self.parent_column is None:
            return ctx.loaders.by_id(self.model, self.builder())
        return ctx.loaders.children(
            self.model, self.parent_column, self.builder(), order_by=self.order_by
        )


# resolver function -> the relation it resolves, for the prefetch and the executor.
_RELATIONS: dict[Callable[..., Any], Relation] = {}


def relation_of(resolver: object) -> Relation | None:
    """The relation a resolver made by `to_one` or `to_many` resolves; None for any other."""
    return _RELATIONS.get(resolver) if callable(resolver) else None


def to_one(model: type[GoldenRecord], builder: Callable[[], Build], key: str) -> Callable[..., Any]:
    """The resolver of a field holding the record `key` (a foreign key) points at, or None."""
    relation = Relation(model, builder, key)

    def resolve(root: Any, info: Info[Context, None]) -> Any:
        return load_one(info.context, model, builder(), getattr(root, key))

    _RELATIONS[resolve] = relation
    return resolve


def to_many(
    model: type[GoldenRecord],
    builder: Callable[[], Build],
    parent_column: str,
    *,
    order_by: tuple[str, ...] = (),
) -> Callable[..., Any]:
    """The resolver of a field listing the live records whose `parent_column` is the parent."""
    relation = Relation(model, builder, "pk", parent_column, order_by)

    def resolve(root: Any, info: Info[Context, None], first: int | None = None) -> Any:
        return load_many(
            info.context, model, builder(), parent_column, root.pk, first, order_by=order_by
        )

    _RELATIONS[resolve] = relation
    return resolve


def load_one(
    ctx: Context, model: type[GoldenRecord], build: Build, pk: int | None
) -> Awaitable[Any] | Any:
    """The record a foreign key points at (its merge survivor), or None; or a future of it."""
    if pk is None:
        return None
    loader = ctx.loaders.by_id(model, build)
    known = ctx.loaders.loaded.get(loader)
    if known is not None:
        value = known.get(pk, _NOT_LOADED)
        if value is not _NOT_LOADED:
            return value
    return _settled(loader.load(pk))


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
    known = ctx.loaders.loaded.get(loader)
    if known is not None:
        loaded = known.get(parent_pk, _NOT_LOADED)
        if loaded is not _NOT_LOADED:
            return loaded if first is None else loaded[:limit]
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
