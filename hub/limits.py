"""Limits on what one request may cost, and what an unexpected failure may reveal.

- strawberry extensions: query depth, alias and token limits (checked while parsing and
  validating, so an abusive query is refused before any resolver or SQL runs), and error
  masking that keeps the CrosswalkError family visible and hides everything else;
- ASGI middleware: a request ID on every request, and a request-body size limit (413).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from graphql import GraphQLError
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from golden_records.errors import CrosswalkError
from hub.auth.responses import send_graphql_error
from hub.settings import Settings

log = logging.getLogger(__name__)

REQUEST_ID_SCOPE_KEY = "crosswalk.request_id"
REQUEST_ID_HEADER = "x-request-id"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
_LIMIT_MESSAGES = re.compile(r"maximum operation depth|aliases|more than \d+ tokens")
# A client-supplied request ID is echoed into logs: keep it short and harmless.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


ExtensionFactory = type[SchemaExtension] | Callable[[], SchemaExtension]


def security_extensions(settings: Settings) -> list[ExtensionFactory]:
    """The extensions the Schema is built with: `Schema(..., extensions=security_extensions(s))`.

    Factories, not instances: strawberry then builds fresh ones per request, so concurrent
    requests never share an extension's execution context (and so never each other's
    request ID). MaskUnexpectedErrors goes last so that it sees every other extension's errors.
    """
    max_tokens, max_depth, max_aliases = (
        settings.max_tokens,
        settings.max_query_depth,
        settings.max_aliases,
    )
    extensions: list[ExtensionFactory] = [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: QueryDepthLimiter(max_depth=max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
        LimitErrorCodes,
    ]
    if settings.mask_errors:
        extensions.append(MaskUnexpectedErrors)
    return extensions


class QueryTooComplex(CrosswalkError):
    code = QUERY_TOO_COMPLEX


class InternalError(CrosswalkError):
    """What an unexpected exception becomes once masked: a message with the request ID."""

    code = "INTERNAL"


class LimitErrorCodes(SchemaExtension):
    """Gives the limiters' errors a stable code, so clients can tell them from typos.

    The error is re-raised as a CrosswalkError (QueryTooComplex), so the API's one error
    mapping (`schema.errors`) turns it into `extensions.code` like every other domain error.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = _errors(result)
        if result is not None and any(_is_limit_error(e) for e in errors):
            result.errors = [_as_limit_error(e) if _is_limit_error(e) else e for e in errors]


class MaskUnexpectedErrors(MaskErrors):
    """Replaces unexpected exceptions by "Internal error; request id <id>" and logs them.

    Left visible: GraphQL's own parse/validation errors, GraphQLErrors raised on purpose
    (permissions), and the CrosswalkError family (given their `code` if the API's error mapping
    has not already set one). Hidden: everything else, which may carry SQL or stack traces.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = _request_id(self.execution_context.context)
        log.error(
            "unexpected error in %s (request id %s)",
            ".".join(str(p) for p in error.path or ()) or "operation",
            request_id,
            exc_info=error.original_error,
        )
        message = f"Internal error; request id {request_id}"
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            # A CrosswalkError in place of the real one: later error mappings keep it as is.
            original_error=InternalError(message),
            extensions={"code": "INTERNAL", "requestId": request_id},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        for error in errors:
            original = error.original_error
            if isinstance(original, CrosswalkError) and "code" not in (error.extensions or {}):
                error.extensions = {**(error.extensions or {}), "code": original.code}
        return super()._process_errors(errors)


def _is_limit_error(error: GraphQLError) -> bool:
    return error.original_error is None and bool(_LIMIT_MESSAGES.search(error.message))


def _as_limit_error(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        message=error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=QueryTooComplex(error.message),
        extensions={**(error.extensions or {}), "code": QUERY_TOO_COMPLEX},
    )


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, CrosswalkError | GraphQLError)


def _errors(result: Any) -> list[GraphQLError]:
    return list(getattr(result, "errors", None) or [])


def _request_id(context: Any) -> str:
    """The request ID from the per-request context, however the app shaped it."""
    candidates: list[Any] = [getattr(context, "request_id", None)]
    if isinstance(context, dict):
        candidates.append(context.get("request_id"))
        request = context.get("request")
    else:
        request = getattr(context, "request", None)
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict):
        candidates.append(scope.get(REQUEST_ID_SCOPE_KEY))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            return candidate
    return uuid.uuid4().hex  # still logged beside the error, so it can be found


class RequestIdMiddleware:
    """Gives every request an ID (the caller's X-Request-ID if sane), echoed in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
        scope[REQUEST_ID_SCOPE_KEY] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


class _BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """Refuses request bodies over `max_body_bytes` with 413, by Content-Length or as it streams."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:  # too late to answer 413; the app's partial response stands
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        await send_graphql_error(
            send,
            413,
            f"Request body too large: the limit is {self.max_body_bytes} bytes.",
            "PAYLOAD_TOO_LARGE",
        )
