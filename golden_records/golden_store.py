"""Golden records in the store: recompute from source records, merge, unmerge, not-a-match.

Every operation returns a `Change` (what, who, why, before and after) for the caller to put in
the audit log in the same transaction; this module knows nothing of the hub. Each operation has
an inverse: unmerge undoes a merge (the loser's ID comes back, with its crosswalks), and
`forget_not_a_match` undoes `mark_not_a_match`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Numeric, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from golden_records.canonical import EntityType
from golden_records.errors import NotFound, ValidationFailed
from golden_records.matching_models import (
    BlockingKey,
    CandidateStatus,
    MatchCandidate,
    NeverMatch,
    SourceOrigin,
)
from golden_records.models import GOLDEN_MODELS, Crosswalk, GoldenRecord, Lineage, SourceRecord
from golden_records.survivorship import (
    DEFAULT_SURVIVORSHIP,
    SourceValues,
    SurvivorshipConfig,
    survive,
)

REFS_KEY = "_refs"  # in SourceRecord.attributes: {column: {"entity_type", "external_id"}}
# Columns the store manages itself, never survivorship.
_BOOKKEEPING = frozenset(
    {"id", "tenant_id", "version", "created_at", "updated_at", "merged_into_id"}
)
_MAX_CHAIN = 50  # merged_into hops followed before giving up (a cycle would be a bug)


@dataclass(frozen=True, slots=True)
class Change:
    """One steward or matcher operation, as the audit log records it."""

    action: str  # merge, unmerge, not_a_match, forget_not_a_match
    entity_type: str
    entity_id: int  # the golden record the operation is about (the survivor, the split-off)
    actor: str
    reason: str | None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


def model_for(entity_type: EntityType | str) -> type[GoldenRecord]:
    return GOLDEN_MODELS[EntityType(entity_type)]


def data_columns(model: type[GoldenRecord]) -> list[str]:
    """The model's value columns (not keys, tenant, version or timestamps)."""
    return [c.name for c in model.__table__.c if c.name not in _BOOKKEEPING]


def as_column(model: type[GoldenRecord], name: str, value: Any) -> Any:
    """A JSON-safe value (ISO date, decimal string) as column `name`'s Python type."""
    column = model.__table__.c[name]
    if value is None:
        return None
    if isinstance(column.type, Date) and isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(column.type, Numeric) and not isinstance(value, Decimal):
        return Decimal(str(value))
    return value


async def load(
    session: AsyncSession, tenant_id: str, entity_type: EntityType | str, golden_id: int
) -> GoldenRecord:
    """The golden record itself (merged or not); NotFound for an unknown or another tenant's ID."""
    model = model_for(entity_type)
    row = await session.get(model, golden_id)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound(f"No {EntityType(entity_type).value} with ID {golden_id}.", field="id")
    return row


async def resolve(
    session: AsyncSession, tenant_id: str, entity_type: EntityType | str, golden_id: int
) -> GoldenRecord:
    """The live golden record an ID stands for, following merges to the survivor."""
    row = await load(session, tenant_id, entity_type, golden_id)
    for _ in range(_MAX_CHAIN):
        if row.merged_into_id is None:
            return row
        row = await load(session, tenant_id, entity_type, row.merged_into_id)
    raise ValidationFailed(f"merge chain from {golden_id} does not end", field="id")


async def live_sources(
    session: AsyncSession, tenant_id: str, entity_type: EntityType | str, golden_id: int
) -> list[SourceRecord]:
    rows = await session.scalars(
        select(SourceRecord)
        .where(
            SourceRecord.tenant_id == tenant_id,
            SourceRecord.entity_type == str(EntityType(entity_type)),
            SourceRecord.golden_id == golden_id,
            SourceRecord.deleted.is_(False),
        )
        .order_by(SourceRecord.id)
    )
    return list(rows)


