"""Rendering a canonical firm into the five systems' records (connectors/sandbox/render.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from connectors.sandbox import SandboxData, SourceRef, render_firm
from connectors.sandbox._mess import strip_legal_suffix
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.render import KEYED_OBJECTS
from golden_records.canonical import (
    ClientStatus,
    EmploymentType,
    EntityType,
    Firm,
    ProjectStatus,
)

ID_FIELDS = {"salesforce": "Id", "quickbooks": "Id", "gusto": "uuid"}


@pytest.fixture(scope="module")
def firm() -> Firm:
    return generate_firm(11, 0.5)


@pytest.fixture(scope="module")
def data(firm: Firm) -> SandboxData:
    return render_firm(firm, 11)


def refs(data: SandboxData, system: str, obj: str) -> list[SourceRef]:
    key = ID_FIELDS.get(system, "id")
    return [SourceRef(system, obj, str(r[key])) for r in data.records[system][obj]]


def test_rendering_is_deterministic_per_seed(firm: Firm, data: SandboxData) -> None:
    again = render_firm(firm, 11)
    other = render_firm(firm, 12)
    assert again.records == data.records and again.answer_key == data.answer_key
    assert other.records != data.records


def test_answer_key_covers_every_record_exactly_once(data: SandboxData) -> None:
    clustered = Counter(
        (entity, ref)
        for entity, clusters in data.answer_key.items()
        for members in clusters.values()
        for ref in members
    )
    assert all(n == 1 for n in clustered.values())
    listed = {ref for _, ref in clustered}
    for (system, obj), entities in KEYED_OBJECTS.items():
        for ref in refs(data, system, obj):
            assert ref in listed, ref
            found = data.cluster_of(ref)
            assert found is not None and found[0] in entities


def test_every_canonical_client_and_person_has_a_cluster(firm: Firm, data: SandboxData) -> None:
    assert set(data.answer_key[EntityType.CLIENT]) == {c.key for c in firm.clients}
    assert set(data.answer_key[EntityType.RESOURCE]) == {r.key for r in firm.resources}


def test_ids_follow_each_systems_format(data: SandboxData) -> None:
    prefixes = {"Account": "001", "Contact": "003", "Opportunity": "006", "User": "005"}
    for obj, prefix in prefixes.items():
        ids = [r["Id"] for r in data.records["salesforce"][obj]]
        assert ids and all(len(i) == 18 and i.startswith(prefix) for i in ids)
    assert all(isinstance(r["id"], int) for r in data.records["harvest"]["clients"])
    assert all(r["Id"].isdigit() for r in data.records["quickbooks"]["Customer"])
    assert all(len(r["uuid"]) == 36 for r in data.records["gusto"]["employees"])


def names_by_system(data: SandboxData, key: str) -> dict[str, str]:
    lookup = {
        ("salesforce", "Account"): "Name",
        ("harvest", "clients"): "name",
        ("quickbooks", "Customer"): "DisplayName",
    }
    out: dict[str, str] = {}
    for ref in data.answer_key[EntityType.CLIENT][key]:
        records = data.records[ref.system][ref.object]
        field_id = ID_FIELDS.get(ref.system, "id")
        record = next(r for r in records if str(r[field_id]) == ref.external_id)
        out.setdefault(ref.system, record[lookup[(ref.system, ref.object)]])
    return out


def test_the_same_client_is_spelled_differently_across_systems(data: SandboxData) -> None:
    clusters = data.answer_key[EntityType.CLIENT]
    differing = [key for key in clusters if len(set(names_by_system(data, key).values())) > 1]
    assert len(differing) > len(clusters) // 5
    # ... and not only by the legal suffix: typos, case and abbreviations too.
    deeper = [
        key
        for key in differing
        if len({strip_legal_suffix(n).strip() for n in names_by_system(data, key).values()}) > 1
    ]
    assert deeper


def test_true_duplicates_inside_one_system(data: SandboxData) -> None:
    per_system = [
        Counter(ref.system for ref in members)
        for members in data.answer_key[EntityType.CLIENT].values()
    ]
    assert any(c["salesforce"] > 1 for c in per_system)
    assert any(c["quickbooks"] > 1 for c in per_system)


def test_records_exist_in_only_some_systems(data: SandboxData) -> None:
    systems = [
        {ref.system for ref in members} for members in data.answer_key[EntityType.CLIENT].values()
    ]
    assert any("salesforce" not in s for s in systems)
    assert any(s == {"salesforce"} for s in systems)  # prospects live only in the CRM
    people = [
        {ref.system for ref in members} for members in data.answer_key[EntityType.RESOURCE].values()
    ]
    assert any("gusto" not in s for s in people)  # contractors are not on payroll


def test_payroll_uses_personal_email_for_some(firm: Firm, data: SandboxData) -> None:
    work = {r.email for r in firm.resources}
    emails = [e["email"] for e in data.records["gusto"]["employees"]]
    personal = [e for e in emails if e not in work]
    assert personal and len(personal) < len(emails)
    assert not any(e.endswith("brightlinepartners.com") for e in personal)


def test_statuses_go_stale(firm: Firm, data: SandboxData) -> None:
    inactive = {c.key for c in firm.clients if c.status == ClientStatus.INACTIVE}
    accounts = {
        r.external_id: key
        for key, members in data.answer_key[EntityType.CLIENT].items()
        for r in members
        if r.system == "salesforce"
    }
    stale_crm = [
        a
        for a in data.records["salesforce"]["Account"]
        if accounts[a["Id"]] in inactive and a["Type"] == "Customer - Direct"
    ]
    completed = {p.key for p in firm.projects if p.status == ProjectStatus.COMPLETED}
    projects = {
        r.external_id: key
        for key, members in data.answer_key[EntityType.PROJECT].items()
        for r in members
        if r.system == "harvest"
    }
    stale_psa = [
        p
        for p in data.records["harvest"]["projects"]
        if projects[str(p["id"])] in completed and p["is_active"]
    ]
    assert stale_crm and stale_psa


def test_missing_links(firm: Firm, data: SandboxData) -> None:
    with_parent = [c for c in firm.clients if c.parent]
    assert with_parent
    accounts = data.records["salesforce"]["Account"]
    assert any(a["ParentId"] for a in accounts)
    # some hierarchies present in the firm are absent from the CRM
    linked = sum(1 for a in accounts if a["ParentId"])
    assert linked < len(with_parent)
    assert any(e["supervisorEId"] is None for e in data.records["bamboohr"]["employees"])


def test_contractors_are_not_on_payroll(firm: Firm, data: SandboxData) -> None:
    contractors = {r.key for r in firm.resources if r.employment_type == EmploymentType.CONTRACTOR}
    on_payroll = {
        key
        for key, members in data.answer_key[EntityType.RESOURCE].items()
        if any(ref.system == "gusto" for ref in members)
    }
    assert contractors and not contractors & on_payroll
