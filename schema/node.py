"""The Relay `Node` interface (opaque global IDs) and the fields every golden record shares."""

from __future__ import annotations

import importlib
import operator
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import strawberry
from sqlalchemy import Row
from strawberry.types import Info

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


class _Layout:
    """Where each attribute of a golden type sits in rows of one column list."""

    __slots__ = ("names", "pick", "template", "timestamps")

    def __init__(self, columns: tuple[str, ...], fields: tuple[str, ...]) -> None:
        position = {name: i for i, name in enumerate(columns)}
        attributes = ("id", "version", "created_at", "updated_at", *fields)
        # Attributes whose column the row lacks stay None (see `build`).
        self.template: dict[str, Any] = dict.fromkeys(("pk", *attributes))
        self.names = tuple(name for name in attributes if name in position)
        picker = operator.itemgetter(*(position[name] for name in self.names))
        # itemgetter of one index returns the item itself, not a 1-tuple.
        self.pick: Callable[[Row[Any]], tuple[Any, ...]] = (
            picker if len(self.names) > 1 else (lambda row: (picker(row),))
        )
        self.timestamps = tuple(n for n in ("created_at", "updated_at") if n in position)


_MAX_LAYOUTS = 4096
_layouts: dict[tuple[type, tuple[str, ...]], _Layout] = {}
_last_layout: dict[type, tuple[object, _Layout]] = {}


def build(cls: type[G], row: Row[Any], fields: tuple[str, ...]) -> G:
    """An instance of golden type `cls` from a table row, copying `fields` as they are.

    A row may hold only some columns (a query's loaders select what it asks for,
    `resolvers.columns`): a field whose column was not selected is None. This runs once per
    row of every nested page, so the row's layout is worked out once per column list, and the
    instance is filled directly rather than through the dataclass `__init__`, which would only
    assign the same attributes one keyword at a time.
    """
    # `Row._fields` builds a new tuple on every call; the rows of one result share their
    # metadata (`_parent`), so the previous row's layout is reused without asking.
    parent = getattr(row, "_parent", None)
    last = _last_layout.get(cls)
    if last is not None and parent is not None and last[0] is parent:
        layout = last[1]
    else:
        key = (cls, row._fields)
        found = _layouts.get(key)
        if found is None:
            if len(_layouts) >= _MAX_LAYOUTS:  # column lists follow queries: keep it bounded
                _layouts.clear()
            found = _layouts[key] = _Layout(key[1], fields)
        layout = found
        _last_layout[cls] = (parent, layout)
    values = layout.template.copy()
    values.update(zip(layout.names, layout.pick(row), strict=True))
    pk = values["pk"] = values["id"]
    values["id"] = encode_global_id(cls.__name__, pk)
    for name in layout.timestamps:
        values[name] = utc(values[name])
    obj = cls.__new__(cls)
    obj.__dict__ = values
    return obj


@cache
def builder(type_name: str) -> Build:
    """The `from_row` of the schema type called `type_name`."""
    module = importlib.import_module(_TYPE_MODULES[type_name])
    result: Build = getattr(module, type_name).from_row
    return result
