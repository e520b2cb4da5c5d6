"""The stewards' GraphQL API: the candidate queue, merge, unmerge and candidate decisions."""

from __future__ import annotations

from typing import Any

from api_fixtures import data, gid, run
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from test_golden_store import add_source

from golden_records.models import DEFAULT_TENANT as T
from golden_records.models import Tenant
from hub.auth import Role
from hub.matching_service import match_new_records
from hub.models import AuditEntry

MERGE = """
mutation ($ids: [ID!]!, $survivor: ID!, $reason: String!) {
  mergeRecords(input: {ids: $ids, survivorId: $survivor, reason: $reason}) {
    record { id ... on Client { name legalName } crosswalks { system externalId } }
    errors { code field message }
  }
}"""

UNMERGE = """
mutation ($reason: String!) {
  unmergeSourceRecord(input: {entityType: CLIENT, reason: $reason,
                              ref: {system: "erp", externalId: "58"}}) {
    record { id crosswalks { system externalId } }
    previous { id crosswalks { system externalId } }
    errors { code field message }
  }
}"""

LOOKUPS = """
query ($id: ID!) {
  node(id: $id) { id }
  client(ref: {system: "quickbooks", externalId: "58"}) { id }
  crosswalk(entityType: CLIENT, system: "quickbooks", externalId: "58") { record { id } }
}"""

QUEUE = """
query ($filter: MatchCandidateFilter) {
  matchCandidates(filter: $filter, first: 10) {
    edges { node {
      id entityType score status
      recordA { id ... on Client { name } }
      recordB { id ... on Client { name } }
      explanation { feature left right similarity weight contribution }
    } }
    pageInfo { hasNextPage }
  }
}"""

RESOLVE = """
mutation ($id: ID!, $decision: MatchDecision!) {
  resolveMatchCandidate(input: {id: $id, decision: $decision, reason: "checked the tax IDs"}) {
    candidate { status }
    record { id }
    errors { code field message }
  }
}"""


async def _two_clients(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessions() as session, session.begin():
        a = await add_source(
            session,
            "client",
            "salesforce",
            "001A",
            {"name": "Acme Consulting", "website": "https://acme.example"},
        )
        b = await add_source(
            session,
            "client",
            "quickbooks",
            "58",
            {
                "name": "Acme Consultants",
                "website": "www.acme.example",
                "legal_name": "Acme Consultants LLC",
            },
        )
    return a, b


async def _merge(
    sessions: async_sessionmaker[AsyncSession],
    ids: list[str],
    survivor: str,
    reason: str = "same firm",
    role: Role = Role.STEWARD,
) -> dict[str, Any]:
    result = await data(
        sessions, MERGE, {"ids": ids, "survivor": survivor, "reason": reason}, role=role
    )
    payload: dict[str, Any] = result["mergeRecords"]
    return payload


async def test_merge_is_audited_and_the_merged_id_resolves_to_the_survivor(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = await _two_clients(sessions)
    payload = await _merge(sessions, [gid("Client", a), gid("Client", b)], gid("Client", a))
    assert payload["errors"] == []
    assert payload["record"]["id"] == gid("Client", a)
    assert payload["record"]["legalName"] == "Acme Consultants LLC"
    assert {c["system"] for c in payload["record"]["crosswalks"]} == {"salesforce", "quickbooks"}

    found = await data(sessions, LOOKUPS, {"id": gid("Client", b)})
    assert found["node"]["id"] == gid("Client", a)
    assert found["client"]["id"] == gid("Client", a)
    assert found["crosswalk"]["record"]["id"] == gid("Client", a)
    async with sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "merge"))
        assert entry is not None
        assert (entry.actor, entry.actor_role, entry.reason) == (
            "test-steward",
            "steward",
            "same firm",
        )
        assert entry.before is not None and str(b) in entry.before
        assert entry.after is not None and str(a) in entry.after

    undone = await data(sessions, UNMERGE, {"reason": "not the same after all"}, role=Role.STEWARD)
    payload = undone["unmergeSourceRecord"]
    assert payload["errors"] == []
    assert payload["record"]["id"] == gid("Client", b)
    assert payload["record"]["crosswalks"] == [{"system": "quickbooks", "externalId": "58"}]
    assert payload["previous"]["crosswalks"] == [{"system": "salesforce", "externalId": "001A"}]
    found = await data(sessions, LOOKUPS, {"id": gid("Client", b)})
    assert found["node"]["id"] == gid("Client", b)


