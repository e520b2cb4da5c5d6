"""Fault injection shared by the five emulators: 500s, throttling, latency and dropped sockets.

A `FaultPlan` says how often each fault happens; `FaultInjector` is the ASGI middleware that
applies it, deterministically from the plan's seed. The plan lives in a mutable `FaultControl`
so tests (and `PUT /__sandbox/faults`) can switch faults on and off while the app runs.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

ADMIN_PATH = "/__sandbox/faults"

# Builds the system's own throttling / server-error response (bodies differ per product).
ThrottleResponse = Callable[[int], Response]
ServerErrorResponse = Callable[[], Response]


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """How often each fault happens, as probabilities per request (0 disables)."""

    error_rate: float = 0.0  # HTTP 500 with the system's error body
    throttle_rate: float = 0.0  # HTTP 429 with Retry-After
    retry_after: int = 1  # seconds, sent in Retry-After
    latency: float = 0.0  # seconds added to every request
    drop_rate: float = 0.0  # connection closed without a complete response
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("error_rate", "throttle_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.retry_after < 0 or self.latency < 0:
            raise ValueError("retry_after and latency must not be negative")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        # JSON has one number type: coerce to each field's declared type.
        casts = {f.name: (int if f.type in ("int", int) else float) for f in fields(cls)}
        try:
            values: dict[str, Any] = {name: casts[name](value) for name, value in data.items()}
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"invalid fault settings: {exc}") from exc


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised inside the app to drop the connection.

    Under uvicorn the response has already started, so the server closes the socket mid-response
    and the client sees a protocol error; under `httpx.ASGITransport` the exception reaches the
    client directly, as the transport-level error a real dropped connection gives.
    """

    def __init__(self) -> None:
        super().__init__("sandbox dropped the connection (fault injection)")


class FaultControl:
    """The current plan and its random stream; replace the plan at any time."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.set(plan or FaultPlan())

    def set(self, plan: FaultPlan) -> None:
        self.plan = plan
        self._random = random.Random(plan.seed)

    def clear(self) -> None:
        self.set(FaultPlan())

    def draw(self) -> str | None:
        """Pick this request's fault, if any; one random draw per request keeps runs replayable."""
        plan = self.plan
        roll = self._random.random()
        for name, rate in (
            ("drop", plan.drop_rate),
            ("error", plan.error_rate),
            ("throttle", plan.throttle_rate),
        ):
            if roll < rate:
                return name
            roll -= rate
        return None


class FaultInjector:
    """ASGI middleware applying a `FaultControl` and serving its admin endpoint."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        control: FaultControl,
        throttle: ThrottleResponse,
        server_error: ServerErrorResponse,
    ) -> None:
        self.app = app
        self.control = control
        self.throttle = throttle
        self.server_error = server_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].endswith(ADMIN_PATH):
            await self._serve_admin(scope, receive, send)
            return
        plan = self.control.plan
        if plan.latency:
            await asyncio.sleep(plan.latency)
        fault = self.control.draw()
        if fault == "drop":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"1024")],
                }
            )
            raise DroppedConnection()
        if fault == "error":
            await self.server_error()(scope, receive, send)
        elif fault == "throttle":
            response = self.throttle(plan.retry_after)
            response.headers["Retry-After"] = str(plan.retry_after)
            await response(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _serve_admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GET shows the plan, PUT replaces it, DELETE clears it (no auth: a sandbox-only door)."""
        request = Request(scope, receive)
        response: Response
        if request.method == "GET":
            response = JSONResponse(asdict(self.control.plan))
        elif request.method == "PUT":
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                self.control.set(FaultPlan.from_dict(body))
            except (ValueError, TypeError) as exc:
                response = JSONResponse({"error": str(exc)}, status_code=422)
            else:
                response = JSONResponse(asdict(self.control.plan))
        elif request.method == "DELETE":
            self.control.clear()
            response = JSONResponse(asdict(self.control.plan))
        else:
            response = JSONResponse({"error": "method not allowed"}, status_code=405)
        await response(scope, receive, send)
