"""The root Mutation: saleor-style payloads with a typed `errors` list beside the result.

Permissions are declared on each mutation. An error the caller can fix (validation, not found)
comes back as data in `errors`; a caller without the permission gets a FORBIDDEN error.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from golden_records.errors import CrosswalkError
from hub.auth.roles import Permission
from hub.auth.roles import Role as RoleEnum
from resolvers import admin
from resolvers.context import Context
from schema.admin import ApiKey, Role
from schema.permissions import requires


@strawberry.type(description="Why a mutation did not happen; `field` names the input at fault.")
class MutationError:
    code: str = strawberry.field(description="Stable: VALIDATION, NOT_FOUND, FORBIDDEN, ...")
    field: str | None
    message: str

    @classmethod
    def from_error(cls, error: CrosswalkError) -> MutationError:
        return cls(code=error.code, field=error.field, message=error.message)


@strawberry.input
class CreateApiKeyInput:
    role: Role  # type: ignore[valid-type]
    name: str | None = strawberry.field(default=None, description="What the key is for.")


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None
    secret: str | None = strawberry.field(
        description="The key to send as `Authorization: Bearer ...`; shown this once only."
    )
    errors: list[MutationError]


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None
    errors: list[MutationError]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="A new API key for this tenant (admin).",
        extensions=requires(Permission.ADMIN),
    )
    async def create_api_key(
        self, info: Info[Context, None], input: CreateApiKeyInput
    ) -> CreateApiKeyPayload | None:
        try:
            key, secret = await admin.create_api_key(info.context, RoleEnum(input.role), input.name)
        except CrosswalkError as error:
            return CreateApiKeyPayload(
                api_key=None, secret=None, errors=[MutationError.from_error(error)]
            )
        return CreateApiKeyPayload(api_key=ApiKey.from_model(key), secret=secret, errors=[])

    @strawberry.mutation(
        description="Revoke an API key of this tenant; it stops working at once (admin).",
        extensions=requires(Permission.ADMIN),
    )
    async def revoke_api_key(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RevokeApiKeyPayload | None:
        try:
            key = await admin.revoke_api_key(info.context, str(id))
        except CrosswalkError as error:
            return RevokeApiKeyPayload(api_key=None, errors=[MutationError.from_error(error)])
        return RevokeApiKeyPayload(api_key=ApiKey.from_model(key), errors=[])