async def test_merge_validation_errors(sessions: async_sessionmaker[AsyncSession]) -> None:
    a, b = await _two_clients(sessions)
    async with sessions() as session, session.begin():
        session.add(Tenant(id="other", name="Other"))
        await session.flush()
        theirs = await add_source(
            session, "client", "salesforce", "001Z", {"name": "Acme"}, tenant="other"
        )
        person = await add_source(
            session, "resource", "bamboohr", "E1", {"given_name": "Jane", "family_name": "Doe"}
        )
    ca, cb = gid("Client", a), gid("Client", b)
    cases = [
        ([ca, gid("Client", 99_999)], ca, "same", ("NOT_FOUND", "ids")),
        ([ca, gid("Client", theirs)], ca, "same", ("NOT_FOUND", "ids")),
        ([ca, gid("Resource", person)], ca, "same", ("VALIDATION", "ids")),
        ([ca, cb], gid("Client", 99_999), "same", ("VALIDATION", "survivorId")),
        ([ca, ca], ca, "same", ("VALIDATION", "ids")),
        ([ca, cb], ca, "  ", ("VALIDATION", "reason")),
        (["not-an-id", cb], cb, "same", ("INVALID_ID", "ids")),
    ]
    for ids, survivor, reason, (code, field) in cases:
        payload = await _merge(sessions, ids, survivor, reason)
        assert payload["record"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], ids
    async with sessions() as session:
        assert await session.scalar(select(AuditEntry.id)) is None  # nothing was changed


async def test_only_stewards_may_merge(sessions: async_sessionmaker[AsyncSession]) -> None:
    a, b = await _two_clients(sessions)
    for role in (Role.VIEWER, Role.APP):
        result = await run(
            sessions,
            MERGE,
            {
                "ids": [gid("Client", a), gid("Client", b)],
                "survivor": gid("Client", a),
                "reason": "x",
            },
            role=role,
        )
        assert result.errors is not None
        assert result.errors[0].extensions is not None
        assert result.errors[0].extensions["code"] == "FORBIDDEN"
    found = await data(sessions, LOOKUPS, {"id": gid("Client", b)})
    assert found["node"]["id"] == gid("Client", b)


