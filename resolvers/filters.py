"""Filter inputs -> SQL conditions on one golden table (text search, status, currency, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, or_

from golden_records.errors import ValidationFailed
from golden_records.models import GoldenRecord, ProjectRecord, ResourceRecord
from resolvers.global_ids import decode_typed_id

# Which columns a free-text `search` looks in, per table.
SEARCH_COLUMNS: dict[str, tuple[str, ...]] = {
    "clients": ("name", "legal_name", "domain"),
    "projects": ("name", "code"),
    "resources": ("given_name", "family_name", "email"),
}


def text_input(value: str | None, field: str) -> str | None:
    """A text argument as given; NUL characters are refused (no database stores them)."""
    if value is not None and "\x00" in value:
        raise ValidationFailed(f"`{field}` must not contain NUL characters.", field=field)
    return value


def conditions(model: type[GoldenRecord], filter: Any | None) -> list[ColumnElement[bool]]:
    """SQL conditions for a strawberry filter input; absent fields do not filter."""
    if filter is None:
        return []
    table = model.__table__
    where: list[ColumnElement[bool]] = []
    search = text_input(getattr(filter, "search", None), "filter.search")
    if search and search.strip():
        text = search.strip()
        where.append(
            or_(
                *(
                    table.c[name].icontains(text, autoescape=True)
                    for name in SEARCH_COLUMNS[model.__tablename__]
                )
            )
        )
    statuses: Sequence[Enum] | None = getattr(filter, "status", None)
    if statuses:
        where.append(table.c.status.in_([s.value for s in statuses]))
    currency = text_input(getattr(filter, "currency", None), "filter.currency")
    if currency:
        where.append(table.c.currency == currency.strip().upper())
    updated_since: datetime | None = getattr(filter, "updated_since", None)
    if updated_since is not None:
        # Stored timestamps are UTC and SQLite compares them as text, so compare in UTC.
        if updated_since.tzinfo is None:
            updated_since = updated_since.replace(tzinfo=UTC)
        try:
            updated_since = updated_since.astimezone(UTC)
        except OverflowError:
            raise ValidationFailed(
                "`updatedSince` is out of range.", field="filter.updatedSince"
            ) from None
        where.append(table.c.updated_at >= updated_since)
    if model is ProjectRecord:
        client: str | None = getattr(filter, "client", None)
        if client is not None:
            where.append(
                table.c.client_id == decode_typed_id(client, "Client", field="filter.client")
            )
    if model is ResourceRecord:
        department = text_input(getattr(filter, "department", None), "filter.department")
        if department:
            where.append(table.c.department.ilike(department.strip()))
    return where
