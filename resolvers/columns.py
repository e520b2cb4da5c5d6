"""Which table columns a read request needs: the fields its query selects on each golden type.

A DataLoader that builds `Resource` objects for a query asking only `givenName` need not fetch,
decode and convert the resource's JSON home address, skills and timestamps. `selected_fields`
walks the operation once per request and lists, per GraphQL object type, the Python names of the
fields selected on it anywhere (fragments and interface selections included); `needed_columns`
turns that into the columns to select: the selected fields' columns, the type's private fields
(foreign keys, which relation resolvers read) and what the loaders read (key, merge pointer).
Fields left out are None on the built object, and nothing in a query reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)
from sqlalchemy import ColumnElement, FromClause
from strawberry.types.base import get_object_definition
from strawberry.types.private import is_private

SelectedFields = Mapping[str, frozenset[str]]


def selected_fields(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, Any],
) -> SelectedFields:
    """GraphQL object type name -> Python names of the fields the operation selects on it.

    Directives are ignored: a field under `@skip` still counts, which only fetches a column
    more than needed.
    """
    root = schema.get_root_type(operation.operation)
    found: dict[str, set[str]] = {}
    if root is not None:
        _walk(schema, fragments, root, operation.selection_set, found, set())
    return {name: frozenset(fields) for name, fields in found.items()}


def _walk(
    schema: GraphQLSchema,
    fragments: Mapping[str, Any],
    parent: GraphQLNamedType,
    selection_set: SelectionSetNode | None,
    found: dict[str, set[str]],
    spread: set[tuple[str, str]],
) -> None:
    if selection_set is None:
        return
    concrete = _concrete(schema, parent)
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            fields = getattr(parent, "fields", None)
            field_def = fields.get(selection.name.value) if fields else None
            if field_def is None:  # __typename, or an unknown field validation reports
                continue
            definition = field_def.extensions.get("strawberry-definition")
            name = getattr(definition, "python_name", None) or selection.name.value
            for type_name in concrete:
                found.setdefault(type_name, set()).add(name)
            child = get_named_type(field_def.type)
            _walk(schema, fragments, child, selection.selection_set, found, spread)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            if target is not None:
                _walk(schema, fragments, target, selection.selection_set, found, spread)
        elif isinstance(selection, FragmentSpreadNode):
            found_fragment = fragments.get(selection.name.value)
            # graphql-core 3.3 keeps a fragment's definition in FragmentDetails.
            fragment = getattr(found_fragment, "definition", found_fragment)
            key = (selection.name.value, parent.name)
            if fragment is None or key in spread:
                continue
            spread.add(key)
            target = schema.get_type(fragment.type_condition.name.value)
            if target is not None:
                _walk(schema, fragments, target, fragment.selection_set, found, spread)


def _concrete(schema: GraphQLSchema, named: GraphQLNamedType) -> list[str]:
    """The object types a selection on `named` applies to."""
    if is_abstract_type(named):
        return [t.name for t in schema.get_possible_types(named)]
    return [named.name] if isinstance(named, GraphQLObjectType) else []


def needed_columns(
    table: FromClause, built: Any, selected: SelectedFields | None
) -> list[ColumnElement[Any]] | None:
    """The columns of `table` to select for objects of strawberry type `built`; None for all
    (no selection known, or `built` is not a strawberry type)."""
    definition = get_object_definition(built) if isinstance(built, type) else None
    if selected is None or definition is None:
        return None
    wanted = selected.get(definition.name, frozenset())
    private, public = _fields(built)
    return [
        c
        for c in table.c
        if c.name in _LOADER_COLUMNS or c.name in private or (c.name in public and c.name in wanted)
    ]


# What the loaders themselves read: the key, and the merge pointer they follow to survivors.
_LOADER_COLUMNS = frozenset({"id", "merged_into_id"})


@cache
def _fields(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    """(private, public) Python field names of strawberry type `cls`."""
    definition = get_object_definition(cls, strict=True)
    private = frozenset(f.python_name for f in definition.fields if is_private(f.type))
    return private, frozenset(f.python_name for f in definition.fields) - private
