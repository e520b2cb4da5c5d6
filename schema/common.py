"""Types shared by every domain: connections, page info, source records, crosswalks, lineage."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any, Generic, TypeVar, overload

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON
from strawberry.types import Info

from hub.auth.roles import Permission
from resolvers.pagination import Page
from schema.permissions import check

T = TypeVar("T")


@strawberry.enum(description="Sort direction; the record ID breaks ties in the same direction.")
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """Timestamps are UTC; SQLite hands them back without a zone, so say so."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@strawberry.type(description="Where a connection's page sits in the whole result.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _page: strawberry.Private[Page]

    @strawberry.field(description="How many records match the filter (all pages).")
    async def total_count(self) -> int:
        return await self._page.count()


def connection_from_page(page: Page, build: Any) -> Any:
    """A Connection of `build(row)` objects for one page of rows."""
    edges = [Edge(cursor=c, node=build(r)) for c, r in zip(page.cursors, page.rows, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        _page=page,
    )


@strawberry.input(description="A record's ID in one source system, e.g. Salesforce's 001....")
class SystemRefInput:
    system: str = strawberry.field(
        description='System name ("salesforce", "harvest", "quickbooks", "bamboohr", "gusto") '
        'or role ("crm", "psa", "erp", "hris", "payroll").'
    )
    external_id: str


# A resource's copies carry DOB, national ID and home address; a cost rate's carry pay.
_SOURCE_PERMISSIONS = {"resource": Permission.READ_SENSITIVE, "cost_rate": Permission.READ_COST}


@strawberry.type(description="One system's copy of a golden record, as fetched.")
class SourceRecord:
    system: str
    external_id: str
    entity_type: strawberry.Private[str]
    raw_payload: strawberry.Private[Any]
    raw_attributes: strawberry.Private[Any]
    source_updated_at: datetime | None
    fetched_at: datetime
    concurrency_token: str | None
    deleted: bool

    def _guard(self, info: Info) -> None:
        needed = _SOURCE_PERMISSIONS.get(self.entity_type)
        if needed is not None:
            check(info, needed)

    @strawberry.field(description="The record as the system returned it (sensitive for people).")
    def payload(self, info: Info) -> JSON | None:
        self._guard(info)
        return self.raw_payload

    @strawberry.field(description="The canonical attributes mapped from `payload`.")
    def attributes(self, info: Info) -> JSON | None:
        self._guard(info)
        return self.raw_attributes

    @classmethod
    def from_row(cls, row: Row[Any]) -> SourceRecord:
        return cls(
            system=row.system,
            external_id=row.external_id,
            entity_type=row.entity_type,
            raw_payload=row.payload,
            raw_attributes=row.attributes,
            source_updated_at=utc(row.source_updated_at),
            fetched_at=utc(row.fetched_at),
            concurrency_token=row.concurrency_token,
            deleted=row.deleted,
        )


@strawberry.type(description="The ID of a golden record in one source system.")
class Crosswalk:
    system: str
    external_id: str

    @classmethod
    def from_row(cls, row: Row[Any]) -> Crosswalk:
        return cls(system=row.system, external_id=row.external_id)


@strawberry.type(description="Where one attribute's golden value came from, and why.")
class Lineage:
    attribute: str
    system: str | None
    external_id: str | None
    rule: str

    @classmethod
    def from_row(cls, row: Row[Any]) -> Lineage:
        return cls(
            attribute=row.attribute,
            system=row.system,
            external_id=row.external_id,
            rule=row.rule,
        )
