"""Shared machinery of the renderers: the seeded RNG, the answer-key builder, timestamps."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from connectors.sandbox._ids import salesforce_id
from connectors.sandbox._store import Record
from golden_records.canonical import Client, EntityType, Firm

# Seeded records were last touched no later than this; the sandbox clock starts here so that
# writes made through the APIs are always newer than the seed (incremental sync relies on it).
SEEDED_UNTIL = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
_EARLIEST = date(2018, 1, 1)


class SourceRef(NamedTuple):
    """One record in one system: the unit the answer key clusters."""

    system: str
    object: str
    external_id: str


AnswerKey = dict[EntityType, dict[str, list[SourceRef]]]

COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "NL": "Netherlands",
}
TERMS = {
    "DUE_ON_RECEIPT": ("1", "Due on receipt"),
    "NET_15": ("2", "Net 15"),
    "NET_30": ("3", "Net 30"),
    "NET_45": ("4", "Net 45"),
    "NET_60": ("5", "Net 60"),
}
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "CAD": "Canadian Dollar",
    "GBP": "British Pound Sterling",
    "EUR": "Euro",
}


def money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class Renderer:
    """One rendering run: the firm, the RNG, and the records and answer key built so far."""

    def __init__(self, firm: Firm, seed: int) -> None:
        self.firm = firm
        self.rng = random.Random(seed)
        self.seed = seed
        self.out: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
        self.key: AnswerKey = defaultdict(lambda: defaultdict(list))
        self.counter = 0  # Salesforce IDs share one sequence across object types
        self.clients = {c.key: c for c in firm.clients}
        self.projects = {p.key: p for p in firm.projects}
        self._first_start: dict[str, date] = {}
        for project in firm.projects:
            known = self._first_start.get(project.client)
            if known is None or project.start_date < known:
                self._first_start[project.client] = project.start_date

    # -- helpers ---------------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def add(
        self, system: str, obj: str, record: Record, entity: EntityType, key: str, id_field: str
    ) -> None:
        self.out[system][obj].append(record)
        self.key[entity][key].append(SourceRef(system, obj, str(record[id_field])))

    def times(self, created_day: date | None) -> tuple[datetime, datetime]:
        day = min(max(created_day or _EARLIEST, _EARLIEST), SEEDED_UNTIL.date())
        created = datetime.combine(day, time(8), UTC) + timedelta(minutes=self.rng.randrange(600))
        created = min(created, SEEDED_UNTIL - timedelta(days=1))
        span = (SEEDED_UNTIL - created).total_seconds()
        modified = created + timedelta(seconds=self.rng.random() * span * self.rng.random())
        return created, modified

    def sf_id(self, prefix: str) -> str:
        self.counter += 1
        return salesforce_id(prefix, self.counter)

    def website_variant(self, website: str | None) -> str | None:
        if website is None or self.chance(0.1):
            return None
        bare = website.removeprefix("https://").removeprefix("http://")
        return self.rng.choice((website, bare, bare.removeprefix("www."), website + "/"))

    def client_since(self, client: Client) -> date:
        """When a client first appeared: shortly before its first project, else mid-2025."""
        first = self._first_start.get(client.key)
        return first - timedelta(days=60) if first else date(2025, 6, 1)
