"""A hub synced from the five sandbox systems, with an outbox worker that writes back to them.

The systems run in-process (httpx over ASGI) with a fault switch each; `Hub.api` reads a
system's own API, so tests check what the system holds, not what the hub believes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import RetryPolicy, SourceClient
from connectors.sandbox.apps import CREDENTIALS, create_sandbox_apps, mount_sandbox
from connectors.sandbox.faults import FaultControl, FaultPlan
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.render import render_firm
from connectors.writeback import SystemWriter, writer_for
from golden_records.models import Crosswalk, GoldenRecord, Tenant
from hub.auth import AuthMethod, Principal, Role
from hub.outbox_models import WriteBack
from hub.outbox_worker import OutboxWorker, WorkerOptions
from hub.refresh import refresh_golden_records
from hub.settings import Settings
from hub.sync import connectors_from_credentials, sync
from hub.tenants import TenantConfig, TenantRegistry
from resolvers.context import Context
from resolvers.global_ids import encode_global_id
from schema import build_schema

TENANT = "default"
SCHEMA = build_schema()
SETTINGS = Settings(max_page_size=100, default_page_size=50)
FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.01, max_retry_after=0.01)
URLS = {system: f"http://sandbox/{system}" for system in CREDENTIALS}
# Quick retries so that fault tests finish in seconds; the attempts are what matter.
TEST_OPTIONS = WorkerOptions(
    batch_size=20,
    concurrency=8,
    lease_seconds=30,
    max_attempts=30,
    base_backoff=0.01,
    max_backoff=0.05,
    idle_poll_seconds=0.05,
)


def tenant_config(tenant_id: str = TENANT, **ownership: Any) -> TenantConfig:
    return TenantConfig.model_validate(
        {
            "id": tenant_id,
            "display_name": tenant_id,
            "systems": {
                name: {"base_url": URLS[name], "credentials": CREDENTIALS[name]}
                for name in CREDENTIALS
            },
            "ownership": ownership,
        }
    )


@dataclass
class Hub:
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    faults: dict[str, FaultControl]
    tenants: TenantRegistry
    worker: OutboxWorker
    readers: dict[str, SourceClient] = field(default_factory=dict)

    def context(self, role: Role = Role.ADMIN, tenant: str = TENANT) -> Context:
        principal = Principal(tenant, role, f"test-{role.value}", None, AuthMethod.JWT)
        return Context.create(
            self.sessions,
            tenant_id=tenant,
            settings=SETTINGS,
            principal=principal,
            request_id="req-wb",
            tenant=self.tenants.get(tenant),
            outbox_wakeup=self.worker.wake,
        )

    async def gql(
        self, query: str, variables: Mapping[str, Any] | None = None, *, role: Role = Role.ADMIN
    ) -> dict[str, Any]:
        """Run a GraphQL operation that must not raise a top-level error; its data."""
        ctx = self.context(role)
        try:
            result = await SCHEMA.execute(
                query, variable_values=dict(variables or {}), context_value=ctx
            )
        finally:
            await ctx.close()
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data

    async def api(self, system: str, path: str, **params: Any) -> Any:
        """GET `path` from a system's own API, through that system's client (its auth)."""
        return await self.readers[system].get_json(path, params or None)

    async def drain(self, within: float = 30.0) -> int:
        return await self.worker.drain(within=within)

    async def golden(self, model: type[GoldenRecord], pk: int) -> Any:
        async with self.sessions() as session:
            return await session.get(model, pk)

    async def crosswalks(self, entity_type: str, golden_id: int) -> dict[str, str]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(Crosswalk.system, Crosswalk.external_id)
                .where(
                    Crosswalk.tenant_id == TENANT,
                    Crosswalk.entity_type == entity_type,
                    Crosswalk.golden_id == golden_id,
                )
                .order_by(Crosswalk.id)
            )
            found: dict[str, str] = {}
            for system, external_id in rows:
                found.setdefault(system, external_id)  # the one writes go to
            return found

    async def golden_with(self, entity_type: str, systems: set[str]) -> int:
        """A live golden record of `entity_type` that every one of `systems` holds."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(Crosswalk.golden_id, func.count(func.distinct(Crosswalk.system)))
                .where(
                    Crosswalk.tenant_id == TENANT,
                    Crosswalk.entity_type == entity_type,
                    Crosswalk.system.in_(systems),
                )
                .group_by(Crosswalk.golden_id)
                .order_by(Crosswalk.golden_id)
            )
            for golden_id, count in rows:
                if count == len(systems):
                    model = _MODEL[entity_type]
                    row = await session.get(model, golden_id)
                    if row is not None and row.merged_into_id is None:
                        return int(golden_id)
        raise AssertionError(f"no {entity_type} held by all of {sorted(systems)}")

    async def outbox(self) -> list[WriteBack]:
        async with self.sessions() as session:
            return list((await session.scalars(select(WriteBack).order_by(WriteBack.id))).all())


def _models() -> dict[str, type[GoldenRecord]]:
    from resolvers.global_ids import MODELS

    return {model.entity_type.value: model for model in MODELS.values()}


_MODEL = _models()


def gid(type_name: str, pk: int) -> str:
    return encode_global_id(type_name, pk)


async def build_hub(
    sessions: async_sessionmaker[AsyncSession],
    http_stack: list[httpx.AsyncClient],
    *,
    seed: int = 11,
    scale: float = 0.02,
    options: WorkerOptions = TEST_OPTIONS,
    config: TenantConfig | None = None,
) -> Hub:
    """Sync a small generated firm from the sandbox into `sessions`, match it, and return a hub
    whose worker writes back to the same sandbox."""
    data = render_firm(generate_firm(seed, scale), seed)
    faults = {name: FaultControl(FaultPlan(retry_after=0)) for name in CREDENTIALS}
    app = mount_sandbox(create_sandbox_apps(data, faults=faults))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    http_stack.append(http)
    async with sessions() as session, session.begin():
        if await session.get(Tenant, TENANT) is None:
            session.add(Tenant(id=TENANT, name="Test firm"))
    connectors = connectors_from_credentials(http, URLS, CREDENTIALS, retry=FAST)
    results = await sync(sessions, connectors, tenant_id=TENANT)
    assert all(r.status == "succeeded" for r in results), [r.error for r in results]
    await refresh_golden_records(sessions, TENANT)
    tenants = TenantRegistry({TENANT: config or tenant_config()})

    def writers(client: httpx.AsyncClient, tenant: TenantConfig) -> dict[str, SystemWriter]:
        built = connectors_from_credentials(http, URLS, CREDENTIALS, retry=FAST)
        return {c.system: writer_for(c) for c in built}

    worker = OutboxWorker(sessions, tenants, options=options, http=http, writers=writers)
    return Hub(
        sessions=sessions,
        http=http,
        faults=faults,
        tenants=tenants,
        worker=worker,
        readers={c.system: c.client for c in connectors},  # type: ignore[attr-defined]
    )
