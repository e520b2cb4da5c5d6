"""Limits on what one request may cost.

- strawberry extensions: query depth, alias and token limits, checked while parsing and
  validating, so an abusive query is refused before any resolver or SQL runs;
- ASGI middleware: a request-body size limit (413).

Unexpected errors are masked in one place, `schema.errors`; request IDs come from
`hub.logging.RequestIdMiddleware`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from graphql import GraphQLError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from golden_records.errors import CrosswalkError
from hub.auth.responses import send_graphql_error
from hub.settings import Settings

log = logging.getLogger(__name__)

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
DOCUMENT_CACHE_SIZE = 256  # distinct documents whose validation result is kept
_LIMIT_MESSAGES = re.compile(r"maximum operation depth|aliases|more than \d+ tokens")


ExtensionFactory = type[SchemaExtension] | Callable[[], SchemaExtension]


def security_extensions(settings: Settings) -> list[ExtensionFactory]:
    """The extensions the Schema is built with: `Schema(..., extensions=security_extensions(s))`.

    Factories, not instances: strawberry then builds fresh ones per request, so concurrent
    requests never share an extension's execution context. The depth and alias rules are built
    once and shared, so that validation results can be cached across requests (a client sends
    the same few queries over and over; validating each costs ~1.5 ms). The cache is bounded,
    and a refused query is refused again: its errors are what is cached. (Parsing is not
    cached: strawberry's parser cache raises the token limit's error past the extension that
    gives it its code.)
    """
    max_tokens = settings.max_tokens
    rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    extensions: list[ExtensionFactory] = [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        LimitErrorCodes,
    ]
    return extensions


class QueryTooComplex(CrosswalkError):
    code = QUERY_TOO_COMPLEX


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


def _errors(result: Any) -> list[GraphQLError]:
    return list(getattr(result, "errors", None) or [])


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
