"""The stewards' operations: the match-candidate queue, merge, unmerge, candidate decisions
and undoing a not-a-match.

Each mutation validates its input first (IDs, entity types, the survivor), then changes the
store and writes its audit entry in one transaction (`Context.writing`), always within the
caller's tenant: another tenant's IDs are simply not found. Golden records are recomputed with
the tenant's survivorship rules (its file, `ctx.tenant`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from golden_records import golden_store as store
from golden_records.canonical import EntityType
from golden_records.errors import InvalidCursor, InvalidId, NotFound, ValidationFailed
from golden_records.matching.config import MATCHABLE
from golden_records.matching_models import CandidateStatus, MatchCandidate
from golden_records.models import SourceRecord
from golden_records.systems import get_system
from hub.matching_service import audit_change
from resolvers.admin import principal
from resolvers.global_ids import ENTITY_TYPE_NAMES, MODELS, decode_global_id, encode_global_id
from resolvers.pagination import page_size

if TYPE_CHECKING:
    from resolvers.context import Context

CANDIDATE_TYPE = "MatchCandidate"
MAX_REASON = 2000
TYPE_NAME = ENTITY_TYPE_NAMES


@dataclass(frozen=True, slots=True)
class CandidatePage:
    rows: list[MatchCandidate]
    cursors: list[str]
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class GoldenRef:
    """A golden record as a mutation's result: its type name and primary key."""

    type_name: str
    pk: int


def candidate_id(pk: int) -> str:
    return base64.b64encode(f"{CANDIDATE_TYPE}:{pk}".encode()).decode()


def decode_candidate_id(value: str, *, field: str = "id") -> int:
    try:
        kind, _, pk = base64.b64decode(value.encode(), validate=True).decode().partition(":")
        if kind == CANDIDATE_TYPE and int(pk) > 0:
            return int(pk)
    except (binascii.Error, UnicodeError, ValueError):
        pass
    raise InvalidId(f"{value!r} is not a match candidate ID.", field=field)


