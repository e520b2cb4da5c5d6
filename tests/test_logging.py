"""Every log line of a request carries its request ID, which the response also returns."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.testclient import TestClient

from hub.logging import (
    JsonFormatter,
    RequestIdFilter,
    RequestIdMiddleware,
    configure_logging,
    current_request_id,
)

log = logging.getLogger("crosswalk.test")


async def _hello(_request: Request) -> Response:
    log.info("handling hello", extra={"client_count": 3})
    return JSONResponse({"request_id": current_request_id()})


async def _boom(_request: Request) -> Response:
    raise RuntimeError("kaboom")


def _app() -> Starlette:
    app = Starlette(middleware=[Middleware(RequestIdMiddleware)])
    app.add_route("/hello", _hello)
    app.add_route("/boom", _boom)
    return app


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Captures what the JSON handler would write, for the crosswalk loggers."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("crosswalk")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_generated_request_id_is_in_header_and_every_log_line(json_lines: io.StringIO) -> None:
    with TestClient(_app()) as client:
        response = client.get("/hello")
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    assert response.json() == {"request_id": request_id}
    lines = _lines(json_lines)
    handled = next(line for line in lines if line["message"] == "handling hello")
    assert handled["request_id"] == request_id
    assert handled["client_count"] == 3
    assert handled["level"] == "INFO"
    assert handled["logger"] == "crosswalk.test"
    access = next(line for line in lines if line["logger"] == "crosswalk.access")
    assert access["request_id"] == request_id
    assert access["status"] == 200
    assert access["path"] == "/hello"


def test_sane_incoming_request_id_is_honoured(json_lines: io.StringIO) -> None:
    with TestClient(_app()) as client:
        response = client.get("/hello", headers={"X-Request-ID": "lb-7f3a.42"})
    assert response.headers["x-request-id"] == "lb-7f3a.42"
    assert all(line["request_id"] == "lb-7f3a.42" for line in _lines(json_lines))


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "new\\nline", "<script>"])
def test_insane_incoming_request_id_is_replaced(bad: str) -> None:
    with TestClient(_app()) as client:
        response = client.get("/hello", headers={"X-Request-ID": bad})
    assert response.headers["x-request-id"] != bad
    assert len(response.headers["x-request-id"]) == 32


def test_request_ids_differ_and_do_not_leak_between_requests(json_lines: io.StringIO) -> None:
    with TestClient(_app()) as client:
        first = client.get("/hello").headers["x-request-id"]
        second = client.get("/hello").headers["x-request-id"]
    assert first != second
    assert current_request_id() is None


def test_failing_request_is_logged_with_its_id(json_lines: io.StringIO) -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "trace-me"})
    assert response.status_code == 500
    access = next(line for line in _lines(json_lines) if line["logger"] == "crosswalk.access")
    assert access["request_id"] == "trace-me"
    assert access["status"] == 500


def test_configure_logging_writes_json_lines_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    try:
        configure_logging("INFO")
        configure_logging("INFO")  # twice must not duplicate lines
        try:
            raise ValueError("bad value")
        except ValueError:
            logging.getLogger("crosswalk.sync").exception("sync failed", extra={"system": "gusto"})
        err = capsys.readouterr().err.splitlines()
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    assert len(err) == 1
    line = json.loads(err[0])
    assert line["message"] == "sync failed"
    assert line["level"] == "ERROR"
    assert line["system"] == "gusto"
    assert line["request_id"] is None
    assert "ValueError: bad value" in line["exc"]
    assert line["time"].endswith("+00:00")


def test_inner_code_sees_the_chosen_id_in_scope_and_headers() -> None:
    seen: dict[str, str] = {}

    async def peek(request: Request) -> Response:
        seen["scope"] = request.scope["crosswalk.request_id"]
        seen["header"] = request.headers["x-request-id"]
        return Response("ok")

    app = Starlette(middleware=[Middleware(RequestIdMiddleware)])
    app.add_route("/peek", peek)
    with TestClient(app) as client:
        response = client.get("/peek", headers={"X-Request-ID": "bad id"})
    assert seen["scope"] == seen["header"] == response.headers["x-request-id"]