async def snapshot(
    session: AsyncSession, tenant_id: str, entity_type: EntityType | str, golden_id: int
) -> dict[str, Any]:
    """A golden record's columns, crosswalks and source record IDs (for audit and for tests)."""
    row = await load(session, tenant_id, entity_type, golden_id)
    model = model_for(entity_type)
    crosswalks = await session.execute(
        select(Crosswalk.system, Crosswalk.external_id)
        .where(
            Crosswalk.tenant_id == tenant_id,
            Crosswalk.entity_type == str(EntityType(entity_type)),
            Crosswalk.golden_id == golden_id,
        )
        .order_by(Crosswalk.system, Crosswalk.external_id)
    )
    sources = await live_sources(session, tenant_id, entity_type, golden_id)
    return {
        "id": row.id,
        "merged_into_id": row.merged_into_id,
        "attributes": {c: getattr(row, c) for c in data_columns(model)},
        "crosswalks": [f"{system}:{external_id}" for system, external_id in crosswalks],
        "source_record_ids": [s.id for s in sources],
    }


async def _resolve_refs(
    session: AsyncSession, tenant_id: str, sources: Sequence[SourceRecord]
) -> dict[tuple[str, str, str], int]:
    """(entity type, system, external ID) of every reference the sources hold -> golden ID."""
    wanted = {
        (ref["entity_type"], s.system, ref["external_id"])
        for s in sources
        for ref in (s.attributes.get(REFS_KEY) or {}).values()
    }
    found: dict[tuple[str, str, str], int] = {}
    for entity_type, system, external_id in wanted:
        golden_id = await session.scalar(
            select(Crosswalk.golden_id).where(
                Crosswalk.tenant_id == tenant_id,
                Crosswalk.entity_type == entity_type,
                Crosswalk.system == system,
                Crosswalk.external_id == external_id,
            )
        )
        if golden_id is not None:
            target = await resolve(session, tenant_id, entity_type, golden_id)
            found[(entity_type, system, external_id)] = target.id
    return found


def _source_values(
    model: type[GoldenRecord],
    source: SourceRecord,
    refs: dict[tuple[str, str, str], int],
) -> SourceValues:
    columns = set(data_columns(model))
    attributes = {
        k: as_column(model, k, v)
        for k, v in source.attributes.items()
        if k in columns and v is not None
    }
    for column, ref in (source.attributes.get(REFS_KEY) or {}).items():
        target = refs.get((ref["entity_type"], source.system, ref["external_id"]))
        if column in columns and target is not None:
            attributes[column] = target
    return SourceValues(source.system, source.id, attributes, source.source_updated_at)


async def recompute(
    session: AsyncSession,
    entity_type: EntityType | str,
    golden_id: int,
    *,
    config: SurvivorshipConfig = DEFAULT_SURVIVORSHIP,
    bump_version: bool = True,
) -> bool:
    """Survivorship over the golden record's live source records: columns and lineage.

    Bumps `version` (and `updated_at`) only when a value changed, unless `bump_version` is
    false; returns whether one changed. Values the hub itself holds (lineage without a source
    record) and required columns no source fills are kept.
    """
    model = model_for(entity_type)
    row = await session.get(model, golden_id)
    if row is None:
        raise NotFound(f"No {EntityType(entity_type).value} with ID {golden_id}.", field="id")
    tenant_id, kind = row.tenant_id, str(EntityType(entity_type))
    sources = await live_sources(session, tenant_id, entity_type, golden_id)
    refs = await _resolve_refs(session, tenant_id, sources)
    result = survive(entity_type, [_source_values(model, s, refs) for s in sources], config)
    lineage = {
        entry.attribute: entry
        for entry in await session.scalars(
            select(Lineage).where(
                Lineage.tenant_id == tenant_id,
                Lineage.entity_type == kind,
                Lineage.golden_id == golden_id,
            )
        )
    }
    changed = False
    for column in data_columns(model):
        old = lineage.get(column)
        hub_held = old is not None and old.source_record_id is None
        if column in result.attributes and not hub_held:
            new_value = result.attributes[column]
        elif hub_held or not model.__table__.c[column].nullable:
            continue
        else:
            new_value = None
        if getattr(row, column) != new_value:
            setattr(row, column, new_value)
            changed = True
    now = datetime.now(UTC)
    for attribute, entry in result.lineage.items():
        old = lineage.get(attribute)
        if old is not None and old.source_record_id is None:
            continue
        if old is None:
            session.add(
                Lineage(
                    tenant_id=tenant_id,
                    entity_type=kind,
                    golden_id=golden_id,
                    attribute=attribute,
                    source_record_id=entry.source_record_id,
                    rule=entry.rule,
                    updated_at=now,
                )
            )
        elif (old.source_record_id, old.rule) != (entry.source_record_id, entry.rule):
            old.source_record_id, old.rule, old.updated_at = entry.source_record_id, entry.rule, now
    for attribute, old in lineage.items():
        if attribute not in result.lineage and old.source_record_id is not None:
            await session.delete(old)
    if changed:
        if bump_version:
            row.version += 1
        row.updated_at = now
    await session.flush()
    return changed


