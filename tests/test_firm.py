"""The synthetic firm: deterministic, internally consistent, and realistic enough to test on."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from itertools import pairwise
from typing import Any

import pytest

from connectors.sandbox.firm import YEAR_END, YEAR_START, effective_bill_rate, generate_firm
from golden_records.canonical import (
    ApprovalState,
    BillingType,
    ClientStatus,
    EmploymentType,
    Firm,
    InvoiceStatus,
    ProjectStatus,
    ResourceStatus,
)


@cache
def firm(seed: int = 3, scale: float = 0.1) -> Firm:
    return generate_firm(seed=seed, scale=scale)


def test_same_seed_gives_the_same_firm() -> None:
    assert generate_firm(seed=3, scale=0.1) == firm()


def test_different_seeds_give_different_firms() -> None:
    assert [c.name for c in firm(4).clients] != [c.name for c in firm().clients]


def test_scale_grows_every_list() -> None:
    small, large = firm(3, 0.05), firm(3, 0.2)
    for attr in (
        "clients",
        "projects",
        "resources",
        "assignments",
        "time_entries",
        "invoices",
        "payments",
        "cost_rates",
    ):
        assert len(getattr(large, attr)) > len(getattr(small, attr)), attr


def test_scale_one_has_the_size_of_a_real_firm() -> None:
    f = generate_firm()
    assert len(f.clients) == 300
    assert len(f.projects) == 700
    assert len(f.resources) == 250
    # Roughly one entry per person per working day.
    assert 40_000 < len(f.time_entries) < 90_000


def test_keys_are_unique_and_every_reference_resolves() -> None:
    f = firm()
    lists: dict[str, list[Any]] = {
        "clients": f.clients,
        "projects": f.projects,
        "resources": f.resources,
        "assignments": f.assignments,
        "time_entries": f.time_entries,
        "invoices": f.invoices,
        "payments": f.payments,
        "cost_rates": f.cost_rates,
    }
    keys = {name: {e.key for e in items} for name, items in lists.items()}
    for name, items in lists.items():
        assert len(keys[name]) == len(items), f"duplicate keys in {name}"
    clients, projects, people = keys["clients"], keys["projects"], keys["resources"]
    assert all(c.parent is None or c.parent in clients for c in f.clients)
    assert all(c.account_owner is None or c.account_owner in people for c in f.clients)
    assert all(p.client in clients for p in f.projects)
    assert all(p.project_manager is None or p.project_manager in people for p in f.projects)
    assert all(r.manager is None or r.manager in people for r in f.resources)
    assert all(a.project in projects and a.resource in people for a in f.assignments)
    assert all(t.project in projects and t.resource in people for t in f.time_entries)
    assert all(i.client in clients and i.project in projects for i in f.invoices)
    assert all(p.invoice in keys["invoices"] for p in f.payments)
    assert all(c.resource in people for c in f.cost_rates)


def test_org_chart_and_client_hierarchy_are_trees() -> None:
    f = firm()
    managers: dict[str, str | None] = {r.key: r.manager for r in f.resources}
    assert sum(1 for m in managers.values() if m is None) == 1  # one root
    parents: dict[str, str | None] = {c.key: c.parent for c in f.clients}
    for links in (managers, parents):
        for start in links:
            seen: set[str] = set()
            node: str | None = start
            while node is not None:
                assert node not in seen, f"cycle through {node}"
                seen.add(node)
                node = links[node]
    children = sum(1 for p in parents.values() if p)
    assert 0.05 * len(f.clients) <= children <= 0.15 * len(f.clients)


def test_every_status_and_type_is_present() -> None:
    f = firm()
    assert {p.status for p in f.projects} == set(ProjectStatus)
    assert {p.billing_type for p in f.projects} == set(BillingType)
    assert {c.status for c in f.clients} == set(ClientStatus)
    assert {r.status for r in f.resources} == set(ResourceStatus)
    assert {r.employment_type for r in f.resources} == set(EmploymentType)
    assert {i.status for i in f.invoices} == set(InvoiceStatus)
    assert {t.approval_state for t in f.time_entries} == set(ApprovalState)
    assert len({c.currency for c in f.clients}) >= 3


def test_clients_look_like_companies() -> None:
    f = firm()
    assert len({c.name for c in f.clients}) == len(f.clients)
    suffixes = (
        "Inc.",
        "LLC",
        "Corp.",
        "Co.",
        "Ltd",
        "Ltd.",
        "PLC",
        "LLP",
        "GmbH",
        "AG",
        "KG",
        "SAS",
        "SA",
        "SARL",
        "B.V.",
        "N.V.",
    )
    assert all(
        c.legal_name.startswith(c.name) and c.legal_name.endswith(suffixes) for c in f.clients
    )
    assert all(c.website is None or c.website.startswith("https://") for c in f.clients)
    tax_ids = [c.tax_id for c in f.clients if c.tax_id]
    assert len(set(tax_ids)) == len(tax_ids)
    # Each subsidiary is named after its parent.
    names = {c.key: c.name for c in f.clients}
    assert all(c.name.startswith(names[c.parent]) for c in f.clients if c.parent)


def test_project_codes_name_the_client_and_year() -> None:
    f = firm()
    assert len({p.code for p in f.projects}) == len(f.projects)
    for p in f.projects:
        prefix, year, seq = p.code.rsplit("-", 2)
        assert prefix.isalnum() and prefix.isupper()
        assert int(year) == p.start_date.year and len(seq) == 3


def test_people_have_unique_identities() -> None:
    f = firm()
    assert len({r.email for r in f.resources}) == len(f.resources)
    ids = [r.national_id for r in f.resources if r.national_id]
    assert len(set(ids)) == len(ids)
    for r in f.resources:
        assert (r.termination_date is not None) == (r.status is ResourceStatus.TERMINATED)
        assert r.date_of_birth is None or r.date_of_birth < r.hire_date


def test_cost_rates_are_contiguous_without_overlap_and_change_mid_month() -> None:
    f = firm()
    by_person = defaultdict(list)
    for rate in f.cost_rates:
        by_person[rate.resource].append(rate)
    people = {r.key: r for r in f.resources}
    assert set(by_person) == set(people)
    mid_month_changes = 0
    for key, rates in by_person.items():
        rates.sort(key=lambda r: r.effective_from)
        assert 1 <= len(rates) <= 3
        assert rates[0].effective_from == people[key].hire_date
        for before, after in pairwise(rates):
            assert before.effective_to == after.effective_from - timedelta(days=1)
            assert YEAR_START <= after.effective_from <= YEAR_END
            mid_month_changes += after.effective_from.day != 1
        assert rates[-1].effective_to == people[key].termination_date
        assert all(r.currency == people[key].currency for r in rates)
    assert mid_month_changes >= 1


def test_time_is_logged_inside_assignments_and_bills_by_billing_type() -> None:
    f = firm()
    projects = {p.key: p for p in f.projects}
    windows = {
        (a.project, a.resource): (a.start_date, a.end_date or date.max) for a in f.assignments
    }
    per_day: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for t in f.time_entries:
        start, end = windows[t.project, t.resource]
        assert start <= t.date <= end and YEAR_START <= t.date <= YEAR_END
        assert t.date.weekday() < 5
        assert Decimal(0) < t.hours <= Decimal(12)
        if projects[t.project].billing_type is BillingType.NON_BILLABLE:
            assert not t.billable
        per_day[t.resource, t.date] += t.hours
    assert max(per_day.values()) <= 10
    assert not any(projects[t.project].status is ProjectStatus.PROPOSED for t in f.time_entries)


def test_invoices_match_currencies_time_and_payments() -> None:
    f = firm()
    clients = {c.key: c for c in f.clients}
    projects = {p.key: p for p in f.projects}
    people = {r.key: r for r in f.resources}
    assignments = {(a.project, a.resource): a for a in f.assignments}
    billed: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for t in f.time_entries:
        project = projects[t.project]
        if (
            t.billable
            and t.approval_state is ApprovalState.APPROVED
            and project.billing_type is BillingType.TIME_AND_MATERIALS
        ):
            rate = effective_bill_rate(
                project, people[t.resource], assignments[t.project, t.resource]
            )
            billed[t.project, t.date.month] += t.hours * (rate or 0)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for payment in f.payments:
        paid[payment.invoice or ""] += payment.amount
    invoices = {i.key: i for i in f.invoices}
    assert all(p.currency == invoices[p.invoice or ""].currency for p in f.payments)
    assert all(p.client == invoices[p.invoice or ""].client for p in f.payments)
    fixed_fee: dict[str, Decimal] = defaultdict(Decimal)
    time_and_materials = 0
    for invoice in f.invoices:
        project = projects[invoice.project or ""]
        assert invoice.client == project.client
        assert invoice.currency == clients[invoice.client].currency == project.currency
        assert invoice.due_date >= invoice.issue_date
        if invoice.status is InvoiceStatus.VOID:
            assert invoice.balance == 0 and paid[invoice.key] == 0
            continue
        assert invoice.total_amount - paid[invoice.key] == invoice.balance
        assert (invoice.balance == 0) == (invoice.status is InvoiceStatus.PAID)
        if project.billing_type is BillingType.TIME_AND_MATERIALS:
            expected = billed[project.key, invoice.issue_date.month].quantize(Decimal("0.01"))
            assert invoice.total_amount == expected
            time_and_materials += 1
        else:
            assert project.billing_type is BillingType.FIXED_FEE
            fixed_fee[project.key] += invoice.total_amount
    assert time_and_materials and fixed_fee
    for key, total in fixed_fee.items():
        assert total <= (projects[key].budget_amount or 0)
    overdue = [
        i
        for i in f.invoices
        if i.balance > 0 and i.due_date < YEAR_END and i.status is not InvoiceStatus.DRAFT
    ]
    assert overdue


@pytest.mark.parametrize("scale", [0.0, -1.0])
def test_scale_must_be_positive(scale: float) -> None:
    with pytest.raises(ValueError):
        generate_firm(scale=scale)
