"""Shortcuts for plain fields: the executor reads scalar attributes directly (`name`, `id`,
...), and `streamline` lets argument-less relation fields skip strawberry's argument handling.

graphql-core builds a resolve-info object, a path and an argument dict for every field of
every object, even for a field that only reads an attribute. On a nested page most fields are
exactly that, so `PlainFieldExecutor` reads them directly: for a field without arguments whose
strawberry resolver is the plain attribute read, it takes the attribute and coerces it with the
field's scalar or enum type, the same two steps graphql-core would take. Anything else (fields
with resolvers, arguments or permission extensions, null values, values that fail to coerce) goes
through graphql-core's own `execute_field`, so errors and nulls are reported exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    Undefined,
    get_nullable_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info
from strawberry.types.field import StrawberryField

# (attribute name, output coercion) for a plain field; None for any other field.
_Plain = tuple[str, Callable[[Any], Any]] | None


class PlainFieldExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, reading plain attribute fields without per-field machinery."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain: dict[tuple[str, str], _Plain] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        # Strawberry always passes a manager; it only wraps resolvers when an extension
        # implements `resolve`, and then every field must go through it.
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plain = self._plain
        rest: GroupedFieldSet = {}
        fast: dict[str, Any] = {}
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            key = (parent_type.name, node.name.value)
            if key in plain:
                reader = plain[key]
            else:
                reader = plain[key] = self._plain_reader(parent_type, node.name.value)
            if reader is not None and not node.arguments:
                attribute, coerce = reader
                value = getattr(source_value, attribute, None)
                if value is not None:
                    try:
                        coerced = coerce(value)
                    except Exception:
                        coerced = None
                    if coerced is not None and coerced is not Undefined:
                        fast[response_name] = coerced
                        continue
            rest[response_name] = details
        if not rest:
            return fast
        others = super().execute_fields(parent_type, source_value, path, rest, position_context)
        # Keep the response's field order: the order of the query.
        order = list(grouped_field_set)
        if isinstance(others, dict):
            return _ordered(order, fast, others)

        async def merged() -> dict[str, Any]:
            return _ordered(order, fast, await others)

        return merged()

    def _plain_reader(self, parent_type: GraphQLObjectType, field_name: str) -> _Plain:
        field_def = parent_type.fields.get(field_name)
        if field_def is None:
            return None
        definition = field_def.extensions.get("strawberry-definition")
        resolve = field_def.resolve
        if (
            not isinstance(definition, StrawberryField)
            or not definition.is_basic_field
            or definition.default_resolver is not getattr
            # strawberry's own resolver for such a field: anything else wraps it (handlers).
            or getattr(resolve, "__name__", None) != "_get_basic_result"
        ):
            return None
        leaf = get_nullable_type(field_def.type)
        if not isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
            return None
        return definition.python_name, leaf.coerce_output_value


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


def _ordered(order: list[str], fast: dict[str, Any], others: dict[str, Any]) -> dict[str, Any]:
    return {
        name: fast[name] if name in fast else others[name]
        for name in order
        if name in fast or name in others
    }
