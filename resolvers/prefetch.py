"""Look-ahead prefetch: load a page's nested relations level by level before GraphQL walks it.

A connection resolver hands its page to `prefetch_connection`. It reads the query's selection
below `edges { node }` and, for every nested relation field declared with `to_one` or `to_many`
(`resolvers.related`), takes the keys from all the level's objects and calls the relation's
loader's batch function once for them: one statement per loader and level, as the DataLoaders
would issue during execution, but no future per object. The values go into the request's
`Loaders.loaded`, where the executor and the resolvers find them, so graphql-core completes the
whole tree on its synchronous path.

Fields the prefetch does not understand (other resolvers, arguments other than `first`,
permission-guarded fields, directives) are left alone; they resolve through the loaders as
usual.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader
from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type
from strawberry.types.base import get_object_definition
from strawberry.types.field import StrawberryField
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from resolvers.related import Relation, relation_of

if TYPE_CHECKING:
    from strawberry.types import Info

    from resolvers.context import Context

logger = logging.getLogger(__name__)

# Arguments whose meaning the prefetch knows: `first` only cuts the loaded list, which the
# resolver does on the loaded value too.
_PREFETCHABLE_ARGUMENTS = frozenset({"first"})


@dataclass(slots=True)
class _Selected:
    """A selected relation of a level, its selections merged over aliases and fragments."""

    relation: Relation
    # The related GraphQL type's name (an object type, or an interface).
    target: str
    selections: list[Selection] = field(default_factory=list)


async def prefetch_connection(info: Info[Context, None], connection: Any) -> None:
    """Prefetch what the query selects below `edges { node }` for this connection's nodes."""
    ctx = info.context
    if not getattr(ctx, "prefetch", True):
        return
    nodes = [edge.node for edge in connection.edges]
    if not nodes:
        return
    # `selected_fields` is the connection field itself; its selections hold `edges`.
    page = [s for f in info.selected_fields if isinstance(f, SelectedField) for s in f.selections]
    selections = _children(_children(page, "edges"), "node")
    await prefetch(ctx, info.schema._schema, nodes, selections)


async def prefetch(
    ctx: Context, schema: GraphQLSchema, objects: Sequence[Any], selections: list[Selection]
) -> None:
    """Load the relations `selections` ask for on `objects` (one strawberry type), recursively.

    Each level loads every key it needs from one loader in one batch, keys an earlier level
    loaded excepted.
    """
    loaded = ctx.loaders.loaded
    level: list[tuple[Sequence[Any], list[Selection]]] = [(objects, selections)]
    while level:
        uses: list[tuple[_Selected, DataLoader[Any, Any], Sequence[Any]]] = []
        wanted: dict[DataLoader[Any, Any], set[Any]] = {}
        for objs, sels in level:
            definition = get_object_definition(objs[0])
            if definition is None:
                continue
            for selected in _relations(schema, definition.name, sels):
                relation = selected.relation
                loader = relation.loader(ctx)
                known = loaded.setdefault(loader, {})
                keys = wanted.setdefault(loader, set())
                keys.update(k for o in objs if (k := getattr(o, relation.key)) not in known)
                uses.append((selected, loader, objs))
        for loader, keys in wanted.items():
            keys.discard(None)
            if keys:
                await _load(loader, keys, loaded[loader])
        following: list[tuple[Sequence[Any], list[Selection]]] = []
        for selected, loader, objs in uses:
            if not _goes_deeper(schema, selected):
                continue
            values = loaded[loader]
            key = selected.relation.key
            found = _objects([values.get(getattr(o, key)) for o in objs])
            if found:
                following.append((found, selected.selections))
        level = following


async def _load(loader: DataLoader[Any, Any], keys: set[Any], into: dict[Any, Any]) -> None:
    """Put the loader's values for `keys` in `into`; on failure leave them out, so the field
    goes through the loader during execution and reports the error where it belongs."""
    ordered = list(keys)
    try:
        values = await loader.batch_load_fn(ordered)
    except Exception:
        logger.debug("prefetch left a relation to the loaders", exc_info=True)
        return
    into.update(zip(ordered, values, strict=True))