async def test_the_queue_shows_both_records_and_a_not_a_match_stays_apart(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = await _two_clients(sessions)
    await match_new_records(sessions, T, "client")
    queue = await data(
        sessions, QUEUE, {"filter": {"entityType": "CLIENT", "minScore": 0.5}}, role=Role.STEWARD
    )
    edges = queue["matchCandidates"]["edges"]
    assert len(edges) == 1
    candidate = edges[0]["node"]
    assert candidate["status"] == "OPEN"
    assert (candidate["recordA"]["id"], candidate["recordB"]["id"]) == (
        gid("Client", a),
        gid("Client", b),
    )
    assert (candidate["recordA"]["name"], candidate["recordB"]["name"]) == (
        "Acme Consulting",
        "Acme Consultants",
    )
    domain = next(e for e in candidate["explanation"] if e["feature"] == "domain")
    assert (domain["left"], domain["right"], domain["similarity"]) == (
        "acme.example",
        "acme.example",
        1.0,
    )
    high = await data(sessions, QUEUE, {"filter": {"minScore": 0.99}}, role=Role.STEWARD)
    assert high["matchCandidates"]["edges"] == []

    decided = await data(
        sessions, RESOLVE, {"id": candidate["id"], "decision": "NOT_A_MATCH"}, role=Role.STEWARD
    )
    assert decided["resolveMatchCandidate"] == {
        "candidate": {"status": "NOT_A_MATCH"},
        "record": None,
        "errors": [],
    }
    again = await data(
        sessions, RESOLVE, {"id": candidate["id"], "decision": "MERGE"}, role=Role.STEWARD
    )
    assert again["resolveMatchCandidate"]["errors"][0]["code"] == "VALIDATION"

    # Later passes (incremental and full) neither merge nor propose the pair again.
    await match_new_records(sessions, T, "client")
    await match_new_records(sessions, T, "client", full=True)
    queue = await data(sessions, QUEUE, {}, role=Role.STEWARD)
    assert queue["matchCandidates"]["edges"] == []
    found = await data(sessions, LOOKUPS, {"id": gid("Client", b)})
    assert found["node"]["id"] == gid("Client", b)


async def test_resolving_a_candidate_as_merge_merges_into_the_older_record(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = await _two_clients(sessions)
    await match_new_records(sessions, T, "client")
    queue = await data(sessions, QUEUE, {}, role=Role.STEWARD)
    candidate_id = queue["matchCandidates"]["edges"][0]["node"]["id"]
    decided = await data(
        sessions, RESOLVE, {"id": candidate_id, "decision": "MERGE"}, role=Role.STEWARD
    )
    assert decided["resolveMatchCandidate"] == {
        "candidate": {"status": "MERGED"},
        "record": {"id": gid("Client", a)},
        "errors": [],
    }
    found = await data(sessions, LOOKUPS, {"id": gid("Client", b)})
    assert found["node"]["id"] == gid("Client", a)
    merged = await data(sessions, QUEUE, {"filter": {"status": "MERGED"}}, role=Role.STEWARD)
    assert len(merged["matchCandidates"]["edges"]) == 1
    missing = await data(
        sessions, RESOLVE, {"id": "bm90LWEtY2FuZGlkYXRl", "decision": "MERGE"}, role=Role.STEWARD
    )
    assert missing["resolveMatchCandidate"]["errors"][0]["code"] == "INVALID_ID"


UNDO = """
mutation ($candidate: ID, $ids: [ID!], $reason: String!) {
  undoNotAMatch(input: {candidateId: $candidate, ids: $ids, reason: $reason}) {
    candidate { id status resolvedBy }
    records { id }
    errors { code field message }
  }
}"""


async def _undo(
    sessions: async_sessionmaker[AsyncSession],
    *,
    candidate: str | None = None,
    ids: list[str] | None = None,
    reason: str = "the tax IDs match after all",
) -> dict[str, Any]:
    result = await data(
        sessions,
        UNDO,
        {"candidate": candidate, "ids": ids, "reason": reason},
        role=Role.STEWARD,
    )
    payload: dict[str, Any] = result["undoNotAMatch"]
    return payload


async def test_undoing_a_not_a_match_puts_the_pair_back_in_the_queue(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = await _two_clients(sessions)
    await match_new_records(sessions, T, "client")
    queue = await data(sessions, QUEUE, {}, role=Role.STEWARD)
    candidate_id = queue["matchCandidates"]["edges"][0]["node"]["id"]
    await data(
        sessions, RESOLVE, {"id": candidate_id, "decision": "NOT_A_MATCH"}, role=Role.STEWARD
    )
    skipped = await match_new_records(sessions, T, "client", full=True)
    assert (skipped[0].skipped_never_match, skipped[0].candidates) == (1, 0)

    payload = await _undo(sessions, candidate=candidate_id)
    assert payload == {
        "candidate": {"id": candidate_id, "status": "OPEN", "resolvedBy": None},
        "records": [{"id": gid("Client", a)}, {"id": gid("Client", b)}],
        "errors": [],
    }
    async with sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "forget_not_a_match")
        )
        assert entry is not None
        assert (entry.actor, entry.actor_role, entry.reason) == (
            "test-steward",
            "steward",
            "the tax IDs match after all",
        )
        assert entry.before is not None and entry.before["never_match_source_pairs"]
        assert entry.after is not None and entry.after["never_match_source_pairs"] == []

    # The next (incremental) pass scores the pair again: refreshed, not queued twice.
    again = await match_new_records(sessions, T, "client")
    assert (again[0].skipped_never_match, again[0].candidates) == (0, 1)
    queue = await data(sessions, QUEUE, {}, role=Role.STEWARD)
    assert [e["node"]["id"] for e in queue["matchCandidates"]["edges"]] == [candidate_id]
    merged = await data(
        sessions, RESOLVE, {"id": candidate_id, "decision": "MERGE"}, role=Role.STEWARD
    )
    assert merged["resolveMatchCandidate"]["record"] == {"id": gid("Client", a)}

    # Only a NOT_A_MATCH decision can be undone.
    payload = await _undo(sessions, candidate=candidate_id)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "candidateId")]


