"""Survivorship: the golden value comes from the right source record, and lineage says which."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from golden_records.canonical import EntityType
from golden_records.errors import ConfigurationError
from golden_records.survivorship import (
    FALLBACK_RULE,
    SourceValues,
    Strategy,
    SurvivorshipConfig,
    survive,
)

OLD = datetime(2024, 1, 1, tzinfo=UTC)
NEW = datetime(2024, 6, 1, tzinfo=UTC)


def test_the_owning_system_wins_even_when_another_system_is_newer() -> None:
    crm = SourceValues("salesforce", "sr-1", {"name": "Acme", "tax_id": "11"}, OLD)
    erp = SourceValues("quickbooks", "sr-2", {"name": "ACME LLC", "tax_id": "22"}, NEW)
    result = survive(EntityType.CLIENT, [crm, erp])
    assert result.attributes["name"] == "Acme"  # CRM owns client names
    assert result.attributes["tax_id"] == "22"  # the ERP owns tax IDs
    assert result.lineage["name"].source_record_id == "sr-1"
    assert result.lineage["name"].rule == "OWNING_SYSTEM"
    assert result.lineage["tax_id"].source_record_id == "sr-2"
    assert result.lineage["tax_id"].system == "quickbooks"


def test_most_recent_decides_when_the_owner_has_no_value() -> None:
    crm = SourceValues("salesforce", "sr-1", {"legal_name": "Acme Inc"}, OLD)
    psa = SourceValues("harvest", "sr-2", {"legal_name": "Acme Incorporated"}, NEW)
    qbo = SourceValues("quickbooks", "sr-3", {"legal_name": None}, NEW)
    result = survive(EntityType.CLIENT, [crm, psa, qbo])
    assert result.attributes["legal_name"] == "Acme Incorporated"
    assert result.lineage["legal_name"].source_record_id == "sr-2"
    assert result.lineage["legal_name"].rule == "MOST_RECENT"


def test_skills_are_the_union_of_every_source_with_each_contributor_in_lineage() -> None:
    hris = SourceValues("bamboohr", "sr-1", {"skills": ["Python", "SQL"]}, NEW)
    psa = SourceValues("harvest", "sr-2", {"skills": ["sql", "Kubernetes"]}, OLD)
    pay = SourceValues("gusto", "sr-3", {"skills": []}, OLD)
    result = survive(EntityType.RESOURCE, [hris, psa, pay])
    assert result.attributes["skills"] == ["Python", "SQL", "Kubernetes"]
    assert result.lineage["skills"].rule == "UNION"
    assert result.lineage["skills"].contributors == ("sr-1", "sr-2")


def test_lineage_names_the_owner_s_newest_record_when_it_has_several() -> None:
    older = SourceValues("bamboohr", "sr-old", {"title": "Analyst"}, OLD)
    newer = SourceValues("bamboohr", "sr-new", {"title": "Senior Analyst"}, NEW)
    other = SourceValues("harvest", "sr-psa", {"title": "Consultant"}, NEW)
    result = survive("resource", [older, other, newer])
    assert result.attributes["title"] == "Senior Analyst"
    assert result.lineage["title"].source_record_id == "sr-new"


def _config(*strategies: Strategy) -> SurvivorshipConfig:
    return SurvivorshipConfig(rules={"project": {"budget_hours": strategies}})


def test_min_max_most_frequent_and_most_complete() -> None:
    sources = [
        SourceValues("harvest", "a", {"budget_hours": 120, "name": "ERP"}, OLD),
        SourceValues("quickbooks", "b", {"budget_hours": 80, "name": "ERP rollout"}, OLD),
        SourceValues("salesforce", "c", {"budget_hours": 120, "name": "ERP"}, NEW),
    ]
    assert survive("project", sources, _config(Strategy.MIN)).attributes["budget_hours"] == 80
    assert (
        survive("project", sources, _config(Strategy.MAX)).lineage["budget_hours"].source_record_id
        == "a"
    )
    frequent = survive("project", sources, _config(Strategy.MOST_FREQUENT))
    assert frequent.attributes["budget_hours"] == 120
    assert frequent.lineage["budget_hours"].source_record_id == "c"  # newest of the agreeing
    complete = SurvivorshipConfig(default=(Strategy.MOST_COMPLETE,))
    assert survive("project", sources, complete).attributes["name"] == "ERP rollout"


def test_a_tie_passes_to_the_next_strategy_and_finally_to_the_first_source() -> None:
    sources = [
        SourceValues("harvest", "a", {"budget_hours": 10}, OLD),
        SourceValues("quickbooks", "b", {"budget_hours": 20}, NEW),
    ]
    then_recent = survive("project", sources, _config(Strategy.MOST_FREQUENT, Strategy.MOST_RECENT))
    assert then_recent.lineage["budget_hours"].rule == "MOST_RECENT"
    assert then_recent.attributes["budget_hours"] == 20
    alone = survive("project", sources, _config(Strategy.MOST_FREQUENT))
    assert alone.lineage["budget_hours"].rule == FALLBACK_RULE
    assert alone.attributes["budget_hours"] == 10


def test_attributes_no_source_holds_are_left_out() -> None:
    result = survive("client", [SourceValues("salesforce", "a", {"industry": None}, None)])
    assert result.attributes == {} and result.lineage == {}


def test_a_tenant_can_hand_ownership_to_another_system() -> None:
    ownership = {EntityType.CLIENT: {"name": "quickbooks"}}
    config = SurvivorshipConfig(ownership=ownership)
    crm = SourceValues("salesforce", "sr-1", {"name": "Acme"}, NEW)
    erp = SourceValues("quickbooks", "sr-2", {"name": "ACME LLC"}, OLD)
    assert survive("client", [crm, erp], config).attributes["name"] == "ACME LLC"


def test_configuration_is_validated() -> None:
    with pytest.raises(ValueError):
        SurvivorshipConfig(rules={"client": {"name": ("NEWEST",)}})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        SurvivorshipConfig(default=())


def test_a_tenant_file_section_configures_survivorship() -> None:
    config = SurvivorshipConfig.from_mapping(
        {"default": ["MOST_RECENT"], "rules": {"client": {"industry": ["MOST_FREQUENT"]}}}
    )
    assert config.strategies("client", "name") == (Strategy.MOST_RECENT,)
    assert config.strategies("client", "industry") == (Strategy.MOST_FREQUENT,)
    assert config.strategies("resource", "skills") == (Strategy.UNION,)
    with pytest.raises(ConfigurationError, match="survivorship"):
        SurvivorshipConfig.from_mapping({"rules": {"client": {"name": ["NEWEST"]}}})
    with pytest.raises(ConfigurationError):
        SurvivorshipConfig.from_mapping({"rules": {"galaxy": {"name": ["MIN"]}}})
