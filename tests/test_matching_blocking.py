"""Blocking: likely duplicates share a block; unrelated records are never compared."""

from __future__ import annotations

from typing import Any

from golden_records.matching import DEFAULT_CONFIG, EntityMatchConfig, blocking_keys
from golden_records.matching.blocking import candidate_pairs
from golden_records.matching.prepare import preparer


def proposed(entity: str, records: list[dict[str, Any]], config: EntityMatchConfig | None = None
             ) -> set[tuple[str, str]]:  # fmt: skip
    prepared = [preparer(entity)(r) for r in records]
    pairs = candidate_pairs(entity, prepared, config or DEFAULT_CONFIG.for_entity(entity))
    return {(prepared[i]["id"], prepared[j]["id"]) for i, j in pairs}


def test_misspelt_nicknamed_and_transposed_people_share_a_block() -> None:
    people = [
        {"id": "a", "given_name": "William", "family_name": "Thompson"},
        {"id": "b", "given_name": "Bill", "family_name": "Thomson"},
        {"id": "c", "given_name": "Thompson", "family_name": "William"},
        {"id": "d", "given_name": "Aisha", "family_name": "Khan"},
    ]
    pairs = proposed("resource", people)
    assert {("a", "b"), ("a", "c")} <= pairs
    assert not any("d" in pair for pair in pairs)


def test_people_with_different_names_meet_through_their_national_id() -> None:
    people = [
        {"id": "a", "given_name": "Maria", "family_name": "Lopez", "national_id": "123-45-6789"},
        {"id": "b", "given_name": "Maria", "family_name": "Garcia", "national_id": "123456789"},
    ]
    assert proposed("resource", people) == {("a", "b")}


def test_clients_meet_through_a_misspelt_name_domain_or_tax_id() -> None:
    clients = [
        {"id": "a", "name": "Kelly Hotels Inc"},
        {"id": "b", "name": "Kellly Hotells"},
        {"id": "c", "name": "KH Holdings", "website": "https://kellyhotels.com"},
        {"id": "d", "name": "Hotel Group", "domain": "kellyhotels.com"},
        {"id": "e", "name": "Zenith Tech", "tax_id": "99-123"},
        {"id": "f", "name": "ZT Ltd", "tax_id": "99123"},
    ]
    pairs = proposed("client", clients)
    assert {("a", "b"), ("c", "d"), ("e", "f")} <= pairs
    assert ("a", "e") not in pairs


def test_an_oversized_block_is_compared_through_a_window_not_all_pairs() -> None:
    config = EntityMatchConfig(weights={"name": 1.0}, max_block_size=10, window=3)
    people = [
        {"id": str(i), "given_name": "John", "family_name": "Smith", "date_of_birth": None}
        for i in range(100)
    ]
    pairs = proposed("resource", people, config)
    assert len(pairs) <= 100 * 3
    assert len(pairs) >= 99  # every record still meets its neighbours


def test_blocking_keys_of_one_record_are_what_an_index_needs() -> None:
    a = blocking_keys("resource", {"id": "x", "given_name": "Bill", "family_name": "Smith",
                                   "email": "bill.smith@acme.com"})  # fmt: skip
    b = blocking_keys("resource", {"id": "y", "given_name": "William", "family_name": "Smyth"})
    c = blocking_keys("resource", {"id": "z", "given_name": "Aisha", "family_name": "Khan"})
    assert a & b
    assert not a & c