def _children(entity_type: EntityType | str) -> list[tuple[type[GoldenRecord], str]]:
    """(model, column) of every golden column that references this entity type's table."""
    table = model_for(entity_type).__table__
    found = []
    for model in GOLDEN_MODELS.values():
        for column in model.__table__.c:
            if any(fk.column.table is table for fk in column.foreign_keys):
                found.append((model, column.name))
    return found


async def _close_candidates(
    session: AsyncSession,
    tenant_id: str,
    kind: str,
    golden_ids: Iterable[int],
    status: str,
    actor: str,
    reason: str | None,
) -> None:
    ids = list(golden_ids)
    await session.execute(
        update(MatchCandidate)
        .where(
            MatchCandidate.tenant_id == tenant_id,
            MatchCandidate.entity_type == kind,
            MatchCandidate.status == CandidateStatus.OPEN.value,
            or_(MatchCandidate.golden_id_a.in_(ids), MatchCandidate.golden_id_b.in_(ids)),
        )
        .values(
            status=status,
            resolved_at=datetime.now(UTC),
            resolved_by=actor,
            resolution_reason=reason,
        )
    )


async def merge(
    session: AsyncSession,
    entity_type: EntityType | str,
    survivor_id: int,
    loser_ids: Sequence[int],
    *,
    tenant_id: str,
    actor: str,
    reason: str | None,
    config: SurvivorshipConfig = DEFAULT_SURVIVORSHIP,
) -> Change:
    """Fold the losers into the survivor: their source records, crosswalks and children move
    to it, their IDs keep resolving to it (`merged_into_id`), and the survivor is recomputed."""
    kind = str(EntityType(entity_type))
    model = model_for(entity_type)
    losers = list(dict.fromkeys(loser_ids))
    if not losers:
        raise ValidationFailed("Name at least one record to merge into the survivor.", field="ids")
    if survivor_id in losers:
        raise ValidationFailed("A record cannot be merged with itself.", field="ids")
    survivor = await load(session, tenant_id, entity_type, survivor_id)
    loser_rows = [await load(session, tenant_id, entity_type, i) for i in losers]
    for row in [survivor, *loser_rows]:
        if row.merged_into_id is not None:
            raise ValidationFailed(
                f"{kind} {row.id} was already merged into {row.merged_into_id}.", field="ids"
            )
    before = {
        str(i): await snapshot(session, tenant_id, entity_type, i) for i in [survivor_id, *losers]
    }
    moved = await session.scalars(
        select(SourceRecord).where(
            SourceRecord.tenant_id == tenant_id,
            SourceRecord.entity_type == kind,
            SourceRecord.golden_id.in_(losers),
        )
    )
    for source in moved:
        # Remember where each source record started, once, so unmerge can revive that ID.
        if await session.get(SourceOrigin, source.id) is None:
            session.add(
                SourceOrigin(
                    source_record_id=source.id,
                    tenant_id=tenant_id,
                    entity_type=kind,
                    golden_id=source.golden_id,
                )
            )
        source.golden_id = survivor_id
    await session.execute(
        update(Crosswalk)
        .where(
            Crosswalk.tenant_id == tenant_id,
            Crosswalk.entity_type == kind,
            Crosswalk.golden_id.in_(losers),
        )
        .values(golden_id=survivor_id)
    )
    # Earlier losers of these losers now resolve in one hop.
    await session.execute(
        update(model)
        .where(model.tenant_id == tenant_id, model.merged_into_id.in_(losers))
        .values(merged_into_id=survivor_id)
    )
    now = datetime.now(UTC)
    for row in loser_rows:
        row.merged_into_id = survivor_id
        row.version += 1
        row.updated_at = now
    for child, column in _children(entity_type):
        await session.execute(
            update(child)
            .where(child.tenant_id == tenant_id, getattr(child, column).in_(losers))
            .values({column: survivor_id})
        )
    await session.execute(
        delete(Lineage).where(
            Lineage.tenant_id == tenant_id,
            Lineage.entity_type == kind,
            Lineage.golden_id.in_(losers),
        )
    )
    await session.execute(
        delete(BlockingKey).where(
            BlockingKey.tenant_id == tenant_id,
            BlockingKey.entity_type == kind,
            BlockingKey.golden_id.in_(losers),
        )
    )
    await _close_candidates(
        session, tenant_id, kind, losers, CandidateStatus.SUPERSEDED.value, actor, reason
    )
    await session.flush()
    await recompute(session, entity_type, survivor_id, config=config)
    after = {str(survivor_id): await snapshot(session, tenant_id, entity_type, survivor_id)}
    return Change("merge", kind, survivor_id, actor, reason, before, after)


