"""validate_write: what a caller gets back before anything is sent to a source system."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from golden_records.canonical import EntityType, ProjectStatus
from golden_records.errors import BelowCostRate, InvalidStatusTransition
from golden_records.validation import CostRateInForce, RateCard, validate_write

E = EntityType

ACME = {"name": "Acme Corp", "status": "ACTIVE", "currency": "USD", "website": "acme.com"}
REBUILD = {
    "client": 7,
    "name": "Website rebuild",
    "status": "ACTIVE",
    "billing_type": "TIME_AND_MATERIALS",
    "currency": "USD",
    "start_date": date(2026, 3, 1),
    "end_date": date(2026, 9, 30),
    "bill_rate": Decimal("150.00"),
}
ADA = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "email": "ada@example.com",
    "status": "ACTIVE",
    "employment_type": "EMPLOYEE",
    "hire_date": date(2020, 1, 6),
    "termination_date": None,
    "default_bill_rate": Decimal("120.0000"),
    "currency": "USD",
}


def errors(
    entity_type: EntityType, values: dict[str, Any], current: dict[str, Any] | None = None, **kw
) -> list[tuple[str, str | None]]:
    return [(e.code, e.field) for e in validate_write(entity_type, values, current=current, **kw)]


def only(entity_type: EntityType, values: dict[str, Any], current: dict[str, Any] | None = None):
    problems = validate_write(entity_type, values, current=current)
    assert len(problems) == 1, [p.message for p in problems]
    return problems[0]


# -- required values and lengths --------------------------------------------------------------


def test_a_valid_client_create_and_update_pass() -> None:
    assert errors(E.CLIENT, {"name": "Globex", "currency": "EUR"}) == []
    assert errors(E.CLIENT, {"legal_name": "Acme Corporation Ltd."}, ACME) == []


def test_client_create_needs_a_non_blank_name() -> None:
    assert errors(E.CLIENT, {"industry": "Retail"}) == [("VALIDATION", "name")]
    problem = only(E.CLIENT, {"name": "   "})
    assert problem.field == "name" and "cannot be empty" in problem.message


def test_project_create_needs_client_and_name() -> None:
    assert errors(E.PROJECT, {"code": "WEB-1"}) == [
        ("VALIDATION", "clientId"),
        ("VALIDATION", "name"),
    ]


def test_an_update_cannot_clear_a_required_value_but_may_clear_an_optional_one() -> None:
    assert errors(E.PROJECT, {"name": None}, REBUILD) == [("VALIDATION", "name")]
    assert errors(E.PROJECT, {"code": None, "end_date": None}, REBUILD) == []


def test_text_longer_than_its_column_is_refused_after_trimming() -> None:
    assert errors(E.CLIENT, {"name": "  " + "x" * 300 + "  "}) == []
    problem = only(E.CLIENT, {"name": "x" * 301})
    assert problem.field == "name" and "301" in problem.message and "300" in problem.message


def test_an_unknown_field_is_named_with_the_writable_ones() -> None:
    problem = only(E.CLIENT, {"colour": "red"}, ACME)
    assert problem.field == "colour" and "legalName" in problem.message


def test_every_problem_is_reported_at_once() -> None:
    found = errors(
        E.PROJECT,
        {"name": "", "status": "DONE", "currency": "usd", "budget_hours": Decimal(-5)},
        REBUILD,
    )
    assert [f for _, f in found] == ["name", "status", "currency", "budgetHours"]


# -- enums ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity_type", "attribute", "bad", "listed"),
    [
        (E.PROJECT, "status", "DONE", "PROPOSED, ACTIVE, ON_HOLD, COMPLETED, CANCELLED"),
        (E.PROJECT, "billing_type", "RETAINER", "TIME_AND_MATERIALS, FIXED_FEE, NON_BILLABLE"),
        (E.RESOURCE, "employment_type", "INTERN", "EMPLOYEE, CONTRACTOR"),
        (E.CLIENT, "status", "active", "PROSPECT, ACTIVE, INACTIVE"),
    ],
)
def test_an_enum_value_outside_the_set_lists_the_allowed_ones(
    entity_type: EntityType, attribute: str, bad: str, listed: str
) -> None:
    problem = only(entity_type, {attribute: bad}, {"status": "ACTIVE"})
    assert repr(bad) in problem.message and listed in problem.message


def test_enum_members_are_accepted_as_well_as_their_values() -> None:
    assert errors(E.PROJECT, {"status": ProjectStatus.ON_HOLD}, REBUILD) == []


# -- status transitions -----------------------------------------------------------------------


def test_a_completed_project_cannot_go_back_to_proposed_but_can_be_reopened() -> None:
    done = {**REBUILD, "status": "COMPLETED"}
    problem = only(E.PROJECT, {"status": "PROPOSED"}, done)
    assert isinstance(problem, InvalidStatusTransition)
    assert problem.code == "INVALID_STATUS_TRANSITION" and problem.field == "status"
    assert "COMPLETED to PROPOSED" in problem.message and "ACTIVE" in problem.message
    assert errors(E.PROJECT, {"status": "ACTIVE"}, done) == []


@pytest.mark.parametrize("target", ["PROPOSED", "ACTIVE", "ON_HOLD", "COMPLETED"])
def test_a_cancelled_project_is_final(target: str) -> None:
    problem = only(E.PROJECT, {"status": target}, {**REBUILD, "status": "CANCELLED"})
    assert problem.code == "INVALID_STATUS_TRANSITION" and "final" in problem.message


def test_the_same_status_is_no_transition() -> None:
    assert errors(E.PROJECT, {"status": "CANCELLED"}, {**REBUILD, "status": "CANCELLED"}) == []


def test_a_proposal_cannot_be_completed_without_running() -> None:
    proposed = {**REBUILD, "status": "PROPOSED"}
    assert errors(E.PROJECT, {"status": "COMPLETED"}, proposed) == [
        ("INVALID_STATUS_TRANSITION", "status")
    ]
    assert errors(E.PROJECT, {"status": "ACTIVE"}, proposed) == []


def test_a_terminated_person_comes_back_only_as_a_rehire() -> None:
    left = {**ADA, "status": "TERMINATED", "termination_date": date(2024, 6, 30)}
    assert errors(E.RESOURCE, {"status": "ACTIVE"}, left) == [
        ("INVALID_STATUS_TRANSITION", "status")
    ]
    assert errors(E.RESOURCE, {"status": "ON_LEAVE"}, left) == [
        ("INVALID_STATUS_TRANSITION", "status")
    ]
    rehire = {"status": "ACTIVE", "hire_date": date(2026, 2, 2), "termination_date": None}
    assert errors(E.RESOURCE, rehire, left) == []


def test_a_client_may_move_between_any_statuses() -> None:
    assert errors(E.CLIENT, {"status": "PROSPECT"}, {**ACME, "status": "INACTIVE"}) == []


# -- formats ----------------------------------------------------------------------------------


def test_currencies_are_active_upper_case_iso_4217_codes() -> None:
    assert errors(E.CLIENT, {"currency": "EUR"}, ACME) == []
    lower = only(E.CLIENT, {"currency": "eur"}, ACME)
    assert "'EUR'" in lower.message
    assert errors(E.CLIENT, {"currency": "ABC"}, ACME) == [("VALIDATION", "currency")]
    # ISO 4217 lists gold and "no currency"; neither is money a client is billed in.
    assert errors(E.CLIENT, {"currency": "XAU"}, ACME) == [("VALIDATION", "currency")]
    assert errors(E.CLIENT, {"currency": "XXX"}, ACME) == [("VALIDATION", "currency")]


def test_email_addresses_are_checked_for_format_not_deliverability() -> None:
    assert errors(E.RESOURCE, {"email": "ada.lovelace@example.org"}, ADA) == []
    problem = only(E.RESOURCE, {"email": "ada.lovelace@"}, ADA)
    assert problem.field == "email" and "'ada.lovelace@'" in problem.message


def test_dates_must_be_calendar_days() -> None:
    assert errors(E.PROJECT, {"start_date": "2026-03-01"}, REBUILD) == [("VALIDATION", "startDate")]
    assert errors(E.PROJECT, {"start_date": datetime(2026, 3, 1, 9)}, REBUILD) == [
        ("VALIDATION", "startDate")
    ]


def test_a_date_of_birth_is_in_the_past() -> None:
    assert errors(E.RESOURCE, {"date_of_birth": date(1990, 5, 17)}, ADA) == []
    assert errors(E.RESOURCE, {"date_of_birth": date(2199, 1, 1)}, ADA) == [
        ("VALIDATION", "dateOfBirth")
    ]


def test_an_end_date_before_the_current_start_date_is_refused() -> None:
    problem = only(E.PROJECT, {"end_date": date(2026, 2, 1)}, REBUILD)
    assert problem.field == "endDate"
    assert "2026-02-01" in problem.message and "2026-03-01" in problem.message
    # Moving the start past the current end blames the start.
    assert errors(E.PROJECT, {"start_date": date(2026, 10, 1)}, REBUILD) == [
        ("VALIDATION", "startDate")
    ]
    assert errors(E.PROJECT, {"end_date": date(2026, 3, 1)}, REBUILD) == []  # same day is fine


def test_a_termination_date_before_the_hire_date_is_refused() -> None:
    assert errors(E.RESOURCE, {"termination_date": date(2019, 12, 31)}, ADA) == [
        ("VALIDATION", "terminationDate")
    ]


def test_amounts_are_non_negative_with_the_columns_precision() -> None:
    assert errors(E.PROJECT, {"budget_hours": Decimal("-1")}, REBUILD) == [
        ("VALIDATION", "budgetHours")
    ]
    assert errors(E.PROJECT, {"budget_hours": Decimal("12.125")}, REBUILD) == [
        ("VALIDATION", "budgetHours")
    ]
    assert errors(E.PROJECT, {"budget_amount": Decimal("1E+15")}, REBUILD) == [
        ("VALIDATION", "budgetAmount")
    ]
    assert errors(E.PROJECT, {"bill_rate": Decimal("NaN")}, REBUILD) == [("VALIDATION", "billRate")]
    assert errors(E.PROJECT, {"budget_amount": Decimal("250000.50")}, REBUILD) == []


@pytest.mark.parametrize("site", ["acme.com", "https://www.acme.co.uk/about", "http://acme.io"])
def test_a_web_address_with_or_without_scheme_is_accepted(site: str) -> None:
    assert errors(E.CLIENT, {"website": site}, ACME) == []


@pytest.mark.parametrize("site", ["acme", "ftp://acme.com", "acme .com", "https://-acme.com"])
def test_something_that_is_not_a_web_address_is_refused(site: str) -> None:
    assert errors(E.CLIENT, {"website": site}, ACME) == [("VALIDATION", "website")]


def test_an_address_needs_line1_city_and_an_iso_country() -> None:
    good = {"line1": "1 Main St", "city": "Springfield", "postal_code": "01101", "country": "US"}
    assert errors(E.CLIENT, {"billing_address": good}, ACME) == []
    problems = validate_write(
        E.CLIENT, {"billing_address": {"line1": "1 Main St", "country": "us"}}, current=ACME
    )
    assert [p.field for p in problems] == ["billingAddress.city", "billingAddress.country"]
    assert "'US'" in problems[1].message


def test_a_cost_rate_needs_cost_currency_and_effective_date() -> None:
    problems = validate_write(
        E.RESOURCE,
        {"cost_rate": {"hourly_cost": Decimal("-3"), "currency": "USD"}},
        current=ADA,
    )
    assert [p.field for p in problems] == ["costRate.hourlyCost", "costRate.effectiveFrom"]


# -- rate card --------------------------------------------------------------------------------

CARD = RateCard(
    cost_rates=(
        CostRateInForce("Ada Lovelace", Decimal("95.00"), "USD"),
        CostRateInForce("Grace Hopper", Decimal("160.00"), "GBP"),
    )
)


def test_a_bill_rate_below_a_cost_rate_is_refused_unless_allowed() -> None:
    problems = validate_write(
        E.PROJECT, {"bill_rate": Decimal("90")}, current=REBUILD, rate_card=CARD
    )
    assert len(problems) == 1 and isinstance(problems[0], BelowCostRate)
    assert problems[0].code == "BELOW_COST_RATE" and problems[0].field == "billRate"
    assert "Ada Lovelace" in problems[0].message and "allowBelowCost" in problems[0].message
    allowed = validate_write(
        E.PROJECT,
        {"bill_rate": Decimal("90")},
        current=REBUILD,
        rate_card=CARD,
        allow_below_cost=True,
    )
    assert allowed == []


def test_a_bill_rate_equal_to_the_cost_or_in_another_currency_passes() -> None:
    # 95 USD covers the USD cost; the 160 GBP one is not compared (no FX at write time).
    assert errors(E.PROJECT, {"bill_rate": Decimal("95")}, REBUILD, rate_card=CARD) == []


def test_a_bill_rate_is_compared_in_the_currency_being_written() -> None:
    found = errors(
        E.PROJECT, {"bill_rate": Decimal("150"), "currency": "GBP"}, REBUILD, rate_card=CARD
    )
    assert found == [("BELOW_COST_RATE", "billRate")]
    # Switching the currency alone re-prices the current rate: 150 GBP < 160 GBP.
    assert errors(E.PROJECT, {"currency": "GBP"}, REBUILD, rate_card=CARD) == [
        ("BELOW_COST_RATE", "currency")
    ]


def test_a_new_cost_rate_above_the_default_bill_rate_is_refused() -> None:
    raise_cost = {
        "cost_rate": {
            "hourly_cost": Decimal("130"),
            "currency": "USD",
            "effective_from": date(2026, 1, 1),
        }
    }
    assert errors(E.RESOURCE, raise_cost, ADA) == [("BELOW_COST_RATE", "costRate.hourlyCost")]
    assert errors(E.RESOURCE, raise_cost, ADA, allow_below_cost=True) == []
    # Raising the bill rate in the same write makes it fine.
    assert errors(E.RESOURCE, {**raise_cost, "default_bill_rate": Decimal("140")}, ADA) == []


def test_a_new_bill_rate_is_checked_against_the_new_cost_rate_of_the_same_write() -> None:
    write = {
        "default_bill_rate": Decimal("110"),
        "cost_rate": {
            "hourly_cost": Decimal("115"),
            "currency": "USD",
            "effective_from": date(2026, 1, 1),
        },
    }
    problem = only(E.RESOURCE, write, ADA)
    assert problem.code == "BELOW_COST_RATE" and problem.field == "defaultBillRate"
    assert "the new cost rate" in problem.message


def test_an_assignment_allocation_is_a_share_of_the_week() -> None:
    staffed = {"project": 3, "resource": 40, "allocation": Decimal("0.5")}
    assert errors(E.ASSIGNMENT, staffed) == []
    assert errors(E.ASSIGNMENT, {**staffed, "allocation": Decimal("1.00")}) == []
    assert errors(E.ASSIGNMENT, {**staffed, "allocation": Decimal("50")}) == [
        ("VALIDATION", "allocation")
    ]
    assert errors(E.ASSIGNMENT, {**staffed, "allocation": Decimal("-0.1")}) == [
        ("VALIDATION", "allocation")
    ]
