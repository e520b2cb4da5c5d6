"""Guarded values stay guarded when they appear as data: audit before/after, match explanations."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.matching_models import MatchCandidate
from golden_records.models import ResourceRecord
from hub import audit
from hub.auth import Role
from schema.permissions import REDACTED
from tests.api_fixtures import TENANT, data

Sessions = async_sessionmaker[AsyncSession]


async def _resources(sessions: Sessions) -> tuple[int, int]:
    async with sessions() as session, session.begin():
        people = [
            ResourceRecord(
                tenant_id=TENANT,
                given_name="Ana",
                family_name="Silva",
                employment_type="EMPLOYEE",
                status="ACTIVE",
                currency="USD",
                skills=[],
            )
            for _ in range(2)
        ]
        session.add_all(people)
        await session.flush()
        audit.record(
            session,
            tenant_id=TENANT,
            actor="system:matcher",
            actor_role="system",
            action="golden.merge",
            entity_type="resource",
            entity_id=people[0].id,
            before={"date_of_birth": "1990-02-03", "title": "Analyst"},
            after={"date_of_birth": "1990-03-02", "title": "Senior Analyst"},
        )
        session.add(
            MatchCandidate(
                tenant_id=TENANT,
                entity_type="resource",
                golden_id_a=people[0].id,
                golden_id_b=people[1].id,
                score=0.7,
                explanation=[
                    {
                        "feature": "national_id",
                        "left": "123456789",
                        "right": "123456789",
                        "similarity": 1.0,
                        "weight": 4.0,
                        "contribution": 0.5,
                    },
                    {
                        "feature": "email",
                        "left": "ana@firm.com",
                        "right": "ana@firm.com",
                        "similarity": 1.0,
                        "weight": 2.0,
                        "contribution": 0.2,
                    },
                ],
            )
        )
    return people[0].id, people[1].id


AUDIT = "{ auditLog { edges { node { action before after } } } }"
CANDIDATES = "{ matchCandidates { edges { node { explanation { feature left right } } } } }"


async def test_a_steward_sees_audit_changes_but_not_a_date_of_birth(sessions: Sessions) -> None:
    await _resources(sessions)
    steward = await data(sessions, AUDIT, role=Role.STEWARD)
    (entry,) = [
        e["node"] for e in steward["auditLog"]["edges"] if e["node"]["action"] == "golden.merge"
    ]
    assert entry["before"] == {"date_of_birth": REDACTED, "title": "Analyst"}
    assert entry["after"]["title"] == "Senior Analyst"

    admin = await data(sessions, AUDIT, role=Role.ADMIN)
    (entry,) = [
        e["node"] for e in admin["auditLog"]["edges"] if e["node"]["action"] == "golden.merge"
    ]
    assert entry["before"]["date_of_birth"] == "1990-02-03"


async def test_a_steward_sees_why_two_people_match_but_not_their_national_id(
    sessions: Sessions,
) -> None:
    await _resources(sessions)
    steward = await data(sessions, CANDIDATES, role=Role.STEWARD)
    features = {
        f["feature"]: f for f in steward["matchCandidates"]["edges"][0]["node"]["explanation"]
    }
    assert features["national_id"]["left"] == REDACTED
    assert features["national_id"]["right"] == REDACTED
    assert features["email"]["left"] == "ana@firm.com"

    admin = await data(sessions, CANDIDATES, role=Role.ADMIN)
    explanation = admin["matchCandidates"]["edges"][0]["node"]["explanation"]
    assert {f["feature"]: f["left"] for f in explanation}["national_id"] == "123456789"