async def test_undoing_the_not_a_match_of_an_unmerge_lets_the_matcher_merge_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        a = await add_source(
            session,
            "client",
            "salesforce",
            "001A",
            {"name": "Acme Consulting", "website": "https://acme.example"},
        )
        b = await add_source(
            session, "client", "quickbooks", "58",
            {"name": "Acme Consultng", "website": "www.acme.example"},
        )  # fmt: skip
    assert (await match_new_records(sessions, T, "client"))[0].merges == [(a, b)]
    split = await data(sessions, UNMERGE, {"reason": "different firms"}, role=Role.STEWARD)
    assert split["unmergeSourceRecord"]["record"]["id"] == gid("Client", b)
    kept_apart = await match_new_records(sessions, T, "client", full=True)
    assert (kept_apart[0].merged, kept_apart[0].skipped_never_match) == (0, 1)

    payload = await _undo(sessions, ids=[gid("Client", b), gid("Client", a)])
    assert payload["errors"] == [] and payload["candidate"] is None
    assert payload["records"] == [{"id": gid("Client", b)}, {"id": gid("Client", a)}]
    assert (await match_new_records(sessions, T, "client"))[0].merges == [(a, b)]
    found = await data(sessions, LOOKUPS, {"id": gid("Client", b)})
    assert found["node"]["id"] == gid("Client", a)


async def test_undo_not_a_match_validation_errors(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = await _two_clients(sessions)
    async with sessions() as session, session.begin():
        person = await add_source(
            session, "resource", "bamboohr", "E1", {"given_name": "Jane", "family_name": "Doe"}
        )
    ca, cb = gid("Client", a), gid("Client", b)
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({}, ("VALIDATION", "candidateId")),
        ({"candidate": "x", "ids": [ca, cb]}, ("VALIDATION", "candidateId")),
        ({"candidate": "bm90LWEtY2FuZGlkYXRl"}, ("INVALID_ID", "candidateId")),
        ({"ids": [ca]}, ("VALIDATION", "ids")),
        ({"ids": [ca, ca]}, ("VALIDATION", "ids")),
        ({"ids": [ca, gid("Resource", person)]}, ("VALIDATION", "ids")),
        ({"ids": [ca, gid("Client", 99_999)]}, ("NOT_FOUND", "ids")),
        ({"ids": [ca, cb]}, ("VALIDATION", "ids")),  # never marked: nothing to undo
        ({"ids": [ca, cb], "reason": " "}, ("VALIDATION", "reason")),
    ]
    for variables, expected in cases:
        payload = await _undo(sessions, **variables)
        assert payload["candidate"] is None and payload["records"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [expected], variables
    async with sessions() as session:
        assert await session.scalar(select(AuditEntry.id)) is None  # nothing was changed
