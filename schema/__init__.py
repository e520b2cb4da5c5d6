"""The GraphQL schema of Crosswalk: `build_schema()` for the app, `schema_sdl()` for the file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.tools import merge_types

from resolvers.execution import PlainFieldExecutor, streamline
from schema.assignment import Assignment
from schema.client import Client
from schema.cost_rate import CostRate
from schema.errors import CrosswalkErrors, CrosswalkSchema
from schema.invoice import Invoice, Payment
from schema.mutation import Mutation
from schema.project import Project
from schema.query import Query
from schema.resource import Resource
from schema.steward import StewardMutation, StewardQuery
from schema.time_entry import TimeEntry
from schema.writeback import WriteBackMutation, WriteBackQuery

# Types reachable only through interfaces (`node`, `crosswalk`) must be named explicitly.
_TYPES = (Client, Project, Resource, Assignment, TimeEntry, Invoice, Payment, CostRate)
# The stewards' and write-back fields live in their own modules and join the root types here.
_QUERY = merge_types("Query", (Query, StewardQuery, WriteBackQuery))
_MUTATION = merge_types("Mutation", (Mutation, WriteBackMutation, StewardMutation))


def build_schema(extensions: Sequence[Any] = ()) -> strawberry.Schema:
    """The executable schema; `extensions` come after the error mapping (depth limits, ...)."""
    schema = CrosswalkSchema(
        query=_QUERY,
        mutation=_MUTATION,
        types=list(_TYPES),
        extensions=[CrosswalkErrors, *extensions],
        execution_context_class=PlainFieldExecutor,
    )
    streamline(schema)
    return schema


def schema_sdl() -> str:
    """The schema in GraphQL SDL, as committed in `schema.graphql`."""
    return build_schema().as_str() + "\n"


__all__ = ["build_schema", "schema_sdl"]
