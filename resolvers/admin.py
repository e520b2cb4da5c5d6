"""Administration: the caller, the tenant's API keys and its audit log, always the caller's tenant.

Every mutation here validates first, then writes its change and its audit entry in one
transaction (`Context.writing`), so the log never misses a change nor records one that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from golden_records.errors import NotFound, Unauthenticated, ValidationFailed
from hub import audit
from hub.auth.api_keys import new_key
from hub.auth.principal import Principal
from hub.auth.roles import Role
from hub.models import ApiKey
from resolvers.pagination import page_size

if TYPE_CHECKING:
    from resolvers.context import Context

MAX_KEY_NAME = 200


@dataclass(frozen=True, slots=True)
class AuditFilterValues:
    actor: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def principal(ctx: Context) -> Principal:
    """The authenticated caller; field permissions have already refused anonymous requests."""
    if not isinstance(ctx.principal, Principal):
        raise Unauthenticated("Authentication required.")
    return ctx.principal


async def api_keys(ctx: Context, *, include_revoked: bool) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.tenant_id == ctx.tenant_id).order_by(ApiKey.id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return [row[0] for row in await ctx.execute(stmt)]


async def audit_log(
    ctx: Context, where: AuditFilterValues, *, first: int | None, after: str | None
) -> audit.AuditPage:
    if where.since and where.until and where.since >= where.until:
        raise ValidationFailed("`since` must be before `until`.", field="since")
    async with ctx.writing() as session:  # the lock; a read commits nothing
        return await audit.query(
            session,
            ctx.tenant_id,
            actor=where.actor,
            action=where.action,
            entity_type=where.entity_type,
            entity_id=where.entity_id,
            since=where.since,
            until=where.until,
            first=page_size(first, ctx.settings),
            after=after,
        )


def _key_state(key: ApiKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "role": key.role,
        "prefix": key.prefix,
        "revokedAt": key.revoked_at,
    }


async def create_api_key(ctx: Context, role: Role, name: str | None) -> tuple[ApiKey, str]:
    """A new key of the caller's tenant, with its plaintext (returned once, never stored)."""
    caller = principal(ctx)
    clean = (name or "").strip() or None
    if clean is not None and len(clean) > MAX_KEY_NAME:
        raise ValidationFailed(
            f"`name` is at most {MAX_KEY_NAME} characters, got {len(clean)}.", field="name"
        )
    key, token = new_key(ctx.tenant_id, role, clean)
    async with ctx.writing() as session:
        session.add(key)
        await session.flush()  # the key's ID, for the audit entry
        audit.record_by(
            session,
            caller,
            "api_key.create",
            request_id=ctx.request_id,
            entity_type="api_key",
            entity_id=key.id,
            before={},
            after=_key_state(key),
        )
    return key, token


def parse_key_id(value: str) -> int:
    try:
        key_id = int(value)
    except ValueError:
        raise NotFound(f"No API key with id {value!r}.", field="id") from None
    if key_id <= 0:
        raise NotFound(f"No API key with id {value!r}.", field="id")
    return key_id


async def revoke_api_key(ctx: Context, key_id_text: str) -> ApiKey:
    """Revoke one of the caller's tenant's keys (idempotent). Another tenant's key is
    NOT_FOUND, exactly like a missing one, so IDs reveal nothing across tenants."""
    caller = principal(ctx)
    key_id = parse_key_id(key_id_text)
    async with ctx.writing() as session:
        key = await session.scalar(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == ctx.tenant_id)
        )
        if key is None:
            raise NotFound(f"No API key with id {key_id_text!r}.", field="id")
        if key.revoked_at is None:
            before = _key_state(key)
            key.revoked_at = datetime.now(UTC)
            audit.record_by(
                session,
                caller,
                "api_key.revoke",
                request_id=ctx.request_id,
                entity_type="api_key",
                entity_id=key.id,
                before=before,
                after=_key_state(key),
            )
    return key
