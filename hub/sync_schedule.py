"""The sync schedule inside `serve`: every tenant's configured systems, incrementally, on a timer.

One background task per app, started and stopped by the app's lifespan. A tenant's run never
overlaps its previous one; a failing run is logged and the next tick tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import Connector
from hub.refresh import refresh_golden_records
from hub.sync import SyncRunResult, configured_systems, sync, tenant_connectors
from hub.telemetry import Telemetry
from hub.tenants import TenantConfig, TenantRegistry

log = logging.getLogger(__name__)

OUTCOMES = ("created", "updated", "unchanged", "deleted", "skipped")

ConnectorFactory = Callable[[httpx.AsyncClient, TenantConfig], list[Connector]]


class SyncSchedule:
    """Runs an incremental sync of every configured tenant every `interval` seconds."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tenants: TenantRegistry,
        interval: float,
        *,
        telemetry: Telemetry | None = None,
        connectors: ConnectorFactory = tenant_connectors,
        http_options: dict[str, Any] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("the sync interval must be positive")
        self.sessions = sessions
        self.tenants = tenants
        self.interval = interval
        self.telemetry = telemetry
        self.connectors = connectors
        self.http_options = http_options or {}
        self.ticks = 0  # completed rounds, for health checks and tests
        self._locks: dict[str, asyncio.Lock] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="crosswalk-sync-schedule")

    async def stop(self) -> None:
        """Cancel the loop; a sync in flight stops at its next await and its run stays
        'running' in the log only if the process dies before the cancellation lands."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _loop(self) -> None:
        while True:
            await self.run_once()
            self.ticks += 1
            await asyncio.sleep(self.interval)

    async def run_once(self) -> None:
        """One round: every configured tenant, concurrently, each at most once at a time."""
        configs = [c for c in self.tenants if configured_systems(c)]
        await asyncio.gather(*(self.sync_tenant(c) for c in configs))

    async def sync_tenant(self, config: TenantConfig) -> Sequence[SyncRunResult]:
        """Sync one tenant unless its previous run is still going; never raises (but for
        cancellation), so one tenant's broken system cannot stop the others or the server."""
        lock = self._locks.setdefault(config.id, asyncio.Lock())
        if lock.locked():
            log.info("sync of tenant %s still running; skipping this tick", config.id)
            return []
        async with lock:
            try:
                async with httpx.AsyncClient(**self.http_options) as http:
                    results = await sync(
                        self.sessions,
                        self.connectors(http, config),
                        tenant_id=config.id,
                        survivorship=config.survivorship_config(),
                    )
                await refresh_golden_records(self.sessions, config.id, tenant=config)
            except Exception:
                log.exception("scheduled sync of tenant %s failed", config.id)
                return []
        self._record(config.id, results)
        return results

    def _record(self, tenant_id: str, results: Sequence[SyncRunResult]) -> None:
        for r in results:
            if r.status != "succeeded":
                log.warning(
                    "scheduled sync of %s/%s for tenant %s failed: %s",
                    r.system,
                    r.stream,
                    tenant_id,
                    r.error,
                )
            if self.telemetry is None:
                continue
            for outcome in OUTCOMES:
                count = getattr(r, outcome)
                if count:
                    self.telemetry.record_sync(r.system, outcome, count)
