"""The default source-of-truth table: which system owns each canonical attribute.

Kept as plain data so that a later per-tenant file can replace it without code changes.
Attribute names are the canonical dataclass field names (`golden_records.canonical`), plus
`domain` for clients (derived from `website`). An attribute missing from the table is
hub-owned: it is stored in the hub and written back nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from golden_records.canonical import EntityType

E = EntityType


def _owned_by(system: str, attributes: str) -> dict[str, str]:
    return dict.fromkeys(attributes.split(), system)


def _freeze(table: dict[EntityType, dict[str, str]]) -> Mapping[EntityType, Mapping[str, str]]:
    return MappingProxyType({entity: MappingProxyType(attrs) for entity, attrs in table.items()})


DEFAULT_OWNERSHIP: Mapping[EntityType, Mapping[str, str]] = _freeze(
    {
        # CRM owns client identity; the ERP owns what billing needs.
        E.CLIENT: {
            **_owned_by("salesforce", "name website domain industry parent account_owner status"),
            **_owned_by("quickbooks", "legal_name billing_address payment_terms tax_id currency"),
        },
        # The PSA runs projects; the contract amount is the ERP's. `project_manager` is absent:
        # Harvest's project API has no manager field, so the hub owns it.
        E.PROJECT: {
            **_owned_by(
                "harvest",
                "client name code status billing_type start_date end_date currency"
                " budget_hours bill_rate",
            ),
            **_owned_by("quickbooks", "budget_amount"),
        },
        # The HRIS owns person identity, the PSA the bill rate, payroll the pay currency.
        # `skills` is deliberately absent: no source system keeps it, so the hub owns it.
        E.RESOURCE: {
            **_owned_by(
                "bamboohr",
                "given_name family_name email phone title department manager employment_type"
                " status hire_date termination_date office region date_of_birth national_id"
                " home_address",
            ),
            **_owned_by("harvest", "default_bill_rate"),
            **_owned_by("gusto", "currency"),
        },
        E.ASSIGNMENT: _owned_by(
            "harvest", "project resource role allocation start_date end_date bill_rate"
        ),
        E.TIME_ENTRY: _owned_by(
            "harvest", "project resource date hours billable approval_state notes"
        ),
        E.INVOICE: _owned_by(
            "quickbooks",
            "client project number issue_date due_date currency total_amount balance status",
        ),
        E.PAYMENT: _owned_by("quickbooks", "client invoice date currency amount reference"),
        E.COST_RATE: _owned_by(
            "gusto", "resource effective_from effective_to hourly_cost currency"
        ),
    }
)


def owner_of(entity_type: EntityType, attribute: str) -> str | None:
    """The system that owns `attribute` of `entity_type` by default, or None if the hub does."""
    return DEFAULT_OWNERSHIP.get(entity_type, {}).get(attribute)
