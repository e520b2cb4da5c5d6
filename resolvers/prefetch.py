"""Look-ahead prefetch: load a page's nested relations level by level before GraphQL walks it.

A connection resolver hands its page to `prefetch_connection`. It reads the query's selection
below `edges { node }` and, for every nested relation field, calls that field's own resolver on
all the level's objects at once (so the DataLoaders batch them into one statement per level, as
they would during execution) and waits for the results. When GraphQL then resolves those fields,
the loaders' futures are already done and `resolvers.related` hands back plain values, so
graphql-core completes the whole tree on its synchronous path instead of awaiting one future per
object. The table, join column, order and object builder of each relation come from the field's
resolver itself: there is no second description of the schema here.

Fields the prefetch does not understand (arguments other than `first`, permission-guarded
fields, directives, async resolvers) are left alone; they resolve through the loaders as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, get_named_type
from strawberry.types.base import get_object_definition
from strawberry.types.field import StrawberryField
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

if TYPE_CHECKING:
    from strawberry.types import Info

    from resolvers.context import Context

# Arguments whose meaning the prefetch knows: `first` only cuts the loaded list, which the
# loader path does too, so the loaded rows are the same with or without it.
_PREFETCHABLE_ARGUMENTS = frozenset({"first"})


class _ResolverInfo:
    """What a relation resolver is given during prefetch: the request's context, nothing else.

    A resolver that needs more of `Info` fails with AttributeError and is simply not prefetched.
    """

    __slots__ = ("context",)

    def __init__(self, context: Context) -> None:
        self.context = context


@dataclass(slots=True)
class _Relation:
    """One selected relation field of a level: which resolver, with which arguments."""

    definition: StrawberryField
    arguments: dict[str, Any]
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

    Each level issues its loads together, so the loaders batch them as GraphQL would have.
    """
    level: list[tuple[Sequence[Any], list[Selection]]] = [(objects, selections)]
    while level:
        # Every load of the level is started before the first await, so each loader
        # dispatches once for the whole level.
        calls: list[tuple[_Relation, Sequence[Any], list[Any]]] = []
        for objs, sels in level:
            calls.extend(_start(ctx, schema, objs, sels))
        following: list[tuple[Sequence[Any], list[Selection]]] = []
        for relation, objs, values in calls:
            settled = await _settle(values)
            if not relation.arguments:
                # What the resolver would return for each object now, for the executor.
                ctx.loaders.remember(relation.definition, objs, settled)
            found = list(_objects(settled))
            if found and relation.selections:
                following.append((found, relation.selections))
        level = following


def _start(
    ctx: Context, schema: GraphQLSchema, objects: Sequence[Any], selections: list[Selection]
) -> Iterable[tuple[_Relation, Sequence[Any], list[Any]]]:
    """Call each selected relation's resolver on every object: per object, the value already
    loaded (an earlier level may have loaded it) or the load it started."""
    definition = get_object_definition(objects[0])
    if definition is None:
        return
    info = _ResolverInfo(ctx)
    for relation in _relations(schema, definition.name, selections):
        resolver = relation.definition.base_resolver
        assert resolver is not None
        root = resolver.root_parameter or resolver.self_parameter
        info_param = resolver.info_parameter
        if root is None or info_param is None:
            continue
        func = resolver.wrapped_func
        if not callable(func):
            continue
        values: list[Any] = []
        kwargs = {info_param.name: info, **relation.arguments}
        root_name = root.name
        try:
            # The resolver's own function, as strawberry would call it, once per object.
            for obj in objects:
                kwargs[root_name] = obj
                values.append(func(**kwargs))
        except Exception:
            for value in values:
                if inspect.iscoroutine(value):
                    value.close()
            continue
        yield relation, objects, values


async def _settle(values: list[Any]) -> list[Any]:
    """`values` with each awaitable replaced by its result, an exception for a failed one.

    A DataLoader resolves every future of a batch at once, so the distinct futures are awaited
    one after the other (after the first, the rest are done): gathering them would schedule a
    callback per object, thousands on a page. Other awaitables (coroutines) are gathered.
    """
    futures: dict[int, asyncio.Future[Any]] = {}
    others: list[Any] = []
    for value in values:
        if isinstance(value, asyncio.Future):
            futures[id(value)] = value
        elif inspect.isawaitable(value):
            others.append(value)
    gathered = iter(await asyncio.gather(*others, return_exceptions=True) if others else ())
    for future in futures.values():
        if not future.done():
            with contextlib.suppress(BaseException):
                await future
    results: list[Any] = []
    for value in values:
        if isinstance(value, asyncio.Future):
            if value.cancelled():
                results.append(asyncio.CancelledError())
            else:
                results.append(value.exception() or value.result())
        elif inspect.isawaitable(value):
            results.append(next(gathered))
        else:
            results.append(value)
    return results


def _objects(results: Iterable[Any]) -> Iterable[Any]:
    """The distinct strawberry objects among loaded values (lists flattened, None and errors
    skipped): a resource on many assignments is one object, prefetched once."""
    seen: set[int] = set()
    for value in results:
        values = value if isinstance(value, list) else (value,)
        for v in values:
            if v is not None and not isinstance(v, BaseException) and id(v) not in seen:
                seen.add(id(v))
                yield v


def _relations(
    schema: GraphQLSchema, type_name: str, selections: list[Selection]
) -> list[_Relation]:
    """The selected fields of `type_name` that the prefetch can load, merged by field and args."""
    fields = _relation_fields(schema, type_name)
    interfaces = _type_names(schema, type_name)
    merged: dict[tuple[str, tuple[tuple[str, Any], ...]], _Relation] = {}
    for selected in _flatten(selections, interfaces):
        strawberry_field = fields.get(selected.name)
        if strawberry_field is None or selected.directives:
            continue
        arguments = selected.arguments
        if not set(arguments) <= _PREFETCHABLE_ARGUMENTS:
            continue
        if any(not isinstance(v, int | None) for v in arguments.values()):
            continue
        # Passed by Python name below; only where that is the GraphQL name too.
        if not set(arguments) <= {a.python_name for a in strawberry_field.arguments}:
            continue
        key = (selected.name, tuple(sorted(arguments.items())))
        relation = merged.get(key)
        if relation is None:
            relation = merged[key] = _Relation(strawberry_field, dict(arguments))
        relation.selections.extend(selected.selections)
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
def _relation_fields(schema: GraphQLSchema, type_name: str) -> dict[str, StrawberryField]:
    """GraphQL field name -> strawberry field, for `type_name`'s fields that lead to objects
    through a plain synchronous resolver with no field extensions (no permission checks)."""
    graphql_type = schema.get_type(type_name)
    if not isinstance(graphql_type, GraphQLObjectType):
        return {}
    result: dict[str, StrawberryField] = {}
    for name, graphql_field in graphql_type.fields.items():
        target = get_named_type(graphql_field.type)
        if not isinstance(target, GraphQLObjectType | GraphQLInterfaceType):
            continue
        strawberry_field = graphql_field.extensions.get("strawberry-definition")
        if not isinstance(strawberry_field, StrawberryField):
            continue
        resolver = strawberry_field.base_resolver
        if resolver is None or resolver.is_async or strawberry_field.extensions:
            continue
        result[name] = strawberry_field
    return result
