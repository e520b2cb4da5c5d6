"""Roles and the permissions each one grants: the one table every authorisation check reads."""

from __future__ import annotations

import enum

from golden_records.errors import ValidationFailed


class Permission(enum.StrEnum):
    READ = "read"  # golden records, crosswalks, lineage, without sensitive fields
    READ_SENSITIVE = "read_sensitive"  # date of birth, national ID, home address
    READ_COST = "read_cost"  # cost rates and margins
    WRITE = "write"  # create/update mutations that write back to the owning systems
    STEWARD = "steward"  # merge, unmerge, not-a-match, candidate and exception queues
    ADMIN = "admin"  # API keys, tenant configuration, audit purge


class Role(enum.StrEnum):
    """viewer < analyst/app < steward < admin; analyst and app are siblings, not ranked."""

    VIEWER = "viewer"
    ANALYST = "analyst"
    APP = "app"
    STEWARD = "steward"
    ADMIN = "admin"

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self]

    def has(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self]

    @classmethod
    def parse(cls, value: str) -> Role:
        """A role from user input (CLI, JWT claim), case-insensitively, or ValidationFailed."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            known = ", ".join(r.value for r in cls)
            raise ValidationFailed(
                f"Unknown role {value!r}; expected one of: {known}.", field="role"
            ) from None


P = Permission
_VIEWER = frozenset({P.READ})
_ANALYST = _VIEWER | {P.READ_COST}
_APP = _VIEWER | {P.WRITE}
# As the table says: only admins see personal identifiers (DOB, national ID);
# stewards merge on the non-sensitive fields and the match explanations.
_STEWARD = _APP | {P.STEWARD}
_ADMIN = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: _VIEWER,
    Role.ANALYST: _ANALYST,
    Role.APP: _APP,
    Role.STEWARD: _STEWARD,
    Role.ADMIN: _ADMIN,
}


def minimum_roles(permission: Permission) -> list[Role]:
    """The roles that grant `permission`, for error messages ("needs analyst or admin")."""
    return [role for role in Role if permission in ROLE_PERMISSIONS[role]]
