"""Bringing a database to a usable state: migrations applied and the tenant present."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.models import ClientRecord, Tenant
from hub.migrate import upgrade_async


async def prepare_database(database_url: str) -> None:
    await upgrade_async(database_url)


async def ensure_tenant(
    sessions: async_sessionmaker[AsyncSession], tenant_id: str, name: str | None = None
) -> None:
    async with sessions() as session, session.begin():
        if await session.get(Tenant, tenant_id) is None:
            session.add(Tenant(id=tenant_id, name=name or tenant_id))


async def tenant_has_data(sessions: async_sessionmaker[AsyncSession], tenant_id: str) -> bool:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ClientRecord)
            .where(ClientRecord.tenant_id == tenant_id)
        )
    return bool(count)
