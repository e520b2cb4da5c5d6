"""Assembles one emulator: its routes behind the shared fault injector, its store on app.state."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import BaseRoute

from connectors.sandbox.faults import (
    FaultControl,
    FaultInjector,
    ServerErrorResponse,
    ThrottleResponse,
)


def build_app(
    routes: Sequence[BaseRoute],
    *,
    store: Any,
    faults: FaultControl | None,
    throttle: ThrottleResponse,
    server_error: ServerErrorResponse,
) -> Starlette:
    control = faults or FaultControl()
    app = Starlette(
        routes=list(routes),
        middleware=[
            Middleware(FaultInjector, control=control, throttle=throttle, server_error=server_error)
        ],
    )
    app.state.store = store
    app.state.faults = control
    return app


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def basic_user(request: Request) -> str | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, _password = base64.b64decode(encoded).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user or None


async def json_body(request: Request) -> Any:
    """The request's JSON, or None when it is missing or malformed."""
    try:
        return await request.json()
    except ValueError:
        return None
