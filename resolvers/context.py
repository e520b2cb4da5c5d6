"""The per-request context: tenant, caller, settings, one database session and the dataloaders."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.settings import Settings
from hub.tenants import TenantConfig
from resolvers.dataloaders import Loaders


class Context:
    """Everything a resolver may use for one GraphQL request; nothing is shared across requests."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        tenant_id: str,
        settings: Settings,
        principal: object | None = None,
        request_id: str | None = None,
        tenant: TenantConfig | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        outbox_wakeup: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.tenant_id = tenant_id
        # The tenant's validated file (ownership, matching, survivorship); defaults without one.
        self.tenant = tenant or TenantConfig.default(tenant_id)
        # For work that must not share the request's session (waiting on write-backs).
        self.sessions = sessions
        # Tells the in-process outbox worker that new write-backs are waiting (None: no worker).
        self.outbox_wakeup = outbox_wakeup
        self.settings = settings
        self.principal = principal
        self.request_id = request_id or uuid.uuid4().hex
        # Strawberry resolves sibling fields concurrently, but one AsyncSession (one connection)
        # must never run two statements at once: every statement goes through `execute`.
        self._lock = asyncio.Lock()
        self.statements = 0
        self.loaders = Loaders(self)
        # Connections load their nested relations ahead (resolvers.prefetch); off, every nested
        # field goes through its DataLoader during execution, e.g. to measure that path.
        self.prefetch = True

    @classmethod
    def create(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        *,
        tenant_id: str,
        settings: Settings,
        principal: object | None = None,
        request_id: str | None = None,
        tenant: TenantConfig | None = None,
        outbox_wakeup: Callable[[], None] | None = None,
    ) -> Context:
        return cls(
            sessions(),
            tenant_id=tenant_id,
            settings=settings,
            principal=principal,
            request_id=request_id,
            tenant=tenant,
            sessions=sessions,
            outbox_wakeup=outbox_wakeup,
        )

    async def execute(self, statement: Executable) -> Sequence[Row[Any]]:
        """Run one read statement on this request's session, one at a time."""
        async with self._lock:
            self.statements += 1
            result = await self.session.execute(statement)
            return result.all()

    async def scalar(self, statement: Executable) -> Any:
        rows = await self.execute(statement)
        return rows[0][0] if rows else None

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """This request's session for one mutation: committed if the block succeeds, rolled
        back otherwise, so a change and its audit entry are saved together or not at all."""
        async with self._lock:
            try:
                yield self.session
                await self.session.commit()
            except BaseException:
                await self.session.rollback()
                raise

    async def close(self) -> None:
        """Release the connection (a read-only request has nothing to commit)."""
        await self.session.close()

    async def __aenter__(self) -> Context:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
