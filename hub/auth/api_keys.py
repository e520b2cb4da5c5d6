"""API keys: create, list, revoke, and authenticate a bearer token against the stored hash.

A key looks like `cwk_<prefix>_<secret>`. The prefix (random, public) finds the row; the secret
(256 random bits) is never stored: only SHA-256 of the whole key is. A slow password hash
(bcrypt, argon2) exists to make guessing *low-entropy* human passwords expensive; a 256-bit
random secret cannot be guessed whatever the hash speed, so one SHA-256 is sufficient and keeps
authentication cheap on every request. Hashes are compared in constant time.

There is deliberately no cache: every request reads the key row, so a revoked key stops working
on the very next request, on every API process.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.errors import NotFound, ValidationFailed
from golden_records.models import Tenant
from hub.auth.principal import AuthMethod, Principal
from hub.auth.roles import Role
from hub.models import ApiKey

log = logging.getLogger(__name__)

KEY_PREFIX = "cwk"
_KEY_RE = re.compile(r"^cwk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")
# A user-chosen key (CROSSWALK_DEMO_API_KEY) must still be long enough to resist guessing.
MIN_CUSTOM_KEY_LENGTH = 20
# Recording every use would turn each read into a write; a minute's precision is plenty.
_LAST_USED_PRECISION = timedelta(minutes=1)


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _prefix_of(token: str) -> str:
    """The lookup prefix: embedded in generated keys, derived from the hash for custom ones."""
    match = _KEY_RE.match(token)
    if match:
        return match.group(1)
    # Custom keys have no embedded prefix; a hash slice is as unique and reveals nothing.
    return "x" + hash_key(token)[:11]


def generate_key() -> str:
    return f"{KEY_PREFIX}_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


def looks_like_api_key(token: str) -> bool:
    """JWTs have three dot-separated parts; anything else is tried as an API key."""
    return token.count(".") != 2


async def create_key(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    role: Role | str,
    name: str | None = None,
    *,
    plaintext: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its plaintext, which is shown once and never stored.

    `plaintext` lets the demo use a known key value (CROSSWALK_DEMO_API_KEY).
    """
    key, token = new_key(tenant_id, role, name, plaintext=plaintext)
    async with sessions() as session, session.begin():
        if await session.get(Tenant, tenant_id) is None:
            raise NotFound(f"Unknown tenant {tenant_id!r}.", field="tenant")
        session.add(key)
    return key, token


def new_key(
    tenant_id: str,
    role: Role | str,
    name: str | None = None,
    *,
    plaintext: str | None = None,
) -> tuple[ApiKey, str]:
    """An unsaved key row and its plaintext; the caller adds it to its own transaction
    (the `createApiKey` mutation commits it together with its audit entry)."""
    role = role if isinstance(role, Role) else Role.parse(role)
    token = plaintext or generate_key()
    if len(token) < MIN_CUSTOM_KEY_LENGTH or not looks_like_api_key(token):
        raise ValidationFailed(
            f"An API key must be at least {MIN_CUSTOM_KEY_LENGTH} characters and not a JWT.",
            field="key",
        )
    key = ApiKey(
        tenant_id=tenant_id,
        name=name or f"{role.value} key",
        role=role.value,
        prefix=_prefix_of(token),
        hash=hash_key(token),
        created_at=datetime.now(UTC),
    )
    return key, token


async def ensure_key(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    role: Role | str,
    name: str,
    plaintext: str,
) -> ApiKey:
    """The key with this exact value, created if missing (and un-revoked if it was revoked).

    For the demo: re-running it with the same CROSSWALK_DEMO_API_KEY must not fail.
    """
    async with sessions() as session, session.begin():
        existing = await session.scalar(
            select(ApiKey).where(ApiKey.prefix == _prefix_of(plaintext))
        )
        if existing is not None and hmac.compare_digest(existing.hash, hash_key(plaintext)):
            existing.revoked_at = None
            return existing
    key, _ = await create_key(sessions, tenant_id, role, name, plaintext=plaintext)
    return key


async def list_keys(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str | None = None,
    *,
    include_revoked: bool = True,
) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.tenant_id, ApiKey.id)
    if tenant_id is not None:
        query = query.where(ApiKey.tenant_id == tenant_id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    async with sessions() as session:
        return list((await session.scalars(query)).all())


async def revoke_key(
    sessions: async_sessionmaker[AsyncSession], key_id: int, *, tenant_id: str | None = None
) -> ApiKey:
    """Revoke a key (idempotent); `tenant_id` confines an admin API caller to their tenant."""
    async with sessions() as session, session.begin():
        key = await session.get(ApiKey, key_id)
        if key is None or (tenant_id is not None and key.tenant_id != tenant_id):
            raise NotFound(f"No API key with id {key_id}.", field="id")
        if key.revoked_at is None:
            key.revoked_at = datetime.now(UTC)
    return key


async def authenticate_key(
    sessions: async_sessionmaker[AsyncSession], token: str
) -> Principal | None:
    """The Principal for a valid, unrevoked key; None otherwise (the reason goes to the log)."""
    prefix = _prefix_of(token)
    async with sessions() as session:
        key = await session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
        # Compare even when no row matched, so timing does not reveal which prefixes exist.
        stored = key.hash if key is not None else "0" * 64
        if not hmac.compare_digest(stored, hash_key(token)) or key is None:
            log.info("api key rejected: unknown key or wrong secret (prefix %s)", prefix)
            return None
        if key.revoked_at is not None:
            log.info("api key rejected: key %s is revoked", key.id)
            return None
        now = datetime.now(UTC)
        last = key.last_used_at
        if last is not None and last.tzinfo is None:  # SQLite returns naive datetimes
            last = last.replace(tzinfo=UTC)
        if last is None or now - last > _LAST_USED_PRECISION:
            await session.execute(
                update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now)
            )
            await session.commit()
        return Principal(
            tenant_id=key.tenant_id,
            role=Role(key.role),
            subject=f"key:{key.id}",
            key_id=key.id,
            auth_method=AuthMethod.API_KEY,
        )
