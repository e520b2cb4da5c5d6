"""Renders a canonical `Firm` into each source system's native records, with real-world mess.

Each system gets its own IDs and spellings, partial coverage, stale statuses, missing links and
a few true duplicates; `SandboxData.answer_key` says which records are the same real entity
(cluster id = the canonical key), so matching quality can be measured against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from connectors.sandbox._render_base import SEEDED_UNTIL, AnswerKey, Renderer, SourceRef
from connectors.sandbox._render_crm import render_salesforce
from connectors.sandbox._render_erp import render_quickbooks
from connectors.sandbox._render_people import render_bamboohr, render_gusto
from connectors.sandbox._render_psa import render_harvest
from connectors.sandbox._store import Record
from golden_records.canonical import EntityType, Firm

__all__ = ["KEYED_OBJECTS", "AnswerKey", "SandboxData", "SourceRef", "render_firm"]


# Every (system, object) whose records the answer key covers; Gusto jobs are containers of
# compensations, not entities of their own, and are the only rendered object left out.
KEYED_OBJECTS: dict[tuple[str, str], tuple[EntityType, ...]] = {
    ("salesforce", "Account"): (EntityType.CLIENT,),
    ("salesforce", "Opportunity"): (EntityType.PROJECT,),
    ("salesforce", "Contact"): (EntityType.RESOURCE,),
    ("salesforce", "User"): (EntityType.RESOURCE,),
    ("harvest", "clients"): (EntityType.CLIENT,),
    ("harvest", "projects"): (EntityType.PROJECT,),
    ("harvest", "users"): (EntityType.RESOURCE,),
    ("harvest", "user_assignments"): (EntityType.ASSIGNMENT,),
    ("harvest", "time_entries"): (EntityType.TIME_ENTRY,),
    ("quickbooks", "Customer"): (EntityType.CLIENT, EntityType.PROJECT),  # projects: Job=true
    ("quickbooks", "Invoice"): (EntityType.INVOICE,),
    ("quickbooks", "Payment"): (EntityType.PAYMENT,),
    ("bamboohr", "employees"): (EntityType.RESOURCE,),
    ("gusto", "employees"): (EntityType.RESOURCE,),
    ("gusto", "compensations"): (EntityType.COST_RATE,),
}


@dataclass(slots=True)
class SandboxData:
    """What the five emulators are seeded with, and the truth about it."""

    seed: int
    records: dict[str, dict[str, list[Record]]]  # system -> object -> native records
    answer_key: AnswerKey = field(default_factory=dict)
    as_of: datetime = SEEDED_UNTIL
    _index: dict[SourceRef, tuple[EntityType, str]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def cluster_of(self, ref: SourceRef) -> tuple[EntityType, str] | None:
        """The (entity type, canonical key) a record belongs to, if the key covers it."""
        if not self._index:
            self._index.update(
                (member, (entity, key))
                for entity, clusters in self.answer_key.items()
                for key, members in clusters.items()
                for member in members
            )
        return self._index.get(ref)


def render_firm(firm: Firm, seed: int) -> SandboxData:
    """Turn a canonical firm into the five systems' native records plus the answer key."""
    renderer = Renderer(firm, seed)
    for render in (
        render_salesforce,
        render_harvest,
        render_quickbooks,
        render_bamboohr,
        render_gusto,
    ):
        render(renderer)
    records = {s: dict(objs) for s, objs in renderer.out.items()}
    key = {e: dict(c) for e, c in renderer.key.items()}
    return SandboxData(seed=seed, records=records, answer_key=key)
