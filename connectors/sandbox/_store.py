"""Shared bits of every emulator's in-memory storage: the injectable clock and ID sequences."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

Clock = Callable[[], datetime]
Record = dict[str, Any]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Table:
    """One object type's records, keyed by the system's own ID, in insertion order."""

    def __init__(self, records: Iterable[Record] = (), *, key: str = "id") -> None:
        self.key = key
        # Deep copies: a store mutates its records, and the seed data must stay reusable.
        self.rows: dict[str, Record] = {str(r[key]): copy.deepcopy(r) for r in records}

    def get(self, record_id: object) -> Record | None:
        return self.rows.get(str(record_id))

    def add(self, record: Record) -> Record:
        self.rows[str(record[self.key])] = record
        return record

    def all(self) -> list[Record]:
        return list(self.rows.values())

    def __len__(self) -> int:
        return len(self.rows)


class Sandbox:
    """Base of each system's store: holds the clock every timestamp comes from."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or utc_now

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)
