"""Field permissions: which role may read or call what, as strawberry permission classes.

Attach with `extensions=requires(Permission.READ_COST)` on a field (or
`permission_classes=[CanReadCost]`). A denied field is a typed error on that field
(`extensions.code` FORBIDDEN, naming the field and the roles that may see it), never a silent
null. Keep guarded fields nullable so the denial does not null out the parent object.
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from golden_records.errors import Forbidden, Unauthenticated
from hub.auth.principal import Principal
from hub.auth.roles import Permission, minimum_roles


def principal_of(info: Info) -> Principal | None:
    """The caller, from the per-request context (an object or a dict with `principal`)."""
    context = info.context
    principal = context.get("principal") if isinstance(context, dict) else None
    if principal is None:
        principal = getattr(context, "principal", None)
    return principal if isinstance(principal, Principal) else None


class RequiresPermission(BasePermission):
    """Base of the per-Permission classes below; raises rather than returning False, so the
    error names this request's field and role (permission instances are shared)."""

    permission: ClassVar[Permission]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        check(info, self.permission)
        return True


def check(info: Info, permission: Permission, *, what: str | None = None) -> None:
    """Raise Unauthenticated/Forbidden unless the caller has `permission`.

    For checks that depend on the value (a `node(id:)` that turns out to be a CostRate);
    `what` names the thing refused, the field by default.
    """
    principal = principal_of(info)
    if principal is None:
        raise Unauthenticated("Authentication required.")
    if principal.has(permission):
        return
    what = what or f"{info.path.typename}.{info.field_name}"
    roles = " or ".join(role.value for role in minimum_roles(permission))
    raise Forbidden(
        f"{what} needs the {roles} role; you are {principal.role.value}.",
        field=info.field_name,
    )


class CanRead(RequiresPermission):
    permission = Permission.READ


class CanReadSensitive(RequiresPermission):
    permission = Permission.READ_SENSITIVE


class CanReadCost(RequiresPermission):
    permission = Permission.READ_COST


class CanWrite(RequiresPermission):
    permission = Permission.WRITE


class IsSteward(RequiresPermission):
    permission = Permission.STEWARD


class IsAdmin(RequiresPermission):
    permission = Permission.ADMIN


PERMISSION_CLASSES: dict[Permission, type[RequiresPermission]] = {
    cls.permission: cls
    for cls in (CanRead, CanReadSensitive, CanReadCost, CanWrite, IsSteward, IsAdmin)
}


def requires(*permissions: Permission) -> list[FieldExtension]:
    """Field extensions that require every one of `permissions`.

    Without schema directives: the committed schema.graphql stays free of permission markers.
    """
    checks = [PERMISSION_CLASSES[p]() for p in permissions]
    return [PermissionExtension(permissions=list(checks), use_directives=False)]


# Attributes whose values need more than reading golden records, wherever they appear as data
# (an audit entry's before/after, a match explanation), not only as fields of Resource/CostRate.
_GUARDED_ATTRIBUTES: dict[str, Permission] = {
    "date_of_birth": Permission.READ_SENSITIVE,
    "national_id": Permission.READ_SENSITIVE,
    "home_address": Permission.READ_SENSITIVE,
    "hourly_cost": Permission.READ_COST,
}
REDACTED = "[redacted: needs the admin role]"


def may_see_attribute(info: Info, attribute: str) -> bool:
    permission = _GUARDED_ATTRIBUTES.get(attribute)
    if permission is None:
        return True
    principal = principal_of(info)
    return principal is not None and principal.has(permission)


def redact_attributes(info: Info, values: Any) -> Any:
    """`values` (attribute -> value) with guarded values the caller may not see replaced by a
    marker that says so: never silently dropped, never shown."""
    if not isinstance(values, dict):
        return values
    return {
        key: value if value is None or may_see_attribute(info, key) else REDACTED
        for key, value in values.items()
    }