def _cursor(row: MatchCandidate) -> str:
    return base64.b64encode(json.dumps([row.score, row.id]).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        score, pk = json.loads(base64.b64decode(cursor.encode(), validate=True))
        return float(score), int(pk)
    except (binascii.Error, UnicodeError, ValueError, TypeError):
        raise InvalidCursor(f"{cursor!r} is not a cursor of this list.", field="after") from None


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationFailed("Say why: stewards' changes need a reason.", field="reason")
    if len(text) > MAX_REASON:
        raise ValidationFailed(
            f"The reason is longer than {MAX_REASON} characters.", field="reason"
        )
    return text


async def match_candidates(
    ctx: Context,
    *,
    entity_type: EntityType | None,
    min_score: float | None,
    status: CandidateStatus | None,
    first: int | None,
    after: str | None,
) -> CandidatePage:
    """The queue, best score first (then oldest), OPEN candidates unless said otherwise."""
    size = page_size(first, ctx.settings)
    stmt = select(MatchCandidate).where(
        MatchCandidate.tenant_id == ctx.tenant_id,
        MatchCandidate.status == (status or CandidateStatus.OPEN).value,
    )
    if entity_type is not None:
        stmt = stmt.where(MatchCandidate.entity_type == entity_type.value)
    if min_score is not None:
        stmt = stmt.where(MatchCandidate.score >= min_score)
    if after is not None:
        score, pk = _decode_cursor(after)
        stmt = stmt.where(
            (MatchCandidate.score < score)
            | ((MatchCandidate.score == score) & (MatchCandidate.id > pk))
        )
    stmt = stmt.order_by(MatchCandidate.score.desc(), MatchCandidate.id).limit(size + 1)
    rows = [r[0] for r in await ctx.execute(stmt)]
    page = rows[:size]
    return CandidatePage(page, [_cursor(r) for r in page], len(rows) > size)


def _golden_ids(ids: Sequence[str], field: str) -> tuple[str, list[int]]:
    """The one type name and the primary keys of `ids`; VALIDATION when the types differ."""
    decoded = [decode_global_id(str(i), field=field) for i in ids]
    types = {t for t, _ in decoded}
    if len(types) > 1:
        raise ValidationFailed(
            f"All records of a merge must be of one type, not {', '.join(sorted(types))}.",
            field=field,
        )
    type_name = decoded[0][0]
    if MODELS[type_name].entity_type not in MATCHABLE:
        raise ValidationFailed(f"{type_name} records are not merged by stewards.", field=field)
    return type_name, [pk for _, pk in decoded]


async def merge_records(
    ctx: Context, ids: Sequence[str], survivor_id: str, reason: str
) -> GoldenRef:
    caller = principal(ctx)
    why = _reason(reason)
    if not ids:
        raise ValidationFailed("Name the records to merge.", field="ids")
    type_name, pks = _golden_ids(ids, "ids")
    survivor_type, survivor_pk = decode_global_id(str(survivor_id), field="survivorId")
    if survivor_type != type_name or survivor_pk not in pks:
        raise ValidationFailed("The survivor must be one of `ids`.", field="survivorId")
    if len(set(pks)) < 2:
        raise ValidationFailed("A record cannot be merged with itself.", field="ids")
    kind = MODELS[type_name].entity_type
    async with ctx.writing() as session:
        # IDs lost to earlier merges stand for their survivors.
        try:
            rows = [await store.resolve(session, ctx.tenant_id, kind, pk) for pk in pks]
        except NotFound as error:
            raise NotFound(error.message, field="ids") from None
        survivor = await store.resolve(session, ctx.tenant_id, kind, survivor_pk)
        losers = list(dict.fromkeys(r.id for r in rows if r.id != survivor.id))
        if not losers:
            raise ValidationFailed("These records are already one record.", field="ids")
        change = await store.merge(
            session,
            kind,
            survivor.id,
            losers,
            tenant_id=ctx.tenant_id,
            actor=caller.subject,
            reason=why,
            config=ctx.tenant.survivorship_config(),
        )
        audit_change(
            session, ctx.tenant_id, change, actor_role=caller.role.value, request_id=ctx.request_id
        )
    return GoldenRef(type_name, survivor.id)


async def _source_record(
    ctx: Context,
    source_record_id: str | None,
    entity_type: EntityType | None,
    system: str | None,
    external_id: str | None,
) -> SourceRecord:
    by_ref = (entity_type, system, external_id)
    if (source_record_id is None) == all(v is None for v in by_ref):
        raise ValidationFailed(
            "Give either `sourceRecordId` or all of `entityType`, `system` and `externalId`.",
            field="sourceRecordId",
        )
    if source_record_id is not None:
        try:
            pk = int(source_record_id)
        except ValueError:
            raise InvalidId(
                f"{source_record_id!r} is not a source record ID.", field="sourceRecordId"
            ) from None
        found = await ctx.session.get(SourceRecord, pk)
    else:
        if entity_type is None or system is None or external_id is None:
            raise ValidationFailed(
                "Give `entityType`, `system` and `externalId` together.", field="externalId"
            )
        found = await ctx.session.scalar(
            select(SourceRecord).where(
                SourceRecord.tenant_id == ctx.tenant_id,
                SourceRecord.entity_type == entity_type.value,
                SourceRecord.system == get_system(system).name,
                SourceRecord.external_id == external_id,
            )
        )
    if found is None or found.tenant_id != ctx.tenant_id:
        raise NotFound("No such source record.", field="sourceRecordId")
    return found


async def unmerge_source_record(
    ctx: Context,
    *,
    source_record_id: str | None,
    entity_type: EntityType | None,
    system: str | None,
    external_id: str | None,
    reason: str,
) -> tuple[GoldenRef, GoldenRef]:
    """Split the source record out; (the golden record it left, the one it now forms)."""
    caller = principal(ctx)
    why = _reason(reason)
    async with ctx.writing() as session:
        source = await _source_record(ctx, source_record_id, entity_type, system, external_id)
        kind = EntityType(source.entity_type)
        if kind not in MATCHABLE:
            raise ValidationFailed(
                f"{kind.value} records are not merged by stewards.", field="entityType"
            )
        left = source.golden_id
        change = await store.unmerge(
            session,
            kind,
            source.id,
            tenant_id=ctx.tenant_id,
            actor=caller.subject,
            reason=why,
            config=ctx.tenant.survivorship_config(),
        )
        audit_change(
            session, ctx.tenant_id, change, actor_role=caller.role.value, request_id=ctx.request_id
        )
    return GoldenRef(TYPE_NAME[kind], left), GoldenRef(TYPE_NAME[kind], change.entity_id)


async def resolve_match_candidate(
    ctx: Context, candidate: str, decision: str, reason: str
) -> tuple[MatchCandidate, GoldenRef | None]:
    """MERGE (the older record survives) or NOT_A_MATCH; the candidate and, for MERGE, the
    surviving record."""
    caller = principal(ctx)
    why = _reason(reason)
    pk = decode_candidate_id(candidate)
    async with ctx.writing() as session:
        row = await session.get(MatchCandidate, pk)
        if row is None or row.tenant_id != ctx.tenant_id:
            raise NotFound("No such match candidate.", field="id")
        if row.status != CandidateStatus.OPEN.value:
            raise ValidationFailed(
                f"This candidate was already resolved ({row.status}).", field="id"
            )
        kind = EntityType(row.entity_type)
        a = await store.resolve(session, ctx.tenant_id, kind, row.golden_id_a)
        b = await store.resolve(session, ctx.tenant_id, kind, row.golden_id_b)
        result: GoldenRef | None = None
        if decision == "MERGE":
            if a.id == b.id:
                raise ValidationFailed("These records are already one record.", field="id")
            survivor, loser = min(a.id, b.id), max(a.id, b.id)
            change = await store.merge(
                session,
                kind,
                survivor,
                [loser],
                tenant_id=ctx.tenant_id,
                actor=caller.subject,
                reason=why,
                config=ctx.tenant.survivorship_config(),
            )
            row.status = CandidateStatus.MERGED.value
            result = GoldenRef(TYPE_NAME[kind], survivor)
        else:
            change = await store.mark_not_a_match(
                session, kind, a.id, b.id, tenant_id=ctx.tenant_id, actor=caller.subject, reason=why
            )
            row.status = CandidateStatus.NOT_A_MATCH.value
        row.resolved_at, row.resolved_by, row.resolution_reason = (
            datetime.now(UTC),
            caller.subject,
            why,
        )
        audit_change(
            session, ctx.tenant_id, change, actor_role=caller.role.value, request_id=ctx.request_id
        )
        await session.flush()
    return row, result


async def undo_not_a_match(
    ctx: Context, *, candidate: str | None, ids: Sequence[str] | None, reason: str
) -> tuple[MatchCandidate | None, list[GoldenRef]]:
    """Take back a not-a-match, named by the candidate decided NOT_A_MATCH or by the two golden
    records (e.g. after an unmerge); (the candidate, reopened, if any; the two records)."""
    caller = principal(ctx)
    why = _reason(reason)
    if (candidate is None) == (ids is None):
        raise ValidationFailed("Give one of `candidateId` and `ids`.", field="candidateId")
    candidate_pk: int | None = None
    if candidate is not None:
        candidate_pk = decode_candidate_id(candidate, field="candidateId")
    else:
        assert ids is not None
        if len(ids) != 2:
            raise ValidationFailed("Name exactly two records.", field="ids")
        type_name, pks = _golden_ids(ids, "ids")
        if pks[0] == pks[1]:
            raise ValidationFailed("A record cannot be compared with itself.", field="ids")
    async with ctx.writing() as session:
        if candidate_pk is not None:
            row = await session.get(MatchCandidate, candidate_pk)
            if row is None or row.tenant_id != ctx.tenant_id:
                raise NotFound("No such match candidate.", field="candidateId")
            if row.status != CandidateStatus.NOT_A_MATCH.value:
                raise ValidationFailed(
                    f"This candidate was not decided NOT_A_MATCH ({row.status}).",
                    field="candidateId",
                )
            kind = EntityType(row.entity_type)
            pks = [row.golden_id_a, row.golden_id_b]
        else:
            kind = MODELS[type_name].entity_type
        try:
            change = await store.forget_not_a_match(
                session,
                kind,
                pks[0],
                pks[1],
                tenant_id=ctx.tenant_id,
                actor=caller.subject,
                reason=why,
                candidate_id=candidate_pk,
            )
        except NotFound as error:
            raise NotFound(error.message, field="ids") from None
        audit_change(
            session, ctx.tenant_id, change, actor_role=caller.role.value, request_id=ctx.request_id
        )
        reopened_ids = change.after["reopened_candidates"]
        reopened = (
            await session.get(MatchCandidate, candidate_pk or reopened_ids[0])
            if (candidate_pk or reopened_ids)
            else None
        )
        pair = [GoldenRef(TYPE_NAME[kind], pk) for pk in change.after["ids"]]
    return reopened, pair


def golden_global_id(ref: GoldenRef) -> str:
    return encode_global_id(ref.type_name, ref.pk)
