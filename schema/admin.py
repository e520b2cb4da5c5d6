"""Administration types: the caller (`me`), API keys (never their secrets) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from hub import audit
from hub.auth.roles import Role as RoleEnum
from hub.models import ApiKey as ApiKeyRow
from hub.models import AuditEntry as AuditEntryRow
from schema.common import PageInfo, utc
from schema.permissions import redact_attributes

Role = strawberry.enum(
    RoleEnum,
    name="Role",
    description="What a caller may do. VIEWER reads golden records without sensitive fields; "
    "ANALYST adds cost and margin data; APP adds write mutations; STEWARD adds merges and the "
    "review queues; ADMIN may do everything, including keys and configuration.",
)


@strawberry.type(description="Who is calling: their tenant, role and identity.")
class Me:
    tenant_id: str
    role: Role  # type: ignore[valid-type]
    subject: str = strawberry.field(description='"key:<id>" for API keys, else the JWT subject.')
    auth_method: str = strawberry.field(description='"api_key" or "jwt".')


@strawberry.type(description="An API key of this tenant. Its secret is shown only when created.")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="Pass to `revokeApiKey`.")
    name: str
    role: Role  # type: ignore[valid-type]
    prefix: str = strawberry.field(description="The public part of the key, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_model(cls, key: ApiKeyRow) -> ApiKey:
        return cls(
            id=strawberry.ID(str(key.id)),
            name=key.name,
            role=RoleEnum(key.role),
            prefix=key.prefix,
            created_at=utc(key.created_at),
            revoked_at=utc(key.revoked_at),
            last_used_at=utc(key.last_used_at),
        )


@strawberry.type(description="One mutation or steward action: who, when, and what changed.")
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: str
    actor_role: str
    request_id: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    reason: str | None
    before_values: strawberry.Private[Any]
    after_values: strawberry.Private[Any]

    @strawberry.field(description="Changed fields before, by name (guarded values redacted).")
    def before(self, info: Info) -> JSON | None:
        return cast(JSON, redact_attributes(info, self.before_values))

    @strawberry.field(description="Changed fields after, by name (guarded values redacted).")
    def after(self, info: Info) -> JSON | None:
        return cast(JSON, redact_attributes(info, self.after_values))

    @classmethod
    def from_model(cls, entry: AuditEntryRow) -> AuditEntry:
        return cls(
            id=strawberry.ID(str(entry.id)),
            at=utc(entry.at),
            actor=entry.actor,
            actor_role=entry.actor_role,
            request_id=entry.request_id,
            action=entry.action,
            entity_type=entry.entity_type,
            entity_id=entry.entity_id,
            reason=entry.reason,
            before_values=entry.before,
            after_values=entry.after,
        )


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type(description="A page of audit entries, newest first.")
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: audit.AuditPage) -> AuditEntryConnection:
        edges = [
            AuditEntryEdge(cursor=audit.encode_cursor(e.id), node=AuditEntry.from_model(e))
            for e in page.entries
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=page.end_cursor,
            ),
        )


@strawberry.input(description="Only audit entries matching every given field.")
class AuditLogFilter:
    actor: str | None = strawberry.field(default=None, description='e.g. "key:12".')
    action: str | None = strawberry.field(default=None, description='e.g. "api_key.revoke".')
    entity_type: str | None = None
    entity_id: str | None = None
    since: datetime | None = strawberry.field(default=None, description="Inclusive.")
    until: datetime | None = strawberry.field(default=None, description="Exclusive.")
