"""The authentication gate: every request but the public probes needs a valid bearer token.

Pure ASGI, so it wraps the whole app (GraphQL, exports, anything mounted later). The caller's
Principal goes into `scope["crosswalk.principal"]`; resolvers read it from there through the
per-request context. Tokens are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from hub.auth.api_keys import authenticate_key, looks_like_api_key
from hub.auth.jwt import JwtVerifier
from hub.auth.principal import Principal
from hub.auth.responses import send_graphql_error
from hub.settings import Settings

log = logging.getLogger(__name__)

PRINCIPAL_SCOPE_KEY = "crosswalk.principal"
PUBLIC_PATHS = frozenset({"/healthz", "/metrics"})


def get_principal(scope: Scope) -> Principal | None:
    """The authenticated caller of this request (None only on public paths)."""
    return scope.get(PRINCIPAL_SCOPE_KEY)


class Authenticator:
    """Turns a bearer token into a Principal: API keys first, then JWTs when configured."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        jwt_verifier: JwtVerifier | None = None,
    ) -> None:
        self.sessions = sessions
        self.jwt_verifier = jwt_verifier

    @classmethod
    def from_settings(
        cls, sessions: async_sessionmaker[AsyncSession], settings: Settings
    ) -> Authenticator:
        """API keys always; JWTs too when a JWKS file or URL is configured."""
        return cls(sessions, JwtVerifier.from_settings(settings))

    async def authenticate(self, token: str) -> Principal | None:
        if looks_like_api_key(token):
            return await authenticate_key(self.sessions, token)
        verifier = self.jwt_verifier
        if verifier is None:
            log.info("jwt rejected: JWT authentication is not configured")
            return None
        if verifier.fetches_keys:  # PyJWKClient fetches the JWKS with blocking I/O
            return await anyio.to_thread.run_sync(verifier.authenticate, token)
        return verifier.authenticate(token)


class AuthenticationMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        *,
        public_paths: Iterable[str] = PUBLIC_PATHS,
        ide_paths: Iterable[str] = (),
    ) -> None:
        """`ide_paths`: where a browser may load the GraphiQL page itself without a token
        (a GET for HTML with no query); the page then sends the key with every query."""
        self.app = app
        self.authenticator = authenticator
        self.public_paths = frozenset(public_paths)
        self.ide_paths = frozenset(ide_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._is_public(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        token = _bearer_token(headers.get("authorization"))
        principal = await self.authenticator.authenticate(token) if token else None
        if principal is None:
            reason = "invalid credentials" if token else "no bearer token"
            log.info("unauthenticated %s %s: %s", scope.get("method", "WS"), scope["path"], reason)
            await self._refuse(scope, send, token is not None)
            return
        scope[PRINCIPAL_SCOPE_KEY] = principal
        await self.app(scope, receive, send)

    def _is_public(self, scope: Scope) -> bool:
        path = scope["path"]
        if path in self.public_paths:
            return True
        if path in self.ide_paths and scope["type"] == "http" and scope["method"] == "GET":
            headers = Headers(scope=scope)
            return not scope.get("query_string") and "text/html" in headers.get("accept", "")
        return False

    async def _refuse(self, scope: Scope, send: Send, had_token: bool) -> None:
        if scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 4401})
            return
        message = (
            "Invalid or revoked credentials."
            if had_token
            else "Authentication required: send 'Authorization: Bearer <API key or JWT>'."
        )
        challenge = 'Bearer realm="crosswalk"'
        if had_token:
            challenge += ', error="invalid_token"'
        await send_graphql_error(
            send, 401, message, "UNAUTHENTICATED", headers={"WWW-Authenticate": challenge}
        )


def _bearer_token(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token
