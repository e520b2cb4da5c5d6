"""JWT bearer tokens from an identity provider: signature, issuer, audience, expiry, claims.

Keys come from a JWKS file or a JWKS URL (fetched and cached by `jwt.PyJWKClient`). The tenant
and the role come from configurable claims (dotted paths reach nested claims, e.g.
`realm_access.roles`). Every rejection is logged with its reason, never with the token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jwt as pyjwt

from golden_records.errors import ConfigurationError
from hub.auth.principal import AuthMethod, Principal
from hub.auth.roles import Role
from hub.settings import Settings

log = logging.getLogger(__name__)

# When a role claim lists several roles, the caller gets the strongest one.
_ROLE_RANK = [Role.ADMIN, Role.STEWARD, Role.APP, Role.ANALYST, Role.VIEWER]


class JwtRejected(Exception):
    """Why a token was refused; the message is safe to log (it never contains the token)."""


class JwtVerifier:
    def __init__(
        self,
        *,
        issuer: str | None,
        audience: str | None,
        algorithms: Sequence[str] = ("RS256", "ES256"),
        jwks_url: str | None = None,
        jwks_file: Path | None = None,
        tenant_claim: str = "crosswalk_tenant",
        role_claim: str = "crosswalk_role",
        leeway_seconds: int = 30,
    ) -> None:
        if (jwks_url is None) == (jwks_file is None):
            raise ConfigurationError("Configure exactly one of jwt_jwks_url and jwt_jwks_file.")
        # "none" would accept unsigned tokens: never allowed, whatever the configuration says.
        self.algorithms = [a for a in algorithms if a.lower() != "none"]
        if not self.algorithms:
            raise ConfigurationError("jwt_algorithms must name at least one signing algorithm.")
        self.issuer = issuer
        self.audience = audience
        self.tenant_claim = tenant_claim
        self.role_claim = role_claim
        self.leeway_seconds = leeway_seconds
        self._client = pyjwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._keys: dict[str, pyjwt.PyJWK] = {}
        if jwks_file is not None:
            self._keys = _load_jwks_file(jwks_file)

    @classmethod
    def from_settings(cls, settings: Settings) -> JwtVerifier | None:
        """The verifier the settings describe, or None when JWT authentication is not set up."""
        if settings.jwt_jwks_url is None and settings.jwt_jwks_file is None:
            return None
        return cls(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            algorithms=settings.jwt_algorithms,
            jwks_url=settings.jwt_jwks_url,
            jwks_file=settings.jwt_jwks_file,
            tenant_claim=settings.jwt_tenant_claim,
            role_claim=settings.jwt_role_claim,
            leeway_seconds=settings.jwt_leeway_seconds,
        )

    @property
    def fetches_keys(self) -> bool:
        """True when verifying may do network I/O (call it from a worker thread)."""
        return self._client is not None

    def authenticate(self, token: str) -> Principal | None:
        try:
            return self.verify(token)
        except JwtRejected as exc:
            log.info("jwt rejected: %s", exc)
            return None

    def verify(self, token: str) -> Principal:
        """The Principal the token proves, or JwtRejected saying why."""
        key = self._signing_key(token)
        required = ["exp", "sub"]
        if self.issuer:
            required.append("iss")
        if self.audience:
            required.append("aud")
        try:
            claims = pyjwt.decode(
                token,
                key.key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": required},
            )
        except pyjwt.ExpiredSignatureError:
            raise JwtRejected("token expired") from None
        except pyjwt.InvalidAudienceError:
            raise JwtRejected(f"wrong audience (expected {self.audience!r})") from None
        except pyjwt.InvalidIssuerError:
            raise JwtRejected(f"wrong issuer (expected {self.issuer!r})") from None
        except pyjwt.MissingRequiredClaimError as exc:
            raise JwtRejected(f"missing claim {exc.claim!r}") from None
        except pyjwt.InvalidSignatureError:
            raise JwtRejected("bad signature") from None
        except pyjwt.InvalidAlgorithmError:
            raise JwtRejected(f"algorithm not allowed (allowed: {self.algorithms})") from None
        except pyjwt.InvalidTokenError as exc:
            raise JwtRejected(f"invalid token ({type(exc).__name__})") from None
        tenant = _claim(claims, self.tenant_claim)
        if not isinstance(tenant, str) or not tenant:
            raise JwtRejected(f"missing or non-string tenant claim {self.tenant_claim!r}")
        return Principal(
            tenant_id=tenant,
            role=self._role(_claim(claims, self.role_claim)),
            subject=str(claims["sub"]),
            key_id=None,
            auth_method=AuthMethod.JWT,
        )

    def _signing_key(self, token: str) -> pyjwt.PyJWK:
        try:
            header = pyjwt.get_unverified_header(token)
        except pyjwt.InvalidTokenError:
            raise JwtRejected("malformed token") from None
        kid = header.get("kid")
        if self._client is not None:
            try:
                return self._client.get_signing_key_from_jwt(token)
            except pyjwt.PyJWKClientConnectionError as exc:
                raise JwtRejected(f"could not fetch JWKS: {exc}") from None
            except pyjwt.PyJWKClientError:
                raise JwtRejected(f"unknown key id {kid!r}") from None
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        if kid not in self._keys:
            raise JwtRejected(f"unknown key id {kid!r}")
        return self._keys[kid]

    def _role(self, value: Any) -> Role:
        values = value if isinstance(value, list) else [value]
        names = {str(v).strip().lower() for v in values if v is not None}
        for role in _ROLE_RANK:
            if role.value in names:
                return role
        raise JwtRejected(f"no known role in claim {self.role_claim!r}")


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _load_jwks_file(path: Path) -> dict[str, pyjwt.PyJWK]:
    try:
        data = json.loads(path.read_text())
        jwks = pyjwt.PyJWKSet.from_dict(data)
    except (OSError, ValueError, pyjwt.PyJWKSetError) as exc:
        raise ConfigurationError(f"{path}: not a readable JWKS file ({exc})") from None
    return {key.key_id or "": key for key in jwks.keys}
