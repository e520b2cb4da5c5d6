"""The Relay `Node` interface (opaque global IDs) and the fields every golden record shares."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import cache, partial
from typing import Any, TypeVar

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

from resolvers import related
from resolvers.context import Context
from resolvers.dataloaders import Build
from resolvers.global_ids import MODELS, encode_global_id
from schema.common import Crosswalk, Lineage, SourceRecord, utc

G = TypeVar("G", bound="GoldenRecord")

# Which schema module declares each type, so `node(id:)` can build any of them.
_TYPE_MODULES = {
    "Client": "schema.client",
    "Project": "schema.project",
    "Resource": "schema.resource",
    "Assignment": "schema.assignment",
    "TimeEntry": "schema.time_entry",
    "Invoice": "schema.invoice",
    "Payment": "schema.invoice",
    "CostRate": "schema.cost_rate",
}


def _entity(record: GoldenRecord) -> str:
    return MODELS[type(record).__name__].entity_type.value


def _source_records(root: GoldenRecord, info: Info[Context, None]) -> Any:
    loader = info.context.loaders.source_records(_entity(root), SourceRecord.from_row)
    result: Awaitable[list[Any]] = loader.load(root.pk)
    return result


def _crosswalks(root: GoldenRecord, info: Info[Context, None]) -> Any:
    loader = info.context.loaders.crosswalks(_entity(root), Crosswalk.from_row)
    result: Awaitable[list[Any]] = loader.load(root.pk)
    return result


def _lineage(root: GoldenRecord, info: Info[Context, None]) -> Any:
    loader = info.context.loaders.lineage(_entity(root), Lineage.from_row)
    result: Awaitable[list[Any]] = loader.load(root.pk)
    return result


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global ID; stable across merges.")


@strawberry.interface(description="A golden record: the hub's one version of a real-world thing.")
class GoldenRecord(Node):
    pk: strawberry.Private[int]
    version: int = strawberry.field(description="Increases on every change (optimistic locking).")
    created_at: datetime
    updated_at: datetime
    source_records: list[SourceRecord] = strawberry.field(
        resolver=_source_records, description="Every system's copy of this record, as fetched."
    )
    crosswalks: list[Crosswalk] = strawberry.field(
        resolver=_crosswalks, description="This record's ID in every system that holds it."
    )
    lineage: list[Lineage] = strawberry.field(
        resolver=_lineage,
        description="For each attribute, which source record its value came from.",
    )


_TIMESTAMPS = frozenset({"created_at", "updated_at"})


def _constructor(
    cls: type[G], columns: tuple[str, ...], fields: tuple[str, ...]
) -> Callable[[Row[Any]], G]:
    """A function building `cls` from rows holding `columns`, in that order.

    It runs once per row of every nested page, so, as `dataclasses` does for `__init__`, its
    source is generated for the column list: one dict display reading each attribute from its
    position in the row, None for an attribute whose column the row lacks. Every name in it
    is a model attribute (`fields`) or a fixed one, written with `repr`.
    """
    position = {name: i for i, name in enumerate(columns)}

    def column(name: str) -> str:
        return f"row[{position[name]}]" if name in position else "None"

    entries = ["'pk': pk", f"'id': None if pk is None else encode({cls.__name__!r}, pk)"]
    for name in ("version", "created_at", "updated_at", *fields):
        value = column(name)
        if name in _TIMESTAMPS and name in position:
            value = f"utc({value})"
        entries.append(f"{name!r}: {value}")
    source = (
        "def construct(row):\n"
        f"    pk = {column('id')}\n"
        "    obj = new(cls)\n"
        f"    obj.__dict__ = {{{', '.join(entries)}}}\n"
        "    return obj\n"
    )
    namespace: dict[str, Any] = {
        "new": cls.__new__,
        "cls": cls,
        "encode": encode_global_id,
        "utc": utc,
    }
    # Our own source, built above from attribute names and column positions only.
    exec(source, namespace)
    construct: Callable[[Row[Any]], G] = namespace["construct"]
    return construct


_MAX_CONSTRUCTORS = 4096
_constructors: dict[tuple[type, tuple[str, ...]], Callable[[Row[Any]], Any]] = {}
_last_constructor: dict[type, tuple[object, Callable[[Row[Any]], Any]]] = {}


def build(cls: type[G], row: Row[Any], fields: tuple[str, ...]) -> G:
    """An instance of golden type `cls` from a table row, copying `fields` as they are.

    A row may hold only some columns (a query's loaders select what it asks for,
    `resolvers.columns`): a field whose column was not selected is None. The instance is
    filled by a constructor made once per column list (`_constructor`), not through the
    dataclass `__init__`, which would assign the same attributes one keyword at a time.
    """
    return _constructor_for(cls, row, fields)(row)


def build_all(cls: type[G], rows: Sequence[Row[Any]], fields: tuple[str, ...]) -> list[G]:
    """`build` for the rows of one result, which share a column list: its constructor is
    looked up once, not per row."""
    if not rows:
        return []
    return list(map(_constructor_for(cls, rows[0], fields), rows))


def _constructor_for(
    cls: type[G], row: Row[Any], fields: tuple[str, ...]
) -> Callable[[Row[Any]], G]:
    # `Row._fields` builds a new tuple on every call; the rows of one result share their
    # metadata (`_parent`), so the previous row's constructor is reused without asking.
    parent = getattr(row, "_parent", None)
    last = _last_constructor.get(cls)
    if last is not None and parent is not None and last[0] is parent:
        return last[1]
    key = (cls, row._fields)
    found = _constructors.get(key)
    if found is None:
        if len(_constructors) >= _MAX_CONSTRUCTORS:  # column lists follow queries: bounded
            _constructors.clear()
        found = _constructors[key] = _constructor(cls, key[1], fields)
    _last_constructor[cls] = (parent, found)
    return found


@cache
def builder(type_name: str) -> Build:
    """The `from_row` of the schema type called `type_name`."""
    module = importlib.import_module(_TYPE_MODULES[type_name])
    result: Build = getattr(module, type_name).from_row
    return result


def to_one(type_name: str, key: str) -> Callable[..., Any]:
    """The resolver of a field holding the `type_name` record its foreign key `key` points at."""
    return related.to_one(MODELS[type_name], partial(builder, type_name), key)


def to_many(
    type_name: str, parent_column: str, *, order_by: tuple[str, ...] = ()
) -> Callable[..., Any]:
    """The resolver of a field listing the `type_name` records whose `parent_column` is the
    parent, in `order_by` order (up to `first`, and never more than a page)."""
    return related.to_many(
        MODELS[type_name], partial(builder, type_name), parent_column, order_by=order_by
    )
