"""plan_write: which system receives which field, under the default and an overridden table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from golden_records.canonical import EntityType
from golden_records.ownership import DEFAULT_OWNERSHIP
from golden_records.systems import CREATABLE, SYSTEMS
from golden_records.write_plan import (
    ReferencedRecord,
    SystemWrite,
    WriteAction,
    WritePlan,
    plan_write,
)

E = EntityType
CREATE, UPDATE = WriteAction.CREATE, WriteAction.UPDATE

ACME_ID = 7
ACME = {
    "name": "Acme Corp",
    "legal_name": "Acme Corporation",
    "website": "acme.com",
    "status": "ACTIVE",
    "currency": "USD",
    "parent": None,
    "billing_address": {"line1": "1 Main St", "line2": None, "city": "Springfield",
                        "region": None, "postal_code": "01101", "country": "US"},
}  # fmt: skip
ACME_EVERYWHERE = {"salesforce": "001ACME", "quickbooks": "58", "harvest": "9001"}
REBUILD = {
    "client": ACME_ID,
    "name": "Website rebuild",
    "code": "WEB-1",
    "status": "ACTIVE",
    "currency": "USD",
    "bill_rate": Decimal("150.0000"),
    "budget_amount": Decimal("50000.0000"),
    "project_manager": None,
}
ADA = {"given_name": "Ada", "title": "Engineer", "default_bill_rate": Decimal("120.0000")}
ADA_IDS = {"bamboohr": "40", "harvest": "h40", "gusto": "g40"}


def with_overrides(**by_entity: dict[str, str]) -> Any:
    table = {entity: dict(attrs) for entity, attrs in DEFAULT_OWNERSHIP.items()}
    for entity, overrides in by_entity.items():
        table[E(entity)].update(overrides)
    return MappingProxyType(table)


def referenced(
    golden_id: int, crosswalks: dict[str, str], values: dict[str, Any] | None = None
) -> dict[tuple[EntityType, int], ReferencedRecord]:
    record = ReferencedRecord(E.CLIENT, golden_id, crosswalks, values or {"name": "Initech"})
    return {(E.CLIENT, golden_id): record}


def summary(plan: WritePlan) -> list[tuple[str, str, str, list[str], int | None]]:
    return [
        (w.system, w.entity_type.value, w.action.value, sorted(w.fields), w.depends_on)
        for w in plan.writes
    ]


def test_each_field_goes_to_its_owner_and_unowned_ones_to_the_hub() -> None:
    plan = plan_write(
        E.CLIENT,
        {"website": "acme.io", "legal_name": "Acme Corporation Inc.", "tax_id": "12-3456789"},
        golden_id=ACME_ID,
        current=ACME,
        crosswalks=ACME_EVERYWHERE,
        ownership=DEFAULT_OWNERSHIP,
    )
    assert plan.problems == ()
    assert plan.writes == (
        SystemWrite("quickbooks", E.CLIENT, UPDATE, ACME_ID, "58",
                    {"legal_name": "Acme Corporation Inc.", "tax_id": "12-3456789"}),
        SystemWrite("salesforce", E.CLIENT, UPDATE, ACME_ID, "001ACME", {"website": "acme.io"}),
    )  # fmt: skip
    assert plan.hub_fields == {}


def test_skills_are_hub_owned_and_identity_goes_to_the_hris() -> None:
    plan = plan_write(
        E.RESOURCE,
        {"skills": ["python", "sql"], "title": "Staff Engineer"},
        golden_id=40,
        current=ADA,
        crosswalks=ADA_IDS,
        ownership=DEFAULT_OWNERSHIP,
    )
    assert plan.hub_fields == {"skills": ["python", "sql"]}
    assert summary(plan) == [("bamboohr", "resource", "update", ["title"], None)]
    assert plan.fields_by_system() == {"hub": ["skills"], "bamboohr": ["title"]}


def test_an_update_that_changes_nothing_writes_nothing() -> None:
    plan = plan_write(
        E.CLIENT,
        # Same values as stored, up to whitespace, decimal scale and empty address parts.
        {
            "name": " Acme Corp ",
            "currency": "USD",
            "billing_address": {
                "line1": "1 Main St",
                "city": "Springfield",
                "postal_code": "01101",
                "country": "US",
            },
        },
        golden_id=ACME_ID,
        current=ACME,
        crosswalks=ACME_EVERYWHERE,
        ownership=DEFAULT_OWNERSHIP,
    )
    assert plan.writes == () and plan.hub_fields == {} and plan.problems == ()
    same_rate = plan_write(
        E.PROJECT,
        {"bill_rate": Decimal("150")},
        golden_id=3,
        current=REBUILD,
        crosswalks={"harvest": "p3"},
        ownership=DEFAULT_OWNERSHIP,
    )
    assert same_rate.writes == ()


def test_an_overridden_owner_receives_the_field() -> None:
    ownership = with_overrides(client={"parent": "quickbooks"})
    plan = plan_write(
        E.CLIENT,
        {"parent": 12},
        golden_id=ACME_ID,
        current=ACME,
        crosswalks=ACME_EVERYWHERE,
        ownership=ownership,
        referenced=referenced(12, {"quickbooks": "77", "salesforce": "001INIT"}),
    )
    assert summary(plan) == [("quickbooks", "client", "update", ["parent"], None)]
    assert plan.writes[0].fields == {"parent": 12}


def test_creating_a_client_creates_it_in_each_owner_of_a_given_field() -> None:
    plan = plan_write(
        E.CLIENT,
        {"name": "Globex", "currency": "EUR", "industry": "Energy"},
        golden_id=None,
        current=None,
        crosswalks={},
        ownership=DEFAULT_OWNERSHIP,
    )
    assert plan.problems == ()
    # QuickBooks owns the currency; it gets the name too, which it needs to create a customer.
    assert plan.writes == (
        SystemWrite("quickbooks", E.CLIENT, CREATE, None, None,
                    {"currency": "EUR", "name": "Globex"}),
        SystemWrite("salesforce", E.CLIENT, CREATE, None, None,
                    {"name": "Globex", "industry": "Energy"}),
    )  # fmt: skip


def test_an_update_creates_the_record_in_an_owner_that_lacks_it() -> None:
    plan = plan_write(
        E.CLIENT,
        {"payment_terms": "NET_45"},
        golden_id=ACME_ID,
        current=ACME,
        crosswalks={"salesforce": "001ACME"},
        ownership=DEFAULT_OWNERSHIP,
    )
    assert plan.writes == (
        SystemWrite("quickbooks", E.CLIENT, CREATE, ACME_ID, None,
                    {"payment_terms": "NET_45", "name": "Acme Corp"}),
    )  # fmt: skip


def test_a_project_for_a_client_without_a_harvest_record_creates_the_client_first() -> None:
    plan = plan_write(
        E.PROJECT,
        {"client": 12, "name": "ERP rollout", "code": "ERP-1", "status": "PROPOSED"},
        golden_id=None,
        current=None,
        crosswalks={},
        ownership=DEFAULT_OWNERSHIP,
        referenced=referenced(12, {"salesforce": "001INIT"}, {"name": "Initech", "status": "X"}),
    )
    assert plan.problems == ()
    assert plan.writes[0] == SystemWrite("harvest", E.CLIENT, CREATE, 12, None, {"name": "Initech"})
    assert summary(plan)[1:] == [
        ("harvest", "project", "create", ["client", "code", "name", "status"], 0)
    ]


def test_a_quickbooks_job_needs_the_clients_quickbooks_customer() -> None:
    plan = plan_write(
        E.PROJECT,
        {"client": 12, "name": "ERP rollout", "budget_amount": Decimal("80000")},
        golden_id=None,
        current=None,
        crosswalks={},
        ownership=DEFAULT_OWNERSHIP,
        referenced=referenced(12, {"salesforce": "001INIT", "harvest": "h12"}),
    )
    # Dependencies first, then by system name; the job waits for its customer.
    assert summary(plan) == [
        ("quickbooks", "client", "create", ["name"], None),
        ("harvest", "project", "create", ["client", "name"], None),
        ("quickbooks", "project", "create", ["budget_amount", "client", "name"], 0),
    ]


def test_a_reference_the_system_cannot_create_is_a_problem() -> None:
    # Salesforce owns the account owner, but people cannot be created there from the hub.
    plan = plan_write(
        E.CLIENT,
        {"account_owner": 41},
        golden_id=ACME_ID,
        current=ACME,
        crosswalks=ACME_EVERYWHERE,
        ownership=DEFAULT_OWNERSHIP,
        referenced={(E.RESOURCE, 41): ReferencedRecord(E.RESOURCE, 41, {"bamboohr": "41"}, {})},
    )
    assert [(p.code, p.field) for p in plan.problems] == [("NO_SOURCE_RECORD", "accountOwnerId")]
    assert "Salesforce" in plan.problems[0].message and "resource 41" in plan.problems[0].message


def test_an_owner_that_cannot_create_the_record_is_a_problem() -> None:
    # Harvest owns the default bill rate, but people are created in the HRIS, not from the hub.
    plan = plan_write(
        E.RESOURCE,
        {"default_bill_rate": Decimal("135")},
        golden_id=40,
        current=ADA,
        crosswalks={"bamboohr": "40", "gusto": "g40"},
        ownership=DEFAULT_OWNERSHIP,
    )
    assert plan.writes == ()
    assert [(p.code, p.field) for p in plan.problems] == [("NO_SOURCE_RECORD", "defaultBillRate")]
    assert "Harvest has no record" in plan.problems[0].message


def test_a_cost_rate_goes_to_payroll_and_the_bill_rate_to_the_psa() -> None:
    cost = {"hourly_cost": Decimal("72.50"), "currency": "USD", "effective_from": date(2026, 1, 1)}
    plan = plan_write(
        E.RESOURCE,
        {"cost_rate": cost, "default_bill_rate": Decimal("135")},
        golden_id=40,
        current=ADA,
        crosswalks=ADA_IDS,
        ownership=DEFAULT_OWNERSHIP,
    )
    assert plan.problems == () and plan.hub_fields == {}
    assert plan.writes == (
        SystemWrite("gusto", E.COST_RATE, CREATE, None, None, {"resource": 40, **cost}),
        SystemWrite("harvest", E.RESOURCE, UPDATE, 40, "h40", {"default_bill_rate": Decimal(135)}),
    )


def test_a_cost_rate_for_a_person_payroll_does_not_know_is_a_problem() -> None:
    cost = {"hourly_cost": Decimal("70"), "currency": "USD", "effective_from": date(2026, 1, 1)}
    plan = plan_write(
        E.RESOURCE,
        {"cost_rate": cost},
        golden_id=40,
        current=ADA,
        crosswalks={"bamboohr": "40"},
        ownership=DEFAULT_OWNERSHIP,
    )
    assert [(p.code, p.field) for p in plan.problems] == [("NO_SOURCE_RECORD", "costRate")]


def test_a_create_missing_what_the_system_needs_names_it() -> None:
    plan = plan_write(
        E.PROJECT,
        {"client": 12, "name": "ERP rollout"},
        golden_id=None,
        current=None,
        crosswalks={},
        ownership=DEFAULT_OWNERSHIP,
        referenced=referenced(12, {"salesforce": "001INIT"}, {"name": None}),
    )
    assert [(p.code, p.field) for p in plan.problems] == [("VALIDATION", "clientId")]
    assert "needs name" in plan.problems[0].message


def test_clearing_a_reference_needs_nothing_in_the_target_system() -> None:
    plan = plan_write(
        E.CLIENT,
        {"parent": None},
        golden_id=ACME_ID,
        current={**ACME, "parent": 12},
        crosswalks=ACME_EVERYWHERE,
        ownership=DEFAULT_OWNERSHIP,
    )
    assert plan.problems == ()
    assert summary(plan) == [("salesforce", "client", "update", ["parent"], None)]


def test_the_creatable_table_names_known_systems_and_owned_attributes() -> None:
    for (system, entity_type), requires in CREATABLE.items():
        assert entity_type in SYSTEMS[system].holds
        assert set(requires) <= set(DEFAULT_OWNERSHIP[entity_type]) | {"resource"}
