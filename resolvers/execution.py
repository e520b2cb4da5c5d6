"""Shortcuts for plain fields: the executor reads scalar attributes directly (`name`, `id`,
...), completes already-loaded relations itself, and `streamline` lets argument-less relation
fields skip strawberry's argument handling.

graphql-core builds a resolve-info object, a path and an argument dict for every field of
every object, even for a field that only reads an attribute. On a nested page most fields are
exactly that, so `PlainFieldExecutor` reads them directly: for a field without arguments whose
strawberry resolver is the plain attribute read, it takes the attribute and coerces it with the
field's scalar or enum type, the same two steps graphql-core would take. The fields of a
selection whose values need no coercion (str, bool, or a null where allowed) are read together
by one function made for the selection. Anything else (fields with resolvers, arguments or
permission extensions, nulls where the schema forbids them, values that fail to coerce) goes
through graphql-core's own `execute_field`, so errors and nulls are reported exactly as before.

A relation field whose resolver `streamline` made lean (`projects`, `resource`, ...) is
completed here when its value is already loaded (the prefetch put it in `Loaders.loaded`, or
the resolver returned loaded objects) and is made of objects of exactly the field's object
type; so is a field with no resolver that reads an object or a list of them off an attribute
(a connection's `edges`, an edge's `node`). Their objects' fields are executed directly,
without graphql-core's chain of `complete_value` calls per item (non-null, list, item, type
check, sub-field collection), and response paths are plain tuples until an error or
graphql-core needs a `Path`. An awaitable, a null where the schema forbids one, or an object
of another class goes to graphql-core's `complete_value` with the value already resolved, so
nothing is resolved twice.

For a query it also tells the request's loaders which fields the operation selects on each type
(`resolvers.columns`), so they fetch only the columns the response needs.
"""

from __future__ import annotations

import functools
import keyword
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLString,
    OperationType,
    Undefined,
    get_nullable_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from resolvers.columns import selected_fields
from resolvers.related import relation_of

# (attribute name, output coercion, the Python type coercion returns unchanged) for a plain
# field; None for any other field.
_Plain = tuple[str, Callable[[Any], Any], type] | None
# Scalars whose coercion returns a value of this exact type as it is.
_UNCHANGED: dict[GraphQLScalarType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
}
# Resolvers `streamline` installed: synchronous, no extensions, no arguments needed.
_lean_resolvers: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()
# A resolver result `_complete_loaded` leaves to graphql-core.
_NOT_LOADED = object()


class _Relation:
    """How to complete a lean relation field, or a field that reads an object (or a list of
    them) off its parent's attribute (a connection's `edges`, an edge's `node`): its type's
    shape and the Python class expected.

    Made per selection and request, so it also keeps what is the same for every object of
    the selection: the sub-selection, and the prefetched values of its loader.
    """

    __slots__ = (
        "attribute",
        "declared",
        "field_def",
        "item_type",
        "known",
        "list",
        "object_type",
        "origin",
        "plan",
        "subfields",
    )

    def __init__(
        self,
        field_def: GraphQLField,
        is_list: bool,
        item_type: GraphQLOutputType,
        object_type: GraphQLObjectType,
        origin: type,
        attribute: str | None,
    ) -> None:
        self.field_def = field_def
        # The parent's attribute holding the value, for a field with no resolver of its own.
        self.attribute = attribute
        definition = field_def.extensions.get("strawberry-definition")
        resolver = getattr(definition, "base_resolver", None)
        # Declared with `to_one` / `to_many`: the prefetch may have loaded its values.
        self.declared = relation_of(resolver.wrapped_func) if resolver is not None else None
        self.list = is_list
        self.item_type = item_type  # the list's item type (NonNull or not); the field's if no list
        self.object_type = object_type
        self.origin = origin
        self.subfields: GroupedFieldSet | None = None
        self.plan: _SelectionPlan | None = None  # the sub-selection's, once known
        # key -> value, from `Loaders.loaded`, once the prefetch has loaded any.
        self.known: dict[Any, Any] | None = None


