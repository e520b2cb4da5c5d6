"""What follows every sync: match the new and changed golden records, then reprice time.

Sync brings source records in (one golden record each when new); this step merges duplicates
and queues likely ones for stewards, and recomputes the priced time that margins sum.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.pricing import reprice
from hub.matching_service import MatchRunResult, match_new_records


async def refresh_golden_records(
    sessions: async_sessionmaker[AsyncSession], tenant_id: str
) -> list[MatchRunResult]:
    matches = await match_new_records(sessions, tenant_id)
    async with sessions() as session, session.begin():
        await reprice(session, tenant_id)
    return matches
