"""The authenticated caller: which tenant, which role, who, and how they proved it."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hub.auth.roles import Permission, Role


class AuthMethod(enum.StrEnum):
    API_KEY = "api_key"
    JWT = "jwt"


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    role: Role
    subject: str  # "key:<key id>" or the JWT `sub`; what the audit log records as actor
    key_id: int | None
    auth_method: AuthMethod

    def has(self, permission: Permission) -> bool:
        return self.role.has(permission)
