"""Incremental matching in the store: new or changed golden records against indexed blocking keys.

A pass looks only at golden records changed since the last pass (a bookmark per tenant and
entity type), stores their blocking keys, and compares each with the golden records that share
a key, found through the `blocking_keys` index in SQL. Pairs above the auto-merge threshold are
merged (actor "system:matcher", audited); pairs between review and auto-merge become match
candidates for stewards; pairs a steward called not-a-match are skipped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records import golden_store as store
from golden_records.canonical import EntityType
from golden_records.matching import DEFAULT_CONFIG, Decision, MatchingConfig, blocking_keys
from golden_records.matching.config import MATCHABLE
from golden_records.matching.prepare import preparer
from golden_records.matching.scoring import ScoredPair, Scorer
from golden_records.matching_models import (
    BlockingKey,
    CandidateStatus,
    MatchBookmark,
    MatchCandidate,
    NeverMatch,
)
from golden_records.models import ClientRecord, GoldenRecord
from golden_records.survivorship import DEFAULT_SURVIVORSHIP, SurvivorshipConfig
from hub import audit
from hub.tenants import TenantConfig

MATCHER = "system:matcher"
SYSTEM_ROLE = "SYSTEM"
CHUNK = 200  # golden records per transaction
# A record is compared with at most this many others: those sharing the most keys first, so a
# huge block (a common surname) cannot make one new record cost thousands of comparisons.
MAX_CANDIDATES = 100
_PLACEHOLDERS = {"(unnamed)", ""}


@dataclass(slots=True)
class MatchRunResult:
    entity_type: str
    examined: int = 0  # golden records looked at in this pass
    comparisons: int = 0  # pairs scored
    merged: int = 0
    candidates: int = 0  # match candidates queued or refreshed
    skipped_never_match: int = 0
    merges: list[tuple[int, int]] = field(default_factory=list)  # (survivor, loser)
    seconds: float = 0.0  # wall time of this entity type's pass


def audit_change(
    session: AsyncSession,
    tenant_id: str,
    change: store.Change,
    *,
    actor_role: str,
    request_id: str | None = None,
) -> None:
    """Put a golden-store change in the audit log, in the caller's transaction."""
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=change.actor,
        actor_role=actor_role,
        action=change.action,
        entity_type=change.entity_type,
        entity_id=change.entity_id,
        reason=change.reason,
        before=change.before,
        after=change.after,
        request_id=request_id,
        only_changes=False,
    )


