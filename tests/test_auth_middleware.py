"""The authentication gate, driven through a small Starlette app over HTTP."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from golden_records.models import DEFAULT_TENANT
from hub.auth import Role
from hub.auth.api_keys import create_key, revoke_key
from hub.auth.jwt import JwtVerifier
from hub.auth.middleware import AuthenticationMiddleware, Authenticator, get_principal
from hub.settings import Settings

Sessions = async_sessionmaker[AsyncSession]


async def whoami(request: Request) -> JSONResponse:
    principal = get_principal(request.scope)
    if principal is None:  # only the GraphiQL page is served without a caller
        return JSONResponse({"page": "graphiql"})
    return JSONResponse(
        {"tenant": principal.tenant_id, "role": principal.role.value, "via": principal.auth_method}
    )


async def ok(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def build_app(sessions: Sessions, verifier: JwtVerifier | None = None) -> Starlette:
    app = Starlette(
        routes=[
            Route("/healthz", ok),
            Route("/metrics", ok),
            Route("/graphql", whoami, methods=["GET", "POST"]),
            Route("/export/margin.csv", whoami),
        ]
    )
    app.add_middleware(
        AuthenticationMiddleware,
        authenticator=Authenticator(sessions, verifier),
        ide_paths=["/graphql"],
    )
    return app


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub")


async def test_probes_answer_without_credentials(sessions: Sessions) -> None:
    async with client(build_app(sessions)) as http:
        assert (await http.get("/healthz")).text == "ok"
        assert (await http.get("/metrics")).status_code == 200


@pytest.mark.parametrize("path", ["/graphql", "/export/margin.csv", "/nowhere"])
async def test_everything_else_needs_a_token(sessions: Sessions, path: str) -> None:
    async with client(build_app(sessions)) as http:
        response = await http.post(path, json={"query": "{ __typename }"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Bearer" in error["message"]


async def test_api_key_authenticates_and_revocation_applies_to_next_request(
    sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    key, plaintext = await create_key(sessions, DEFAULT_TENANT, Role.APP)
    headers = {"Authorization": f"Bearer {plaintext}"}
    async with client(build_app(sessions)) as http:
        response = await http.post("/graphql", headers=headers)
        assert response.json() == {"tenant": DEFAULT_TENANT, "role": "app", "via": "api_key"}

        await revoke_key(sessions, key.id)
        with caplog.at_level(logging.DEBUG):
            refused = await http.post("/graphql", headers=headers)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert plaintext not in caplog.text
    assert plaintext.split("_", 2)[2] not in caplog.text


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer nonsense-token"])
async def test_malformed_or_unknown_credentials_are_refused(
    sessions: Sessions, header: str
) -> None:
    async with client(build_app(sessions)) as http:
        response = await http.get("/export/margin.csv", headers={"Authorization": header})
    assert response.status_code == 401


async def test_graphiql_page_loads_but_queries_by_get_still_need_a_token(
    sessions: Sessions,
) -> None:
    async with client(build_app(sessions)) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        query = await http.get(
            "/graphql", params={"query": "{ __typename }"}, headers={"Accept": "text/html"}
        )
    assert page.json() == {"page": "graphiql"}
    assert query.status_code == 401


async def test_jwt_bearer_token(sessions: Sessions, tmp_path: Path) -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk["kid"] = "k1"
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk]}))
    verifier = JwtVerifier(issuer="https://idp", audience="crosswalk", jwks_file=jwks)
    claims = {
        "sub": "bob",
        "iss": "https://idp",
        "aud": "crosswalk",
        "exp": int(time.time()) + 60,
        "crosswalk_tenant": DEFAULT_TENANT,
        "crosswalk_role": "analyst",
    }
    good = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": "k1"})
    expired = jwt.encode(
        {**claims, "exp": int(time.time()) - 600},
        private_key,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    async with client(build_app(sessions, verifier)) as http:
        response = await http.get("/graphql", headers={"Authorization": f"Bearer {good}"})
        refused = await http.get("/graphql", headers={"Authorization": f"Bearer {expired}"})
    assert response.json() == {"tenant": DEFAULT_TENANT, "role": "analyst", "via": "jwt"}
    assert refused.status_code == 401


async def test_jwt_refused_when_not_configured(sessions: Sessions) -> None:
    authenticator = Authenticator.from_settings(sessions, Settings())
    assert authenticator.jwt_verifier is None
    assert await authenticator.authenticate("a.b.c") is None
    async with client(build_app(sessions)) as http:
        response = await http.get("/graphql", headers={"Authorization": "Bearer a.b.c"})
    assert response.status_code == 401
