"""JWT bearer tokens: signature by kid from a JWKS, issuer, audience, expiry, tenant/role claims."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from golden_records.errors import ConfigurationError
from hub.auth import AuthMethod, Role
from hub.auth.jwt import JwtRejected, JwtVerifier
from hub.settings import Settings

ISSUER = "https://idp.example.com/"
AUDIENCE = "crosswalk-api"


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_file(tmp_path: Path, private_key: rsa.RSAPrivateKey) -> Path:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    jwk.update(kid="key-1", use="sig", alg="RS256")
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    return path


@pytest.fixture
def verifier(jwks_file: Path) -> JwtVerifier:
    verifier = JwtVerifier.from_settings(
        Settings(
            jwt_issuer=ISSUER,
            jwt_audience=AUDIENCE,
            jwt_jwks_file=jwks_file,
            jwt_role_claim="roles",
        )
    )
    assert verifier is not None
    return verifier


def make_token(key: Any, kid: str = "key-1", **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "sub": "alice@firm.example",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": int(time.time()) + 300,
        "crosswalk_tenant": "acme",
        "roles": ["viewer", "steward"],
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_valid_token_gives_tenant_and_strongest_role(
    verifier: JwtVerifier, private_key: rsa.RSAPrivateKey
) -> None:
    principal = verifier.verify(make_token(private_key))
    assert principal.tenant_id == "acme"
    assert principal.role is Role.STEWARD
    assert principal.subject == "alice@firm.example"
    assert principal.auth_method is AuthMethod.JWT
    assert principal.key_id is None


def test_single_string_role_claim(verifier: JwtVerifier, private_key: rsa.RSAPrivateKey) -> None:
    assert verifier.verify(make_token(private_key, roles="Analyst")).role is Role.ANALYST


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 3600}, "token expired"),
        ({"aud": "someone-else"}, "wrong audience"),
        ({"iss": "https://evil.example.com/"}, "wrong issuer"),
        ({"crosswalk_tenant": None}, "tenant claim"),
        ({"roles": ["superuser"]}, "no known role"),
        ({"sub": None}, "missing claim 'sub'"),
    ],
)
def test_rejections_say_why(
    verifier: JwtVerifier,
    private_key: rsa.RSAPrivateKey,
    overrides: dict[str, Any],
    reason: str,
) -> None:
    with pytest.raises(JwtRejected, match=reason):
        verifier.verify(make_token(private_key, **overrides))


def test_unknown_kid_is_rejected(verifier: JwtVerifier, private_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(JwtRejected, match="unknown key id 'key-2'"):
        verifier.verify(make_token(private_key, kid="key-2"))


def test_token_signed_by_another_key_is_rejected(verifier: JwtVerifier) -> None:
    intruder = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(JwtRejected, match="bad signature"):
        verifier.verify(make_token(intruder))


def test_hs256_token_using_the_public_key_as_secret_is_rejected(
    verifier: JwtVerifier,
) -> None:
    forged = jwt.encode(
        {"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60},
        "a-shared-secret-long-enough-for-hs256-0123",
        algorithm="HS256",
        headers={"kid": "key-1"},
    )
    with pytest.raises(JwtRejected):
        verifier.verify(forged)


def test_rejection_is_logged_without_the_token(
    verifier: JwtVerifier, private_key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    token = make_token(private_key, aud="someone-else")
    with caplog.at_level(logging.INFO, logger="hub.auth.jwt"):
        assert verifier.authenticate(token) is None
    assert "wrong audience" in caplog.text
    assert token not in caplog.text
    assert token.split(".")[2] not in caplog.text


def test_configuration_errors_are_clear(tmp_path: Path) -> None:
    assert JwtVerifier.from_settings(Settings()) is None
    broken = tmp_path / "jwks.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigurationError, match="not a readable JWKS file"):
        JwtVerifier.from_settings(Settings(jwt_jwks_file=broken))
    with pytest.raises(ConfigurationError, match="exactly one"):
        JwtVerifier(issuer=None, audience=None, jwks_url="https://x", jwks_file=broken)


@pytest.fixture
def jwks_url(jwks_file: Path) -> Iterator[str]:
    """The JWKS served over HTTP on a free local port, as an identity provider would."""
    body = jwks_file.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


def test_keys_from_a_jwks_url(jwks_url: str, private_key: rsa.RSAPrivateKey) -> None:
    verifier = JwtVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=jwks_url, role_claim="roles")
    assert verifier.fetches_keys
    assert verifier.verify(make_token(private_key)).tenant_id == "acme"
    with pytest.raises(JwtRejected, match="unknown key id"):
        verifier.verify(make_token(private_key, kid="rotated-away"))


def test_unreachable_jwks_url_is_a_rejection_not_a_crash(private_key: rsa.RSAPrivateKey) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: nothing listens there
    verifier = JwtVerifier(
        issuer=ISSUER, audience=AUDIENCE, jwks_url=f"http://127.0.0.1:{port}/jwks.json"
    )
    with pytest.raises(JwtRejected, match="could not fetch JWKS"):
        verifier.verify(make_token(private_key))
