"""The Relay `Node` interface (opaque global IDs) and the fields every golden record shares."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable
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


def build(cls: type[G], row: Row[Any], fields: tuple[str, ...]) -> G:
    """An instance of golden type `cls` from a table row, copying `fields` as they are."""
    m = row._mapping
    pk = m["id"]
    return cls(
        id=strawberry.ID(encode_global_id(cls.__name__, pk)),
        pk=pk,
        version=m["version"],
        created_at=utc(m["created_at"]),
        updated_at=utc(m["updated_at"]),
        **{name: m[name] for name in fields},
    )


@cache
def builder(type_name: str) -> Build:
    """The `from_row` of the schema type called `type_name`."""
    module = importlib.import_module(_TYPE_MODULES[type_name])
    result: Build = getattr(module, type_name).from_row
    return result
