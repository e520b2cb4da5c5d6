"""Structured JSON logs and the request ID that ties every line of one request together."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "crosswalk_request_id", default=None
)

# A caller-supplied ID is echoed into logs and headers, so it must be short and inert.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Where the ID is left in the ASGI scope (the same key hub.limits reads).
REQUEST_ID_SCOPE_KEY = "crosswalk.request_id"

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "request_id", "taskName"}
)

access_log = logging.getLogger("crosswalk.access")


def current_request_id() -> str | None:
    """The ID of the request being served by this task, if any."""
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(candidate: str | None) -> str:
    """The caller's ID when it is sane, else a fresh one."""
    if candidate and _SANE_REQUEST_ID.match(candidate):
        return candidate
    return new_request_id()


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request ID (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, then extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or _request_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: a log call must never fail because an extra value is not JSON.
        return json.dumps(entry, default=str, ensure_ascii=False)


class _CrosswalkHandler(logging.StreamHandler):
    """Marks the handler we installed, so configuring twice replaces rather than duplicates."""


def configure_logging(level: str | int = "INFO", json: bool = True) -> None:
    """Route the root logger (and uvicorn's) to stderr, as JSON lines or plain text."""
    handler = _CrosswalkHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _CrosswalkHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # uvicorn installs its own plain-text handlers; send its lines through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True


class RequestIdMiddleware:
    """ASGI middleware: adopts or creates the request ID, exposes it, and logs each request."""

    def __init__(self, app: ASGIApp, *, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = accept_request_id(incoming)
        scope[REQUEST_ID_SCOPE_KEY] = request_id
        # Inner code that reads the header (not the scope key) must see the same ID.
        scope["headers"] = [
            *(h for h in scope.get("headers", []) if h[0] != b"x-request-id"),
            (b"x-request-id", request_id.encode("latin-1")),
        ]
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.log_requests and scope["type"] == "http":
                access_log.info(
                    "%s %s %s",
                    scope.get("method"),
                    scope.get("path"),
                    status,
                    extra={
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            _request_id.reset(token)
