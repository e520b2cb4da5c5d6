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


# What the hub may create in each system when a write needs a record the system lacks, and the
# canonical attributes the system needs to create it. A pair missing here cannot be created from
# the hub: people are hired in the HRIS, not by a write-back, so no system creates a RESOURCE.
CREATABLE: dict[tuple[str, EntityType], tuple[str, ...]] = {
    ("salesforce", E.CLIENT): ("name",),
    ("quickbooks", E.CLIENT): ("name",),
    ("harvest", E.CLIENT): ("name",),
    ("harvest", E.PROJECT): ("client", "name"),
    # A QuickBooks project is a job (a sub-customer) under the client's customer.
    ("quickbooks", E.PROJECT): ("client", "name"),
    ("gusto", E.COST_RATE): ("resource", "hourly_cost", "effective_from"),
}


def create_requirements(system: str, entity_type: EntityType) -> tuple[str, ...] | None:
    """The attributes `system` needs to create an `entity_type`, or None if it cannot."""
    return CREATABLE.get((system, entity_type))
