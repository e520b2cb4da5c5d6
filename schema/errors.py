"""The one place where errors become GraphQL errors: CrosswalkError -> `extensions.code`.

Errors a caller can act on (the CrosswalkError family) keep their message and gain their stable
`code` (and `field` when known). Anything else is a bug: it is logged with the request ID and
masked, so no internals leak, but the caller still gets a code and an ID to quote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from golden_records.errors import CrosswalkError

log = logging.getLogger("crosswalk.graphql")

# Errors graphql-core raises itself (syntax, unknown fields, bad variable types).
GRAPHQL_VALIDATION = "GRAPHQL_VALIDATION"
INTERNAL = "INTERNAL"


def _request_id(context: Any) -> str | None:
    return getattr(context, "request_id", None)


def format_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """The GraphQL error a caller sees for `error`."""
    original = error.original_error
    if isinstance(original, CrosswalkError):
        extensions: dict[str, Any] = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        message = original.message
    elif original is None:
        extensions = {"code": GRAPHQL_VALIDATION}
        message = error.message
    else:
        extensions = {"code": INTERNAL}
        if request_id:
            extensions["requestId"] = request_id
        message = "Internal error; quote the request ID when reporting it."
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions={**(error.extensions or {}), **extensions},
    )


class CrosswalkErrors(SchemaExtension):
    """Rewrites every error of an operation with `format_error`."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            request_id = _request_id(self.execution_context.context)
            result.errors = [format_error(e, request_id) for e in errors]


class CrosswalkSchema(strawberry.Schema):
    """A strawberry Schema that logs only the errors that are bugs."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, CrosswalkError):
                continue
            request_id = _request_id(execution_context.context) if execution_context else None
            log.error("unexpected error in GraphQL request %s", request_id, exc_info=original)