async def unmerge(
    session: AsyncSession,
    entity_type: EntityType | str,
    source_record_id: int,
    *,
    tenant_id: str,
    actor: str,
    reason: str | None,
    config: SurvivorshipConfig = DEFAULT_SURVIVORSHIP,
) -> Change:
    """Split one source record back out of its golden record and recompute both.

    If the source record came in through a merge, its original golden record (the loser's ID,
    which clients may still hold) comes back to life; otherwise it gets a new golden record.
    """
    kind = str(EntityType(entity_type))
    model = model_for(entity_type)
    source = await session.get(SourceRecord, source_record_id)
    if source is None or source.tenant_id != tenant_id or source.entity_type != kind:
        raise NotFound(
            f"No {kind} source record with ID {source_record_id}.", field="sourceRecordId"
        )
    current = await load(session, tenant_id, entity_type, source.golden_id)
    siblings = await live_sources(session, tenant_id, entity_type, current.id)
    if [s.id for s in siblings] == [source.id]:
        raise ValidationFailed(
            f"Source record {source.id} is the only one of {kind} {current.id}; nothing to split.",
            field="sourceRecordId",
        )
    before = {str(current.id): await snapshot(session, tenant_id, entity_type, current.id)}
    now = datetime.now(UTC)
    origin = await session.get(SourceOrigin, source.id)
    target: GoldenRecord | None = None
    if origin is not None and origin.golden_id != current.id:
        candidate = await session.get(model, origin.golden_id)
        if candidate is not None and candidate.merged_into_id == current.id:
            target = candidate
            target.merged_into_id = None
            target.version += 1
            target.updated_at = now
    if target is None:
        # Required columns start as the current record's; recompute replaces what the source has.
        values = {
            c: getattr(current, c) for c in data_columns(model) if not model.__table__.c[c].nullable
        }
        target = model(tenant_id=tenant_id, version=1, created_at=now, updated_at=now, **values)
        session.add(target)
        await session.flush()
    source.golden_id = target.id
    await session.execute(
        update(Crosswalk)
        .where(
            Crosswalk.tenant_id == tenant_id,
            Crosswalk.entity_type == kind,
            Crosswalk.system == source.system,
            Crosswalk.external_id == source.external_id,
        )
        .values(golden_id=target.id)
    )
    await _repoint_children(session, tenant_id, entity_type, current.id, target.id, source)
    await _close_candidates(
        session, tenant_id, kind, [current.id], CandidateStatus.SUPERSEDED.value, actor, reason
    )
    await session.execute(
        delete(BlockingKey).where(
            BlockingKey.tenant_id == tenant_id,
            BlockingKey.entity_type == kind,
            BlockingKey.golden_id == current.id,
        )
    )
    await session.flush()
    await recompute(session, entity_type, current.id, config=config)
    await recompute(session, entity_type, target.id, config=config)
    # A steward split them apart: the matcher must not fold them straight back together.
    await _never_match(
        session,
        tenant_id,
        kind,
        [source.id],
        [s.id for s in siblings if s.id != source.id],
        actor,
        reason,
    )
    after = {
        str(i): await snapshot(session, tenant_id, entity_type, i) for i in (current.id, target.id)
    }
    return Change("unmerge", kind, target.id, actor, reason, before, after)


