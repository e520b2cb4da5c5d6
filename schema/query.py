"""The root Query: node lookup, connections, lookups by ID or by any system's ID, crosswalks."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from golden_records.models import ClientRecord, ProjectRecord, ResourceRecord
from hub.auth.roles import Permission
from resolvers import admin, golden
from resolvers import sync as sync_runs
from resolvers.context import Context
from resolvers.global_ids import MODELS, decode_global_id
from resolvers.pagination import Ordering
from resolvers.prefetch import prefetch_connection
from schema.admin import ApiKey, AuditEntryConnection, AuditLogFilter, Me
from schema.client import Client, ClientFilter, ClientOrder
from schema.common import (
    Connection,
    Crosswalk,
    OrderDirection,
    SystemRefInput,
    connection_from_page,
)
from schema.crosswalk import CrosswalkResult
from schema.enums import EntityType
from schema.margin import MarginRow
from schema.margin import margin as margin_field
from schema.node import Node, builder
from schema.permissions import check, requires
from schema.project import Project, ProjectFilter, ProjectOrder
from schema.resource import Resource, ResourceFilter, ResourceOrder
from schema.sync import SyncRunConnection, SyncRunFilter

# Types whose every field is cost data: reachable through `node`/`crosswalk` only with READ_COST.
COST_TYPES = frozenset({"CostRate"})

PAGE_HELP = "At most `first` records (default and maximum set by the server) after cursor `after`."


def _ordering(order: ClientOrder | ProjectOrder | ResourceOrder) -> Ordering:
    return Ordering(
        key=order.field.name,
        column=order.field.value,
        descending=order.direction is OrderDirection.DESC,
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Any record by its global ID (merged IDs give the survivor).",
        extensions=requires(Permission.READ),
    )
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        type_name, _ = decode_global_id(id)
        if type_name in COST_TYPES:
            check(info, Permission.READ_COST, what=type_name)
        found: Node | None = await golden.node(info.context, id, builder)
        return found

    @strawberry.field(
        description=f"Clients, by name unless ordered otherwise. {PAGE_HELP}",
        extensions=requires(Permission.READ),
    )
    async def clients(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: ClientFilter | None = None,
        order_by: ClientOrder | None = None,
    ) -> Connection[Client]:
        page = await golden.connection(
            info.context,
            ClientRecord,
            Client.from_row,
            filter,
            _ordering(order_by or ClientOrder()),
            first=first,
            after=after,
        )
        result: Connection[Client] = connection_from_page(page, Client.from_row)
        await prefetch_connection(info, result)
        return result

    @strawberry.field(
        description="A client by global ID or by one system's ID (`ref`).",
        extensions=requires(Permission.READ),
    )
    async def client(
        self,
        info: Info[Context, None],
        id: strawberry.ID | None = None,
        ref: SystemRefInput | None = None,
    ) -> Client | None:
        found: Client | None = await golden.by_id_or_ref(
            info.context, ClientRecord, Client.from_row, id, ref
        )
        return found

    @strawberry.field(
        description=f"Projects, by name unless ordered otherwise. {PAGE_HELP}",
        extensions=requires(Permission.READ),
    )
    async def projects(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: ProjectFilter | None = None,
        order_by: ProjectOrder | None = None,
    ) -> Connection[Project]:
        page = await golden.connection(
            info.context,
            ProjectRecord,
            Project.from_row,
            filter,
            _ordering(order_by or ProjectOrder()),
            first=first,
            after=after,
        )
        result: Connection[Project] = connection_from_page(page, Project.from_row)
        await prefetch_connection(info, result)
        return result

    @strawberry.field(
        description="A project by global ID or by one system's ID (`ref`).",
        extensions=requires(Permission.READ),
    )
    async def project(
        self,
        info: Info[Context, None],
        id: strawberry.ID | None = None,
        ref: SystemRefInput | None = None,
    ) -> Project | None:
        found: Project | None = await golden.by_id_or_ref(
            info.context, ProjectRecord, Project.from_row, id, ref
        )
        return found

    @strawberry.field(
        description=f"Resources, by family name unless ordered otherwise. {PAGE_HELP}",
        extensions=requires(Permission.READ),
    )
    async def resources(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: ResourceFilter | None = None,
        order_by: ResourceOrder | None = None,
    ) -> Connection[Resource]:
        page = await golden.connection(
            info.context,
            ResourceRecord,
            Resource.from_row,
            filter,
            _ordering(order_by or ResourceOrder()),
            first=first,
            after=after,
        )
        result: Connection[Resource] = connection_from_page(page, Resource.from_row)
        await prefetch_connection(info, result)
        return result

    @strawberry.field(
        description="A resource by global ID or by one system's ID (`ref`).",
        extensions=requires(Permission.READ),
    )
    async def resource(
        self,
        info: Info[Context, None],
        id: strawberry.ID | None = None,
        ref: SystemRefInput | None = None,
    ) -> Resource | None:
        found: Resource | None = await golden.by_id_or_ref(
            info.context, ResourceRecord, Resource.from_row, id, ref
        )
        return found

    @strawberry.field(
        description="The golden record a system's ID maps to, with its ID in every system.",
        extensions=requires(Permission.READ),
    )
    async def crosswalk(
        self,
        info: Info[Context, None],
        entity_type: EntityType,
        system: str,
        external_id: str,
    ) -> CrosswalkResult | None:
        ctx = info.context
        kind = entity_type
        if kind is EntityType.COST_RATE:
            check(info, Permission.READ_COST, what="CostRate")
        model = next(m for m in MODELS.values() if m.entity_type is kind)
        golden_id = await golden.crosswalk_target(ctx, kind, system, external_id)
        if golden_id is None:
            return None
        type_name = next(name for name, m in MODELS.items() if m is model)
        record = await ctx.loaders.by_id(model, builder(type_name)).load(golden_id)
        if record is None:
            return None
        crosswalks = await ctx.loaders.crosswalks(kind.value, Crosswalk.from_row).load(record.pk)
        return CrosswalkResult(entity_type=kind, record=record, crosswalks=crosswalks)

    @strawberry.field(
        description="Who is calling: tenant, role and subject.",
        extensions=requires(Permission.READ),
    )
    def me(self, info: Info[Context, None]) -> Me:
        caller = admin.principal(info.context)
        return Me(
            tenant_id=caller.tenant_id,
            role=caller.role,
            subject=caller.subject,
            auth_method=caller.auth_method.value,
        )

    @strawberry.field(
        description="This tenant's API keys, without their secrets (admin).",
        extensions=requires(Permission.ADMIN),
    )
    async def api_keys(
        self, info: Info[Context, None], include_revoked: bool = True
    ) -> list[ApiKey] | None:
        keys = await admin.api_keys(info.context, include_revoked=include_revoked)
        return [ApiKey.from_model(k) for k in keys]

    @strawberry.field(
        description=f"This tenant's audit log, newest first (steward, admin). {PAGE_HELP}",
        extensions=requires(Permission.STEWARD),
    )
    async def audit_log(
        self,
        info: Info[Context, None],
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AuditEntryConnection | None:
        f = filter or AuditLogFilter()
        where = admin.AuditFilterValues(
            actor=f.actor,
            action=f.action,
            entity_type=f.entity_type,
            entity_id=f.entity_id,
            since=f.since,
            until=f.until,
        )
        page = await admin.audit_log(info.context, where, first=first, after=after)
        return AuditEntryConnection.from_page(page)

    @strawberry.field(
        description=f"This tenant's sync runs, newest first. {PAGE_HELP}",
        extensions=requires(Permission.READ),
    )
    async def sync_runs(
        self,
        info: Info[Context, None],
        filter: SyncRunFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> SyncRunConnection:
        f = filter or SyncRunFilter()
        where = sync_runs.SyncRunFilterValues(
            system=f.system, status=f.status.value if f.status else None, since=f.since
        )
        page = await sync_runs.sync_runs(info.context, where, first=first, after=after)
        return SyncRunConnection.from_page(page)

    margin: list[MarginRow] | None = strawberry.field(
        resolver=margin_field,
        description="Revenue, labour cost and margin per group over [from, to] in one "
        "reporting currency, aggregated in SQL (analyst or admin).",
        extensions=requires(Permission.READ_COST),
    )