def _text(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip() in _PLACEHOLDERS else value


def canonical(
    entity_type: EntityType | str, row: GoldenRecord, client_names: Mapping[int, str]
) -> dict[str, Any]:
    """The attributes matching reads, from a golden record's columns."""
    kind = EntityType(entity_type)
    names: tuple[str, ...]
    if kind is EntityType.CLIENT:
        names = ("name", "legal_name", "website", "domain", "tax_id", "billing_address")
    elif kind is EntityType.PROJECT:
        names = ("name", "code", "start_date")
    else:
        names = (
            "given_name",
            "family_name",
            "email",
            "phone",
            "date_of_birth",
            "national_id",
            "home_address",
        )
    record = {name: _text(getattr(row, name)) for name in names}
    if kind is EntityType.PROJECT:
        client_id = getattr(row, "client_id", None)
        record["client"] = _text(client_names.get(client_id)) if client_id else None
    record["id"] = row.id
    return record


async def _client_names(session: AsyncSession, rows: Sequence[GoldenRecord]) -> dict[int, str]:
    ids = {getattr(r, "client_id", None) for r in rows} - {None}
    if not ids:
        return {}
    found = await session.execute(
        select(ClientRecord.id, ClientRecord.name).where(ClientRecord.id.in_(ids))
    )
    return {i: name for i, name in found}


async def _store_keys(
    session: AsyncSession, tenant_id: str, kind: str, keys: Mapping[int, set[str]]
) -> None:
    await session.execute(
        delete(BlockingKey).where(
            BlockingKey.tenant_id == tenant_id,
            BlockingKey.entity_type == kind,
            BlockingKey.golden_id.in_(list(keys)),
        )
    )
    rows = [
        {"tenant_id": tenant_id, "entity_type": kind, "key": key[:200], "golden_id": golden_id}
        for golden_id, record_keys in keys.items()
        for key in sorted(record_keys)
    ]
    if rows:
        await session.execute(insert(BlockingKey), rows)


async def _neighbours(
    session: AsyncSession, tenant_id: str, kind: str, golden_id: int, keys: set[str]
) -> list[int]:
    """Live golden records sharing at least one blocking key, most shared keys first."""
    if not keys:
        return []
    model = store.model_for(kind)
    shared = func.count(BlockingKey.id)
    found = await session.scalars(
        select(BlockingKey.golden_id)
        .join(model, model.id == BlockingKey.golden_id)
        .where(
            BlockingKey.tenant_id == tenant_id,
            BlockingKey.entity_type == kind,
            BlockingKey.key.in_(sorted(keys)),
            BlockingKey.golden_id != golden_id,
            model.merged_into_id.is_(None),
        )
        .group_by(BlockingKey.golden_id)
        .order_by(shared.desc(), BlockingKey.golden_id)
        .limit(MAX_CANDIDATES)
    )
    return list(found)


def _explanation(pair: ScoredPair) -> list[dict[str, Any]]:
    # JSON-safe (addresses stay objects, dates become ISO text) for the JSON column and the API.
    rows: list[dict[str, Any]] = json.loads(
        json.dumps([asdict(e) for e in pair.explanation], default=str)
    )
    return rows


async def _queue(
    session: AsyncSession, tenant_id: str, kind: str, a: int, b: int, pair: ScoredPair
) -> bool:
    """Queue (or refresh) a candidate; False when stewards already decided this pair."""
    lo, hi = min(a, b), max(a, b)
    existing = list(
        await session.scalars(
            select(MatchCandidate).where(
                MatchCandidate.tenant_id == tenant_id,
                MatchCandidate.entity_type == kind,
                MatchCandidate.golden_id_a == lo,
                MatchCandidate.golden_id_b == hi,
                MatchCandidate.status.in_(
                    [CandidateStatus.OPEN.value, CandidateStatus.NOT_A_MATCH.value]
                ),
            )
        )
    )
    if any(c.status == CandidateStatus.NOT_A_MATCH.value for c in existing):
        return False
    if existing:
        existing[0].score, existing[0].explanation = pair.score, _explanation(pair)
        return True
    session.add(
        MatchCandidate(
            tenant_id=tenant_id,
            entity_type=kind,
            golden_id_a=lo,
            golden_id_b=hi,
            score=pair.score,
            explanation=_explanation(pair),
            status=CandidateStatus.OPEN.value,
            created_at=datetime.now(UTC),
        )
    )
    return True


async def _match_chunk(
    session: AsyncSession,
    tenant_id: str,
    kind: str,
    ids: Sequence[int],
    config: MatchingConfig,
    survivorship: SurvivorshipConfig,
    result: MatchRunResult,
    seen: set[tuple[int, int]],
) -> None:
    model = store.model_for(kind)
    rows = list(
        await session.scalars(
            select(model).where(model.id.in_(ids), model.merged_into_id.is_(None))
        )
    )
    names = await _client_names(session, rows)
    records = {r.id: canonical(kind, r, names) for r in rows}
    keys = {i: blocking_keys(kind, rec) for i, rec in records.items()}
    await _store_keys(session, tenant_id, kind, keys)
    prepare = preparer(kind)
    scorer = Scorer(kind, config.for_entity(kind))
    # Most tenants have few not-a-match decisions: skip the per-pair lookup when there are none.
    any_never_match = (
        await session.scalar(
            select(NeverMatch.id)
            .where(NeverMatch.tenant_id == tenant_id, NeverMatch.entity_type == kind)
            .limit(1)
        )
        is not None
    )
    for golden_id in [r.id for r in rows]:
        me = await session.get(model, golden_id)
        if me is None or me.merged_into_id is not None:
            continue  # merged into an earlier record of this chunk
        result.examined += 1
        neighbour_ids = await _neighbours(session, tenant_id, kind, golden_id, keys[golden_id])
        others = [
            o
            for o in await session.scalars(select(model).where(model.id.in_(neighbour_ids)))
            if (min(o.id, golden_id), max(o.id, golden_id)) not in seen
        ]
        if not others:
            continue
        others_names = await _client_names(session, [me, *others])
        mine = prepare(canonical(kind, me, others_names))
        for other in sorted(others, key=lambda o: o.id):
            seen.add((min(other.id, golden_id), max(other.id, golden_id)))
            result.comparisons += 1
            pair = scorer.explain(mine, prepare(canonical(kind, other, others_names)))
            if pair.decision is Decision.NONE:
                continue
            if any_never_match and await store.never_matched(
                session, tenant_id, kind, golden_id, other.id
            ):
                result.skipped_never_match += 1
                continue
            if pair.decision is Decision.MERGE:
                # The older record survives, so the ID most clients already hold stays primary.
                survivor, loser = min(golden_id, other.id), max(golden_id, other.id)
                change = await store.merge(
                    session,
                    kind,
                    survivor,
                    [loser],
                    tenant_id=tenant_id,
                    actor=MATCHER,
                    reason=f"auto-merge, score {pair.score:.2f}: {pair.explain()}"[:2000],
                    config=survivorship,
                )
                audit_change(session, tenant_id, change, actor_role=SYSTEM_ROLE)
                result.merged += 1
                result.merges.append((survivor, loser))
                # The survivor's values may have changed: its keys must find its new neighbours.
                kept = await session.get(model, survivor)
                if kept is not None:
                    kept_names = await _client_names(session, [kept])
                    keys[survivor] = blocking_keys(kind, canonical(kind, kept, kept_names))
                    await _store_keys(session, tenant_id, kind, {survivor: keys[survivor]})
                if loser == golden_id:
                    break  # this record is gone; its survivor is compared on the next pass
            elif await _queue(session, tenant_id, kind, golden_id, other.id, pair):
                result.candidates += 1


async def match_new_records(
    sessions: async_sessionmaker[AsyncSession],
    tenant_id: str,
    entity_type: EntityType | str | None = None,
    *,
    config: MatchingConfig = DEFAULT_CONFIG,
    survivorship: SurvivorshipConfig = DEFAULT_SURVIVORSHIP,
    full: bool = False,
) -> list[MatchRunResult]:
    """One matching pass over golden records changed since the last pass (or all, `full`)."""
    kinds = [EntityType(entity_type)] if entity_type is not None else list(MATCHABLE)
    results = []
    for entity in kinds:
        kind = str(entity)
        model = store.model_for(kind)
        result = MatchRunResult(kind)
        started = datetime.now(UTC)
        clock = time.perf_counter()
        async with sessions() as session:
            bookmark = await session.get(MatchBookmark, (tenant_id, kind))
            since = None if full or bookmark is None else bookmark.updated_at
            query = select(model.id).where(
                model.tenant_id == tenant_id, model.merged_into_id.is_(None)
            )
            if since is not None:
                query = query.where(model.updated_at >= since)
            ids = list(await session.scalars(query.order_by(model.id)))
        seen: set[tuple[int, int]] = set()
        for start in range(0, len(ids), CHUNK):
            async with sessions() as session, session.begin():
                await _match_chunk(
                    session,
                    tenant_id,
                    kind,
                    ids[start : start + CHUNK],
                    config,
                    survivorship,
                    result,
                    seen,
                )
        async with sessions() as session, session.begin():
            bookmark = await session.get(MatchBookmark, (tenant_id, kind))
            if bookmark is None:
                session.add(
                    MatchBookmark(tenant_id=tenant_id, entity_type=kind, updated_at=started)
                )
            else:
                bookmark.updated_at = started
        result.seconds = time.perf_counter() - clock
        results.append(result)
    return results


async def match_tenant(
    sessions: async_sessionmaker[AsyncSession],
    tenant: TenantConfig,
    entity_type: EntityType | str | None = None,
    *,
    full: bool = False,
) -> list[MatchRunResult]:
    """`match_new_records` with the tenant file's thresholds and survivorship rules."""
    return await match_new_records(
        sessions,
        tenant.id,
        entity_type,
        config=tenant.matching_config(),
        survivorship=tenant.survivorship_config(),
        full=full,
    )