def _goes_deeper(schema: GraphQLSchema, selected: _Selected) -> bool:
    """Whether the selections below a relation hold relations to prefetch in turn (for an
    interface, whose objects' types only the objects tell, assume so)."""
    if not selected.selections:
        return False
    if not isinstance(schema.get_type(selected.target), GraphQLObjectType):
        return True
    return bool(_relations(schema, selected.target, selected.selections))


def _objects(results: list[Any]) -> list[Any]:
    """The distinct strawberry objects among loaded values (lists flattened, None skipped): a
    resource on many assignments is one object, prefetched once."""
    seen: set[int] = set()
    found: list[Any] = []
    for value in results:
        for v in value if type(value) is list else (value,):
            if v is not None and id(v) not in seen:
                seen.add(id(v))
                found.append(v)
    return found


def _relations(
    schema: GraphQLSchema, type_name: str, selections: list[Selection]
) -> list[_Selected]:
    """The selected relations of `type_name` that the prefetch can load, merged by field."""
    fields = _relation_fields(schema, type_name)
    interfaces = _type_names(schema, type_name)
    merged: dict[str, _Selected] = {}
    for selected in _flatten(selections, interfaces):
        declared = fields.get(selected.name)
        if declared is None or selected.directives:
            continue
        relation, target = declared
        arguments = selected.arguments
        if not set(arguments) <= _PREFETCHABLE_ARGUMENTS:
            continue
        if any(not isinstance(v, int | None) for v in arguments.values()):
            continue
        # Every `first` of a field reads the same loaded list; only the selections differ.
        entry = merged.get(selected.name)
        if entry is None:
            entry = merged[selected.name] = _Selected(relation, target)
        entry.selections.extend(selected.selections)
    return list(merged.values())


def _flatten(
    selections: Iterable[Selection], type_names: frozenset[str]
) -> Iterable[SelectedField]:
    """The fields of `selections`, fragments that apply to the type included."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            condition = selection.type_condition
            if not selection.directives and (condition is None or condition in type_names):
                yield from _flatten(selection.selections, type_names)


def _children(selections: Iterable[Selection], name: str) -> list[Selection]:
    """The sub-selections of every field called `name` (fragments on the parent included)."""
    found: list[Selection] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name and not selection.directives:
                found.extend(selection.selections)
        elif not selection.directives:
            found.extend(_children(selection.selections, name))
    return found


@cache
def _type_names(schema: GraphQLSchema, type_name: str) -> frozenset[str]:
    """The type's name and those of the interfaces it implements (for fragment conditions)."""
    graphql_type = schema.get_type(type_name)
    names = {type_name}
    if isinstance(graphql_type, GraphQLObjectType):
        names.update(i.name for i in graphql_type.interfaces)
    return frozenset(names)


@cache
def _relation_fields(schema: GraphQLSchema, type_name: str) -> dict[str, tuple[Relation, str]]:
    """GraphQL field name -> (relation, related type's name), for `type_name`'s fields declared
    with `to_one` or `to_many` and no field extensions (no permission checks)."""
    graphql_type = schema.get_type(type_name)
    if not isinstance(graphql_type, GraphQLObjectType):
        return {}
    result: dict[str, tuple[Relation, str]] = {}
    for name, graphql_field in graphql_type.fields.items():
        target = get_named_type(graphql_field.type)
        if not isinstance(target, GraphQLObjectType | GraphQLInterfaceType):
            continue
        strawberry_field = graphql_field.extensions.get("strawberry-definition")
        if not isinstance(strawberry_field, StrawberryField) or strawberry_field.extensions:
            continue
        resolver = strawberry_field.base_resolver
        relation = relation_of(resolver.wrapped_func) if resolver is not None else None
        if relation is not None:
            result[name] = (relation, target.name)
    return result