# What to do for one field of a selection: (response name, its field nodes, the plain
# reader or None, the lean relation or None); neither means graphql-core's `execute_field`.
_FieldPlan = tuple[str, FieldDetailsList, _Plain, "_Relation | None"]


class _SelectionPlan:
    """What to do for each field of one selection on one object type.

    The plain fields whose values pass as they are (a str for String or ID, a bool for
    Boolean, or None where the field is nullable) are read together, by one function made
    for the selection (`_together`); an object with any other value in them goes field by
    field (`fields`), so graphql-core coerces it or reports the error.
    """

    __slots__ = ("fields", "leaf", "order", "read_together", "rest")

    def __init__(self, fields: list[_FieldPlan], nullable: dict[str, bool]) -> None:
        self.fields = fields
        together = tuple(
            (f[0], f[2][0], f[2][2], nullable[f[0]])
            for f in fields
            if f[2] is not None and f[2][2] is not type(None) and _identifier(f[2][0])
        )
        self.read_together = _together(together)
        names = [name for name, *_ in together]
        self.rest = [f for f in fields if f[0] not in names]
        # The response keeps the selection's order: put back when the fields read together
        # are not all in front.
        in_front = [f[0] for f in fields[: len(names)]] == names
        self.order = None if in_front else tuple(f[0] for f in fields)
        # Only fields read together: an object's result is `read_together`'s, when not None.
        self.leaf = not self.rest


def _identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


# Selections repeat across requests; their readers are made once (bounded, as queries vary).
@functools.lru_cache(maxsize=1024)
def _together(
    fields: tuple[tuple[str, str, type, bool], ...],
) -> Callable[[Any], dict[str, Any] | None]:
    """A function reading `fields` (response name, attribute, exact type, nullable) off an
    object into a new results dict, or returning None when a value is missing or not of its
    field's exact type (None allowed where nullable).

    It runs for every object of every nested page, so its source is generated for the
    selection, as `dataclasses` does for `__init__`: plain attribute reads, one type test per
    field and one dict display, with no per-field loop. Attributes are Python identifiers
    (checked by the caller), response names are written with `repr`.
    """
    if not fields:
        return lambda source: {}
    reads = "".join(
        f"        v{i} = source.{attribute}\n" for i, (_, attribute, _, _) in enumerate(fields)
    )
    tests = " and ".join(
        f"(type(v{i}) is t{i} or v{i} is None)" if nullable else f"type(v{i}) is t{i}"
        for i, (_, _, _, nullable) in enumerate(fields)
    )
    entries = ", ".join(f"{name!r}: v{i}" for i, (name, _, _, _) in enumerate(fields))
    source = (
        "def read(source):\n"
        "    try:\n"
        f"{reads}"
        "    except AttributeError:\n"
        "        return None\n"
        f"    if {tests}:\n"
        f"        return {{{entries}}}\n"
        "    return None\n"
    )
    namespace: dict[str, Any] = {f"t{i}": exact for i, (_, _, exact, _) in enumerate(fields)}
    # Our own source, built above from identifiers, positions and `repr`s only.
    exec(source, namespace)
    read: Callable[[Any], dict[str, Any] | None] = namespace["read"]
    return read


# The response path of a field or list item: graphql-core's `Path`, or, below a field this
# executor completes itself, the same three parts as a plain tuple (previous path, key, type
# name), cheaper to make for every field of every object. `_real` turns one into a `Path`
# where graphql-core needs it (errors, resolve info, its own execution).
_FieldPath = Path | tuple["_FieldPath | None", str | int, str | None]


def _real(path: _FieldPath) -> Path:
    """graphql-core's `Path` for `path` (the same `Path` if it is one)."""
    if type(path) is Path:
        return path
    previous, key, type_name = path
    return Path(None if previous is None else _real(previous), key, type_name)


class PlainFieldExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, reading plain attribute fields without per-field machinery."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) -> (the set, kept alive so the id stays its own; the type it
        # was planned for; its plan)
        self._plans: dict[int, tuple[GroupedFieldSet, GraphQLObjectType, _SelectionPlan]] = {}
        # Only reads: a mutation's own code may read any attribute of the records it loads.
        loaders = getattr(self.context_value, "loaders", None)
        if loaders is not None and self.operation.operation == OperationType.QUERY:
            loaders.selected = selected_fields(self.schema, self.operation, self.fragments)
        # What the prefetch loaded (resolvers.prefetch), per loader and key; empty without it.
        self._loaded: dict[Any, dict[Any, Any]] = getattr(loaders, "loaded", {})

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: _FieldPath | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        # Strawberry always passes a manager; it only wraps resolvers when an extension
        # implements `resolve`, and then every field must go through it.
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return super().execute_fields(
                parent_type,
                source_value,
                None if path is None else _real(path),
                grouped_field_set,
                position_context,
            )
        plan = self._plan_for(parent_type, grouped_field_set)
        type_name = parent_type.name
        is_awaitable = self.is_awaitable
        read = plan.read_together(source_value)
        if read is None:
            results: dict[str, Any] = {}
            fields = plan.fields
        else:
            results, fields = read, plan.rest
        awaitable_fields: list[str] = []
        try:
            # graphql-core's `execute_fields`, with the two shortcuts in front of `execute_field`.
            for response_name, details, reader, relation in fields:
                if reader is not None:
                    attribute, coerce, exact = reader
                    value = getattr(source_value, attribute, None)
                    if value is not None:
                        # A str for String or ID, a bool for Boolean: coercion returns it as is.
                        if type(value) is exact:
                            results[response_name] = value
                            continue
                        try:
                            coerced = coerce(value)
                        except Exception:
                            coerced = None
                        if coerced is not None and coerced is not Undefined:
                            results[response_name] = coerced
                            continue
                field_path = (path, response_name, type_name)
                if relation is not None:
                    result = self._execute_relation(
                        relation, parent_type, source_value, details, field_path
                    )
                else:
                    result = self.execute_field(
                        parent_type, source_value, details, _real(field_path), position_context
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if read is not None and plan.order is not None:
            results = {name: results[name] for name in plan.order if name in results}
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                name = awaitable_fields[0]
                results[name] = await results[name]
            else:
                awaited = await gather_with_cancel(*(results[n] for n in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _execute_relation(
        self,
        relation: _Relation,
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        path: _FieldPath,
    ) -> Any:
        """graphql-core's `execute_field` for a lean relation field, completing loaded values
        directly (`_complete_loaded`) and anything else exactly as graphql-core would."""
        field_def = relation.field_def
        return_type = field_def.type
        if relation.attribute is not None:
            loaded = getattr(source, relation.attribute, _NOT_LOADED)
        elif self._loaded:
            loaded = self._loaded_value(relation, source)
        else:
            loaded = _NOT_LOADED
        if loaded is not _NOT_LOADED:
            # What the resolver would return: the attribute, or the value its loader gives for
            # the key.
            try:
                completed = self._complete_loaded(relation, details, path, loaded)
            except Exception as raw_error:
                self.handle_field_error(raw_error, return_type, details, _real(path))
                return None
            if completed is not _NOT_LOADED:
                if self.is_awaitable(completed):
                    return self._await_field(completed, return_type, details, path)
                return completed
        real_path = _real(path)
        info = self.build_resolve_info(field_def, to_nodes(details), parent_type, real_path)
        try:
            result = field_def.resolve(source, info)  # type: ignore[misc]
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, details, info, real_path, result, None
                )
            completed = self._complete_loaded(relation, details, real_path, result)
            if completed is _NOT_LOADED:
                completed = self.complete_value(return_type, details, info, real_path, result, None)
            if self.is_awaitable(completed):
                return self._await_field(completed, return_type, details, real_path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, real_path)
            return None
        return completed

    def _loaded_value(self, relation: _Relation, source: Any) -> Any:
        """The value the prefetch loaded for `relation` on `source`; `_NOT_LOADED` if none."""
        declared = relation.declared
        if declared is None:
            return _NOT_LOADED
        known = relation.known
        if known is None:
            known = self._loaded.get(declared.loader(self.context_value))
            if known is None:
                return _NOT_LOADED
            relation.known = known
        key = getattr(source, declared.key, None)
        if key is None:  # a null foreign key: no related record, as the resolver says
            return None if declared.parent_column is None else _NOT_LOADED
        return known.get(key, _NOT_LOADED)

    async def _await_field(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        details: FieldDetailsList,
        path: _FieldPath,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, _real(path))
            return None

    def _complete_loaded(
        self, relation: _Relation, details: FieldDetailsList, path: _FieldPath, result: Any
    ) -> Any:
        """The completed value of `result` when it is loaded objects of the expected class;
        `_NOT_LOADED` (nothing done) for anything graphql-core must judge."""
        origin = relation.origin
        if result is None:
            # Null is fine where the field is nullable; otherwise graphql-core says why not.
            return _NOT_LOADED if isinstance(relation.field_def.type, GraphQLNonNull) else None
        if not relation.list:
            if type(result) is not origin:
                return _NOT_LOADED
            subfields, plan = self._below(relation, details)
            if plan.leaf and (read := plan.read_together(result)) is not None:
                return read
            return self.execute_fields(relation.object_type, result, path, subfields, None)
        if type(result) is not list:
            return _NOT_LOADED
        for item in result:
            if type(item) is not origin:  # None, an error, a subclass: graphql-core's call
                return _NOT_LOADED
        object_type, item_type = relation.object_type, relation.item_type
        subfields, plan = self._below(relation, details)
        # Objects of only plain fields: their results straight from the selection's reader,
        # without a call of `execute_fields` each (which does the same first).
        read_together = plan.read_together if plan.leaf else None
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        for index, item in enumerate(result):
            if read_together is not None and (read := read_together(item)) is not None:
                completed.append(read)
                continue
            item_path = (path, index, None)
            try:
                value = self.execute_fields(object_type, item, item_path, subfields, None)
            except Exception as raw_error:
                # Raises again for a non-null item, nulling the list as graphql-core does.
                self.handle_field_error(raw_error, item_type, details, _real(item_path))
                value = None
            else:
                if is_awaitable(value):
                    value = self._await_field(value, item_type, details, item_path)
                    awaitable_indices.append(index)
            completed.append(value)
        if not awaitable_indices:
            return completed

        async def get_completed() -> list[Any]:
            awaited = await gather_with_cancel(*(completed[i] for i in awaitable_indices))
            for index, value in zip(awaitable_indices, awaited, strict=True):
                completed[index] = value
            return completed

        return get_completed()

    def _below(
        self, relation: _Relation, details: FieldDetailsList
    ) -> tuple[GroupedFieldSet, _SelectionPlan]:
        """The fields selected below `relation` and their plan (the same for each of its
        objects)."""
        subfields, plan = relation.subfields, relation.plan
        if subfields is None or plan is None:
            subfields = self.collect_subfields(relation.object_type, details)[0]
            plan = self._plan_for(relation.object_type, subfields)
            relation.subfields, relation.plan = subfields, plan
        return subfields, plan

    def _plan_for(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> _SelectionPlan:
        """The plan of a selection on a type, worked out once per request: the same selection
        (one object in graphql-core's memo) serves every item of a list."""
        cached = self._plans.get(id(grouped_field_set))
        if cached is None or cached[0] is not grouped_field_set or cached[1] is not parent_type:
            plan = self._plan(parent_type, grouped_field_set)
            cached = self._plans[id(grouped_field_set)] = (grouped_field_set, parent_type, plan)
        return cached[2]

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> _SelectionPlan:
        fields: list[_FieldPlan] = []
        nullable: dict[str, bool] = {}
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            reader = None if node.arguments else self._plain_reader(parent_type, node.name.value)
            relation = None
            if reader is None and _argument_free(details):
                relation = self._relation(parent_type, node.name.value)
            fields.append((response_name, details, reader, relation))
            if reader is not None:
                field_type = parent_type.fields[node.name.value].type
                nullable[response_name] = not isinstance(field_type, GraphQLNonNull)
        return _SelectionPlan(fields, nullable)

    def _relation(self, parent_type: GraphQLObjectType, field_name: str) -> _Relation | None:
        field_def = parent_type.fields.get(field_name)
        if field_def is None:
            return None
        attribute = _basic_attribute(field_def)
        if attribute is None and field_def.resolve not in _lean_resolvers:
            return None
        field_type = get_nullable_type(field_def.type)
        is_list = isinstance(field_type, GraphQLList)
        item_type = field_type.of_type if is_list else field_def.type
        object_type = get_nullable_type(item_type)
        if not isinstance(object_type, GraphQLObjectType):
            return None
        definition = object_type.extensions.get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        if not isinstance(origin, type) or getattr(definition, "is_graphql_generic", True):
            return None
        return _Relation(field_def, is_list, item_type, object_type, origin, attribute)

    def _plain_reader(self, parent_type: GraphQLObjectType, field_name: str) -> _Plain:
        field_def = parent_type.fields.get(field_name)
        if field_def is None:
            return None
        attribute = _basic_attribute(field_def)
        if attribute is None:
            return None
        leaf = get_nullable_type(field_def.type)
        if not isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
            return None
        # NoneType: never the type of a value that reaches coercion (None is handled first).
        exact = (
            _UNCHANGED.get(leaf, type(None)) if isinstance(leaf, GraphQLScalarType) else type(None)
        )
        return attribute, leaf.coerce_output_value, exact


def _basic_attribute(field_def: GraphQLField) -> str | None:
    """The attribute a field without a resolver reads off its parent, as strawberry's own
    resolver for it would (`getattr`); None for a field with a resolver or handlers."""
    definition = field_def.extensions.get("strawberry-definition")
    if (
        not isinstance(definition, StrawberryField)
        or not definition.is_basic_field
        or definition.default_resolver is not getattr
        # strawberry's own resolver for such a field: anything else wraps it (handlers).
        or getattr(field_def.resolve, "__name__", None) != "_get_basic_result"
    ):
        return None
    return definition.python_name


def streamline(schema: strawberry.Schema) -> None:
    """Let plain relation fields (`projects`, `resource`, ...) skip strawberry's argument
    machinery when the query passes no arguments to them.

    Strawberry wraps every resolver to convert arguments and run field extensions. For a
    synchronous resolver with no extensions, called without arguments, that work changes
    nothing: the resolver is called with the parent and an `Info`, exactly as strawberry would.
    """
    info_class = schema.config.info_class
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field_def in graphql_type.fields.values():
            definition = field_def.extensions.get("strawberry-definition")
            if isinstance(definition, StrawberryField):
                lean = _lean_resolver(definition, field_def.resolve, info_class)
                if lean is not None:
                    field_def.resolve = lean
                    _lean_resolvers.add(lean)


def _lean_resolver(
    definition: StrawberryField, original: Any, info_class: type[Info]
) -> Callable[..., Any] | None:
    resolver = definition.base_resolver
    if (
        resolver is None
        or resolver.is_async
        or definition.extensions
        # strawberry's own sync wrapper, not one with exception handlers around it
        or getattr(original, "__name__", None) != "_resolver"
        or resolver.parent_parameter is not None
        # omitted arguments must mean what strawberry would pass: None
        or any(argument.default is not None for argument in definition.arguments)
    ):
        return None
    root = resolver.root_parameter or resolver.self_parameter
    info_parameter = resolver.info_parameter
    if root is None or info_parameter is None:
        return None
    func, root_name, info_name = resolver.wrapped_func, root.name, info_parameter.name
    if not callable(func):
        return None

    def resolve(source: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        for value in kwargs.values():
            if value is not None:
                return original(source, info, **kwargs)
        return func(**{root_name: source, info_name: info_class(_raw_info=info, _field=definition)})

    return resolve


def _argument_free(details: FieldDetailsList) -> bool:
    """No arguments and no directives (such as @stream) on any of the field's nodes."""
    return all(not d.node.arguments and not d.node.directives for d in details)
