"""The source systems Crosswalk knows, and which entity types each one can hold."""

from __future__ import annotations

from dataclasses import dataclass

from golden_records.canonical import EntityType
from golden_records.errors import UnknownSystem


@dataclass(frozen=True, slots=True)
class SourceSystem:
    name: str  # used in refs and crosswalks, e.g. "salesforce"
    role: str  # crm, psa, erp, hris, payroll
    product: str
    holds: frozenset[EntityType]


E = EntityType

SYSTEMS: dict[str, SourceSystem] = {
    s.name: s
    for s in (
        SourceSystem(
            "salesforce", "crm", "Salesforce", frozenset({E.CLIENT, E.PROJECT, E.RESOURCE})
        ),
        SourceSystem(
            "harvest",
            "psa",
            "Harvest",
            frozenset({E.CLIENT, E.PROJECT, E.RESOURCE, E.ASSIGNMENT, E.TIME_ENTRY}),
        ),
        SourceSystem(
            "quickbooks",
            "erp",
            "QuickBooks Online",
            frozenset({E.CLIENT, E.PROJECT, E.INVOICE, E.PAYMENT}),
        ),
        SourceSystem("bamboohr", "hris", "BambooHR", frozenset({E.RESOURCE})),
        SourceSystem("gusto", "payroll", "Gusto", frozenset({E.RESOURCE, E.COST_RATE})),
    )
}

_BY_ROLE = {s.role: s for s in SYSTEMS.values()}


def get_system(name: str) -> SourceSystem:
    """Look a system up by name ("salesforce") or role ("crm"), case-insensitively."""
    key = name.strip().lower()
    system = SYSTEMS.get(key) or _BY_ROLE.get(key)
    if system is None:
        raise UnknownSystem(name, sorted(SYSTEMS))
    return system
