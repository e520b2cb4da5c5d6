"""GraphQL-shaped JSON error responses sent straight from ASGI middleware (401, 413, ...)."""

from __future__ import annotations

import json

from starlette.types import Send


def graphql_error_body(message: str, code: str, **extensions: str) -> bytes:
    """`{"errors":[{"message":..., "extensions":{"code":...}}]}`, as GraphQL clients expect."""
    return json.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    ).encode()


async def send_graphql_error(
    send: Send,
    status: int,
    message: str,
    code: str,
    *,
    headers: dict[str, str] | None = None,
) -> None:
    body = graphql_error_body(message, code)
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