async def _repoint_children(
    session: AsyncSession,
    tenant_id: str,
    entity_type: EntityType | str,
    old_id: int,
    new_id: int,
    moved: SourceRecord,
) -> None:
    """Children whose own source record refers to the moved source record follow it."""
    kind = str(EntityType(entity_type))
    for child, column in _children(entity_type):
        child_ids = list(
            await session.scalars(
                select(child.id).where(
                    child.tenant_id == tenant_id, getattr(child, column) == old_id
                )
            )
        )
        if not child_ids:
            continue
        follow: set[int] = set()
        for chunk_start in range(0, len(child_ids), 500):
            rows = await session.scalars(
                select(SourceRecord).where(
                    SourceRecord.tenant_id == tenant_id,
                    SourceRecord.entity_type == str(child.entity_type),
                    SourceRecord.system == moved.system,
                    SourceRecord.golden_id.in_(child_ids[chunk_start : chunk_start + 500]),
                )
            )
            for row in rows:
                ref = (row.attributes.get(REFS_KEY) or {}).get(column)
                if ref and ref["entity_type"] == kind and ref["external_id"] == moved.external_id:
                    follow.add(row.golden_id)
        if follow:
            await session.execute(
                update(child).where(child.id.in_(sorted(follow))).values({column: new_id})
            )


def _pairs(a: Iterable[int], b: Iterable[int]) -> set[tuple[int, int]]:
    return {(min(x, y), max(x, y)) for x in a for y in b if x != y}


async def never_matched(
    session: AsyncSession, tenant_id: str, entity_type: EntityType | str, a: int, b: int
) -> bool:
    """Whether a steward said any source record of golden `a` is not the same as one of `b`."""
    kind = str(EntityType(entity_type))
    sa = [s.id for s in await live_sources(session, tenant_id, kind, a)]
    sb = [s.id for s in await live_sources(session, tenant_id, kind, b)]
    if not sa or not sb:
        return False
    hit = await session.scalar(
        select(NeverMatch.id)
        .where(
            NeverMatch.tenant_id == tenant_id,
            NeverMatch.entity_type == kind,
            or_(
                NeverMatch.source_record_a.in_(sa) & NeverMatch.source_record_b.in_(sb),
                NeverMatch.source_record_a.in_(sb) & NeverMatch.source_record_b.in_(sa),
            ),
        )
        .limit(1)
    )
    return hit is not None


async def _never_match(
    session: AsyncSession,
    tenant_id: str,
    kind: str,
    sa: Sequence[int],
    sb: Sequence[int],
    actor: str,
    reason: str | None,
) -> list[tuple[int, int]]:
    """Store the not-a-match pairs between two groups of source records; the ones added."""
    existing = {
        (r.source_record_a, r.source_record_b)
        for r in await session.scalars(
            select(NeverMatch).where(
                NeverMatch.tenant_id == tenant_id,
                NeverMatch.entity_type == kind,
                NeverMatch.source_record_a.in_([*sa, *sb]),
            )
        )
    }
    added = sorted(_pairs(sa, sb) - existing)
    for x, y in added:
        session.add(
            NeverMatch(
                tenant_id=tenant_id,
                entity_type=kind,
                source_record_a=x,
                source_record_b=y,
                created_by=actor,
                reason=reason,
                created_at=datetime.now(UTC),
            )
        )
    return added


