"""Scoring and clustering: which records become one, which go to review, and why."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest
from pydantic import ValidationError

from golden_records.matching import (
    DEFAULT_CONFIG,
    Decision,
    EntityMatchConfig,
    MatchingConfig,
    Scorer,
    cluster,
    find_pairs,
    score_pair,
)
from golden_records.matching.prepare import prepare_resource


def person(id: str, given: str, family: str, **more: Any) -> dict[str, Any]:
    return {"id": id, "given_name": given, "family_name": family, **more}


def pair_of(entity: str, a: dict[str, Any], b: dict[str, Any], **kw: Any) -> Any:
    pairs = list(find_pairs(entity, [a, b], include_non_matches=True, **kw))
    assert len(pairs) == 1, "the two records should share a block"
    return pairs[0]


def test_nickname_and_transposed_names_with_the_same_birth_date_merge() -> None:
    records = [
        person("hris-1", "William", "Smith", date_of_birth="1980-01-02", email="w.smith@acme.com"),
        person("psa-7", "Bill", "Smith", date_of_birth="1980-01-02"),
        person("pay-3", "Smith", "William", email="w.smith@acme.com"),
    ]
    result = cluster("resource", records)
    assert result.clusters == [["hris-1", "psa-7", "pay-3"]]


def test_a_personal_email_is_no_evidence_against_a_work_email() -> None:
    work = person("1", "Jane", "Doe", email="jane.doe@acme.com", national_id="123-45-6789")
    personal = person("2", "Jane", "Doe", email="jdoe1985@gmail.com", national_id="123456789")
    pair = pair_of("resource", work, personal)
    email = next(e for e in pair.explanation if e.feature == "email")
    assert email.similarity is None and email.contribution == 0
    assert pair.decision is Decision.MERGE


def test_two_work_emails_at_one_firm_are_evidence_of_two_people() -> None:
    a = person("1", "Jane", "Doe", email="jane.doe@acme.com")
    b = person("2", "Jane", "Doe", email="john.roe@acme.com")
    pair = pair_of("resource", a, b)
    email = next(e for e in pair.explanation if e.feature == "email")
    assert email.similarity is not None and email.similarity < 0.5
    assert pair.decision is not Decision.MERGE


def test_a_shared_name_alone_is_not_enough_to_merge_people() -> None:
    pair = pair_of("resource", person("1", "John", "Smith"), person("2", "John", "Smith"))
    assert pair.decision is not Decision.MERGE


def test_different_national_ids_keep_namesakes_apart() -> None:
    a = person("1", "John", "Smith", national_id="111-22-3333", date_of_birth="1970-05-05")
    b = person("2", "John", "Smith", national_id="999-88-7777", date_of_birth="1991-03-04")
    assert cluster("resource", [a, b]).clusters == [["1"], ["2"]]


def test_the_explanation_names_every_feature_with_both_values_and_its_share() -> None:
    a = {
        "id": "sf-1",
        "name": "Acme, Inc.",
        "website": "https://www.acme.com",
        "tax_id": "12-3456789",
    }
    b = {"id": "qb-9", "name": "ACME Corporation", "domain": "acme.com", "tax_id": "123456789"}
    pair = pair_of("client", a, b)
    by_feature = {e.feature: e for e in pair.explanation}
    assert set(by_feature) == {"name", "domain", "tax_id", "billing_address"}
    assert (by_feature["name"].left, by_feature["name"].right) == ("acme", "acme")
    assert by_feature["domain"].similarity == 1.0
    assert by_feature["tax_id"].left == "123456789"
    assert by_feature["billing_address"].similarity is None
    assert by_feature["billing_address"].contribution == 0
    assert sum(e.contribution for e in pair.explanation) == pytest.approx(pair.score, abs=1e-3)
    assert pair.decision is Decision.MERGE
    assert "domain 1.00" in pair.explain()


def test_thresholds_decide_merge_review_or_nothing() -> None:
    a = {"id": "1", "name": "Northwind Traders", "domain": "northwind.com"}
    b = {"id": "2", "name": "Northwind Traders", "domain": "northwind.co.uk"}
    default = pair_of("client", a, b)
    assert 0 < default.score < 1

    def with_thresholds(auto_merge: float, review: float) -> Decision:
        client = EntityMatchConfig(
            weights={"name": 4.0, "domain": 3.0}, auto_merge=auto_merge, review=review
        )
        config = MatchingConfig(entities={"client": client})
        return pair_of("client", a, b, config=config).decision

    assert with_thresholds(default.score - 0.01, default.score - 0.02) is Decision.MERGE
    assert with_thresholds(default.score + 0.01, default.score - 0.01) is Decision.REVIEW
    assert with_thresholds(default.score + 0.02, default.score + 0.01) is Decision.NONE


def test_review_pairs_become_candidates_and_stay_in_separate_clusters() -> None:
    client = EntityMatchConfig(weights={"name": 4.0}, auto_merge=0.99, review=0.5)
    config = MatchingConfig(entities={"client": client})
    records = [
        {"id": "a", "name": "Brightstone Partners"},
        {"id": "b", "name": "Brightston Partner"},
    ]
    result = cluster("client", records, config)
    assert result.clusters == [["a"], ["b"]]
    assert [(p.id_a, p.id_b, p.decision) for p in result.candidates] == [
        ("a", "b", Decision.REVIEW)
    ]


def test_never_match_pairs_are_neither_proposed_nor_merged() -> None:
    records = [
        {"id": "sf-1", "name": "Acme Inc", "domain": "acme.com"},
        {"id": "qb-1", "name": "ACME LLC", "domain": "acme.com"},
    ]
    assert cluster("client", records).clusters == [["sf-1", "qb-1"]]
    apart = cluster("client", records, never_match=[("qb-1", "sf-1")])
    assert apart.clusters == [["sf-1"], ["qb-1"]]
    assert apart.candidates == []
    assert list(find_pairs("client", records, never_match=[("sf-1", "qb-1")])) == []


def test_merges_are_transitive() -> None:
    client = EntityMatchConfig(weights={"tax_id": 1.0, "domain": 1.0})
    config = MatchingConfig(entities={"client": client})
    records = [
        {"id": "1", "name": "Globex", "tax_id": "99-1"},
        {"id": "2", "name": "Initech", "tax_id": "991", "domain": "globex.com"},
        {"id": "3", "name": "Hooli", "website": "http://globex.com"},
        {"id": "4", "name": "Globex"},
    ]
    # 1 and 3 share nothing, but each is the same client as 2.
    assert cluster("client", records, config).cluster_of == {"1": "1", "2": "1", "3": "1", "4": "4"}


def test_projects_match_by_client_code_and_name() -> None:
    records = [
        {"id": "h-1", "client": "Acme Inc", "name": "ERP Rollout", "code": "ACM-001",
         "start_date": "2024-01-08"},
        {"id": "q-1", "client": "ACME Corporation", "name": "ERP roll-out", "code": "acm 001"},
        {"id": "h-2", "client": "Globex", "name": "ERP Rollout", "code": "GLX-001"},
    ]  # fmt: skip
    assert cluster("project", records).clusters == [["h-1", "q-1"], ["h-2"]]


def test_configuration_is_validated() -> None:
    with pytest.raises(ValidationError, match="above auto-merge"):
        EntityMatchConfig(weights={"name": 1.0}, auto_merge=0.6, review=0.8)
    with pytest.raises(ValidationError, match="negative"):
        EntityMatchConfig(weights={"name": -1.0})
    with pytest.raises(ValidationError, match="entity types"):
        MatchingConfig.model_validate({"entities": {"invoice": {"weights": {"number": 1}}}})
    # Overriding one entity type keeps the others' defaults.
    partial = MatchingConfig.model_validate(
        {"entities": {"client": {"weights": {"name": 1.0}, "auto_merge": 0.95}}}
    )
    assert partial.for_entity("client").auto_merge == 0.95
    assert partial.for_entity("resource").weights["national_id"] > 0


def test_record_ids_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        cluster("client", [{"id": "1", "name": "A"}, {"id": "1", "name": "B"}])


def test_the_fast_score_with_a_cutoff_decides_exactly_like_the_explained_score() -> None:
    people = [
        person("1", "William", "Smith", email="w.smith@acme.com", date_of_birth="1980-01-02"),
        person("2", "Bill", "Smyth", email="bsmith@gmail.com", phone="+1 415 555 0100"),
        person("3", "Smith", "William", national_id="123-45-6789", date_of_birth="1980-02-01"),
        person("4", "Jane", "Smith", national_id="123456780", phone="(415) 555-0100"),
        person("5", "Jon", "Smith", home_address="1 Main St, Springfield"),
        person("6", "John", "Smith", home_address="1 Main Street, Springfield"),
    ]
    config = DEFAULT_CONFIG.for_entity("resource")
    scorer = Scorer("resource", config)
    prepared = [prepare_resource(p) for p in people]
    for a, b in combinations(prepared, 2):
        explained = scorer.explain(a, b).score
        for cutoff in (config.review, config.auto_merge):
            fast = scorer.score(a, b, cutoff)
            assert (fast >= cutoff) == (explained >= cutoff - 1e-4), (a["id"], b["id"])


def test_score_pair_explains_two_records_side_by_side() -> None:
    pair = score_pair(
        "resource",
        person("g-1", "Liz", "Taylor", date_of_birth="1975-03-04"),
        person("g-2", "Elizabeth", "Taylor", date_of_birth="1975-04-03"),
    )
    assert (pair.id_a, pair.id_b) == ("g-1", "g-2")
    dob = next(e for e in pair.explanation if e.feature == "date_of_birth")
    assert dob.similarity is not None
    assert 0 < dob.similarity < 1  # day and month swapped: a keying error, not a match
    assert next(e for e in pair.explanation if e.feature == "name").similarity == 1.0
