"""Field permissions: a denied field is a FORBIDDEN error on that field, never a silent null."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import strawberry

from hub.auth import AuthMethod, Permission, Principal, Role
from hub.auth.roles import ROLE_PERMISSIONS, minimum_roles
from hub.limits import security_extensions
from hub.settings import Settings
from schema.errors import CrosswalkErrors
from schema.permissions import IsSteward, requires


@strawberry.type
class Resource:
    name: str = "Ada Lovelace"
    date_of_birth: date | None = strawberry.field(
        default=date(1815, 12, 10), extensions=requires(Permission.READ_SENSITIVE)
    )
    cost_rate: float | None = strawberry.field(
        default=85.0, extensions=requires(Permission.READ_COST)
    )


@strawberry.type
class Query:
    @strawberry.field
    def resource(self) -> Resource:
        return Resource()


merged: list[str] = []


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=[IsSteward])
    def merge(self, reason: str) -> bool:
        merged.append(reason)
        return True


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    extensions=[CrosswalkErrors, *security_extensions(Settings())],
)


@dataclass
class Ctx:
    principal: Principal | None


def as_role(role: Role) -> Ctx:
    return Ctx(Principal("acme", role, f"user-{role.value}", None, AuthMethod.JWT))


QUERY = "{ resource { name dateOfBirth costRate } }"


def test_viewer_gets_plain_fields_and_forbidden_errors_on_sensitive_ones() -> None:
    result = schema.execute_sync(QUERY, context_value=as_role(Role.VIEWER))
    assert result.data == {
        "resource": {"name": "Ada Lovelace", "dateOfBirth": None, "costRate": None}
    }
    assert result.errors is not None
    by_path = {tuple(e.path or ()): e for e in result.errors}
    dob = by_path[("resource", "dateOfBirth")]
    assert dob.extensions == {"code": "FORBIDDEN", "field": "dateOfBirth"}
    assert dob.message == "Resource.dateOfBirth needs the admin role; you are viewer."
    cost = by_path[("resource", "costRate")]
    assert cost.message == "Resource.costRate needs the analyst or admin role; you are viewer."


def test_analyst_sees_cost_but_not_personal_data() -> None:
    result = schema.execute_sync(QUERY, context_value=as_role(Role.ANALYST))
    assert result.data is not None
    assert result.data["resource"]["costRate"] == 85.0
    assert result.errors is not None
    assert [tuple(e.path or ()) for e in result.errors] == [("resource", "dateOfBirth")]


def test_admin_sees_everything() -> None:
    result = schema.execute_sync(QUERY, context_value=as_role(Role.ADMIN))
    assert result.errors is None
    assert result.data == {
        "resource": {"name": "Ada Lovelace", "dateOfBirth": "1815-12-10", "costRate": 85.0}
    }


@pytest.mark.parametrize("role", list(Role))
def test_steward_mutation_runs_only_for_steward_and_admin(role: Role) -> None:
    merged.clear()
    result = schema.execute_sync('mutation { merge(reason: "dupe") }', context_value=as_role(role))
    allowed = role in (Role.STEWARD, Role.ADMIN)
    assert (result.errors is None) is allowed
    assert merged == (["dupe"] if allowed else [])
    if not allowed:
        assert result.errors is not None
        assert (result.errors[0].extensions or {}).get("code") == "FORBIDDEN"


def test_no_principal_is_unauthenticated() -> None:
    result = schema.execute_sync(QUERY, context_value=Ctx(None))
    assert result.errors is not None
    assert {e.extensions["code"] for e in result.errors if e.extensions} == {"UNAUTHENTICATED"}


def test_role_table_matches_the_issue() -> None:
    P = Permission
    assert ROLE_PERMISSIONS[Role.VIEWER] == {P.READ}
    assert ROLE_PERMISSIONS[Role.ANALYST] == {P.READ, P.READ_COST}
    assert ROLE_PERMISSIONS[Role.APP] == {P.READ, P.WRITE}
    assert ROLE_PERMISSIONS[Role.STEWARD] == {P.READ, P.WRITE, P.STEWARD}
    assert ROLE_PERMISSIONS[Role.ADMIN] == set(Permission)
    assert minimum_roles(P.STEWARD) == [Role.STEWARD, Role.ADMIN]


def test_permission_markers_stay_out_of_the_sdl() -> None:
    sdl = str(schema)
    assert "dateOfBirth: Date\n" in sdl
    assert "@" not in sdl
