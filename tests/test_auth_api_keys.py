"""API keys: created once in plaintext, stored hashed, authenticated, revoked at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.errors import NotFound, ValidationFailed
from golden_records.models import DEFAULT_TENANT, Tenant
from hub.auth import AuthMethod, Permission, Role
from hub.auth.api_keys import authenticate_key, create_key, ensure_key, list_keys, revoke_key
from hub.models import ApiKey

Sessions = async_sessionmaker[AsyncSession]


async def test_created_key_authenticates_as_its_tenant_and_role(sessions: Sessions) -> None:
    key, plaintext = await create_key(sessions, DEFAULT_TENANT, Role.ANALYST, "bi tool")

    principal = await authenticate_key(sessions, plaintext)

    assert principal is not None
    assert principal.tenant_id == DEFAULT_TENANT
    assert principal.role is Role.ANALYST
    assert principal.key_id == key.id
    assert principal.auth_method is AuthMethod.API_KEY
    assert principal.has(Permission.READ_COST)
    assert not principal.has(Permission.WRITE)


async def test_keys_look_like_cwk_prefix_secret_and_are_unique(sessions: Sessions) -> None:
    _, first = await create_key(sessions, DEFAULT_TENANT, Role.VIEWER)
    _, second = await create_key(sessions, DEFAULT_TENANT, Role.VIEWER)
    assert first != second
    scheme, prefix, secret = first.split("_", 2)
    assert scheme == "cwk" and len(prefix) == 12
    assert len(secret) >= 40  # 32 random bytes, url-safe base64


async def test_plaintext_is_never_stored(sessions: Sessions) -> None:
    _, plaintext = await create_key(sessions, DEFAULT_TENANT, Role.ADMIN, "ops")
    secret = plaintext.split("_", 2)[2]
    async with sessions() as session:
        rows = (await session.execute(text("SELECT * FROM api_keys"))).all()
    dumped = repr(rows)
    assert secret not in dumped
    assert plaintext not in dumped


async def test_wrong_secret_or_garbage_is_rejected(sessions: Sessions) -> None:
    _, plaintext = await create_key(sessions, DEFAULT_TENANT, Role.ADMIN)
    tampered = plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")
    assert await authenticate_key(sessions, tampered) is None
    assert await authenticate_key(sessions, "cwk_000000000000_" + "a" * 43) is None
    assert await authenticate_key(sessions, "not a key") is None


async def test_revoked_key_stops_working_at_once(sessions: Sessions) -> None:
    key, plaintext = await create_key(sessions, DEFAULT_TENANT, Role.STEWARD)
    assert await authenticate_key(sessions, plaintext) is not None

    await revoke_key(sessions, key.id)

    assert await authenticate_key(sessions, plaintext) is None
    (listed,) = await list_keys(sessions, DEFAULT_TENANT)
    assert listed.revoked_at is not None
    assert await list_keys(sessions, DEFAULT_TENANT, include_revoked=False) == []


async def test_revoking_another_tenants_key_is_not_found(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        session.add(Tenant(id="other", name="Other firm"))
    key, plaintext = await create_key(sessions, "other", Role.ADMIN)
    with pytest.raises(NotFound):
        await revoke_key(sessions, key.id, tenant_id=DEFAULT_TENANT)
    assert await authenticate_key(sessions, plaintext) is not None
    assert [k.id for k in await list_keys(sessions, DEFAULT_TENANT)] == []


async def test_custom_demo_key_value_works(sessions: Sessions) -> None:
    await create_key(sessions, DEFAULT_TENANT, "admin", "demo", plaintext="demo-key-0123456789abc")
    principal = await authenticate_key(sessions, "demo-key-0123456789abc")
    assert principal is not None and principal.role is Role.ADMIN
    with pytest.raises(ValidationFailed):
        await create_key(sessions, DEFAULT_TENANT, "admin", plaintext="short")


async def test_unknown_role_or_tenant_is_refused(sessions: Sessions) -> None:
    with pytest.raises(ValidationFailed, match="Unknown role 'root'"):
        await create_key(sessions, DEFAULT_TENANT, "root")
    with pytest.raises(NotFound, match="Unknown tenant"):
        await create_key(sessions, "nobody", Role.VIEWER)


async def test_use_is_recorded(sessions: Sessions) -> None:
    key, plaintext = await create_key(sessions, DEFAULT_TENANT, Role.VIEWER)
    await authenticate_key(sessions, plaintext)
    async with sessions() as session:
        stored = await session.scalar(select(ApiKey).where(ApiKey.id == key.id))
    assert stored is not None and stored.last_used_at is not None


async def test_ensure_key_is_idempotent_and_restores_a_revoked_demo_key(sessions: Sessions) -> None:
    demo = "demo-key-0123456789abcdef"
    first = await ensure_key(sessions, DEFAULT_TENANT, Role.ADMIN, "demo", demo)
    await revoke_key(sessions, first.id)
    again = await ensure_key(sessions, DEFAULT_TENANT, Role.ADMIN, "demo", demo)
    assert again.id == first.id
    assert len(await list_keys(sessions)) == 1
    assert await authenticate_key(sessions, demo) is not None