async def mark_not_a_match(
    session: AsyncSession,
    entity_type: EntityType | str,
    golden_a: int,
    golden_b: int,
    *,
    tenant_id: str,
    actor: str,
    reason: str | None,
) -> Change:
    """Record that two golden records are different things; they are never proposed again."""
    kind = str(EntityType(entity_type))
    if golden_a == golden_b:
        raise ValidationFailed("A record cannot be compared with itself.", field="ids")
    a = await resolve(session, tenant_id, entity_type, golden_a)
    b = await resolve(session, tenant_id, entity_type, golden_b)
    if a.id == b.id:
        raise ValidationFailed(f"{golden_a} and {golden_b} are already one record.", field="ids")
    sa = [s.id for s in await live_sources(session, tenant_id, kind, a.id)]
    sb = [s.id for s in await live_sources(session, tenant_id, kind, b.id)]
    added = await _never_match(session, tenant_id, kind, sa, sb, actor, reason)
    lo, hi = min(a.id, b.id), max(a.id, b.id)
    await session.execute(
        update(MatchCandidate)
        .where(
            MatchCandidate.tenant_id == tenant_id,
            MatchCandidate.entity_type == kind,
            MatchCandidate.golden_id_a == lo,
            MatchCandidate.golden_id_b == hi,
            MatchCandidate.status == CandidateStatus.OPEN.value,
        )
        .values(
            status=CandidateStatus.NOT_A_MATCH.value,
            resolved_at=datetime.now(UTC),
            resolved_by=actor,
            resolution_reason=reason,
        )
    )
    await session.flush()
    return Change(
        "not_a_match",
        kind,
        a.id,
        actor,
        reason,
        before={"ids": [a.id, b.id]},
        after={"ids": [a.id, b.id], "never_match_source_pairs": [list(p) for p in added]},
    )


async def forget_not_a_match(
    session: AsyncSession,
    entity_type: EntityType | str,
    golden_a: int,
    golden_b: int,
    *,
    tenant_id: str,
    actor: str,
    reason: str | None,
    candidate_id: int | None = None,
) -> Change:
    """Undo `mark_not_a_match` (or the not-a-match an unmerge leaves): the two records may be
    proposed as a pair again.

    The stored pairs between their source records go, the candidates decided NOT_A_MATCH for
    the pair (and `candidate_id`, whatever pair it names) reopen in the stewards' queue, and
    the next matching pass compares the two again. ValidationFailed when nothing says the two
    are different.
    """
    kind = str(EntityType(entity_type))
    a = await resolve(session, tenant_id, entity_type, golden_a)
    b = await resolve(session, tenant_id, entity_type, golden_b)
    if a.id == b.id:
        raise ValidationFailed(f"{golden_a} and {golden_b} are one record now.", field="ids")
    sa = [s.id for s in await live_sources(session, tenant_id, kind, a.id)]
    sb = [s.id for s in await live_sources(session, tenant_id, kind, b.id)]
    wanted = _pairs(sa, sb)
    stored = [
        row
        for row in await session.scalars(
            select(NeverMatch).where(
                NeverMatch.tenant_id == tenant_id,
                NeverMatch.entity_type == kind,
                NeverMatch.source_record_a.in_([*sa, *sb]),
            )
        )
        if (row.source_record_a, row.source_record_b) in wanted
    ]
    lo, hi = min(a.id, b.id), max(a.id, b.id)
    decided = list(
        await session.scalars(
            select(MatchCandidate).where(
                MatchCandidate.tenant_id == tenant_id,
                MatchCandidate.entity_type == kind,
                MatchCandidate.status == CandidateStatus.NOT_A_MATCH.value,
                or_(
                    (MatchCandidate.golden_id_a == lo) & (MatchCandidate.golden_id_b == hi),
                    MatchCandidate.id == (candidate_id or 0),
                ),
            )
        )
    )
    if not stored and not decided:
        raise ValidationFailed(
            f"{kind} {a.id} and {b.id} are not marked as not-a-match; nothing to undo.",
            field="ids",
        )
    for row in stored:
        await session.delete(row)
    for candidate in decided:
        # Back in the queue, naming the records as they are now (a side may have been merged).
        candidate.golden_id_a, candidate.golden_id_b = lo, hi
        candidate.status = CandidateStatus.OPEN.value
        candidate.resolved_at = candidate.resolved_by = candidate.resolution_reason = None
    # The incremental matcher looks at records changed since its last pass: touching both
    # (their values and version stay) lets the next pass score the pair again, or merge it.
    now = datetime.now(UTC)
    a.updated_at = b.updated_at = now
    await session.flush()
    removed = sorted([row.source_record_a, row.source_record_b] for row in stored)
    reopened = sorted(c.id for c in decided)
    return Change(
        "forget_not_a_match",
        kind,
        a.id,
        actor,
        reason,
        before={"ids": [a.id, b.id], "never_match_source_pairs": removed},
        after={
            "ids": [a.id, b.id],
            "never_match_source_pairs": [],
            "reopened_candidates": reopened,
        },
    )
