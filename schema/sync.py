"""Sync run types: one pull of one stream of one source system, and what it changed."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from hub.sync_models import SyncRun as SyncRunRow
from resolvers.sync import SyncRunPage, encode_cursor
from schema.common import PageInfo, utc


@strawberry.enum(description="Where a sync run is: still running, or how it ended.")
class SyncRunStatus(Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@strawberry.type(description="One pull of one stream (e.g. salesforce Account) into the hub.")
class SyncRun:
    id: strawberry.ID
    system: str = strawberry.field(description='The source system, e.g. "salesforce".')
    stream: str = strawberry.field(description='The object synced, e.g. "accounts".')
    full: bool = strawberry.field(description="True for a full re-sync, false for incremental.")
    status: SyncRunStatus
    started_at: datetime
    finished_at: datetime | None
    fetched: int = strawberry.field(description="Records the system returned.")
    created: int = strawberry.field(description="Source records new to the hub.")
    updated: int = strawberry.field(description="Source records whose content changed.")
    unchanged: int
    deleted: int = strawberry.field(description="Records newly deleted or archived at the source.")
    skipped: int = strawberry.field(
        description="Records left out because a record they require was not synced yet "
        "(retried by the next run)."
    )
    error: str | None = strawberry.field(description="Why the run failed, when it did.")

    @classmethod
    def from_model(cls, run: SyncRunRow) -> SyncRun:
        return cls(
            id=strawberry.ID(str(run.id)),
            system=run.system,
            stream=run.stream,
            full=run.full,
            status=SyncRunStatus(run.status),
            started_at=utc(run.started_at),
            finished_at=utc(run.finished_at),
            fetched=run.fetched,
            created=run.created,
            updated=run.updated,
            unchanged=run.unchanged,
            deleted=run.deleted,
            skipped=run.skipped,
            error=run.error,
        )


@strawberry.type
class SyncRunEdge:
    cursor: str
    node: SyncRun


@strawberry.type(description="A page of sync runs, newest first.")
class SyncRunConnection:
    edges: list[SyncRunEdge]
    page_info: PageInfo
    _page: strawberry.Private[SyncRunPage]

    @strawberry.field(description="How many runs match the filter (all pages).")
    async def total_count(self) -> int:
        return await self._page.count()

    @classmethod
    def from_page(cls, page: SyncRunPage) -> SyncRunConnection:
        edges = [
            SyncRunEdge(cursor=encode_cursor(run.id), node=SyncRun.from_model(run))
            for run in page.runs
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _page=page,
        )


@strawberry.input(description="Only sync runs matching every given field.")
class SyncRunFilter:
    system: str | None = strawberry.field(
        default=None, description='A system name or role, e.g. "salesforce" or "crm".'
    )
    status: SyncRunStatus | None = None
    since: datetime | None = strawberry.field(
        default=None, description="Runs started at or after this time."
    )
