"""What follows every sync: match the new and changed golden records, then reprice time.

Sync brings source records in (one golden record each when new); this step merges duplicates
and queues likely ones for stewards, and recomputes the priced time that margins sum.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.pricing import reprice
from hub.matching_service import MatchRunResult, match_tenant
from hub.tenants import TenantConfig


async def refresh_golden_records(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    *,
    tenant: TenantConfig | None = None,
) -> list[MatchRunResult]:
    """Match and reprice with the tenant's thresholds and survivorship (`tenant`, its
    validated file); without one, the defaults of a tenant that has no file."""
    config = tenant or TenantConfig.default(tenant_id)
    if config.id != tenant_id:
        raise ValueError(f"tenant configuration {config.id!r} is not tenant {tenant_id!r}")
    matches = await match_tenant(sessions, config)
    async with sessions() as session, session.begin():
        await reprice(session, tenant_id)
    return matches
