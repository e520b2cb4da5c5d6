"""Steward types: the match-candidate queue (both records side by side, explained) and the
inputs and payloads of merge, unmerge, candidate decisions and undoing a not-a-match."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from golden_records.canonical import EntityType as EntityTypeEnum
from golden_records.errors import CrosswalkError
from golden_records.matching_models import CandidateStatus
from golden_records.matching_models import MatchCandidate as MatchCandidateRow
from hub.auth.roles import Permission
from resolvers import steward
from resolvers.context import Context
from resolvers.global_ids import MODELS
from schema.common import PageInfo, SystemRefInput, utc
from schema.enums import EntityType
from schema.mutation import MutationError
from schema.node import GoldenRecord, builder
from schema.permissions import redact_attributes, requires

MatchCandidateStatus = strawberry.enum(
    CandidateStatus,
    name="MatchCandidateStatus",
    description="OPEN waits for a steward; SUPERSEDED: one side was merged or split meanwhile.",
)


@strawberry.enum(description="A steward's decision on a match candidate.")
class MatchDecision(enum.Enum):
    MERGE = "MERGE"
    NOT_A_MATCH = "NOT_A_MATCH"


@strawberry.type(description="How one feature compared between the two records.")
class MatchFeature:
    feature: str
    left_value: strawberry.Private[Any]
    right_value: strawberry.Private[Any]

    @strawberry.field(description="Record A's value, normalised (redacted without the role).")
    def left(self, info: Info[Context, None]) -> JSON | None:
        return redact_attributes(info, {self.feature: self.left_value})[self.feature]

    @strawberry.field(description="Record B's value, normalised (redacted without the role).")
    def right(self, info: Info[Context, None]) -> JSON | None:
        return redact_attributes(info, {self.feature: self.right_value})[self.feature]

    similarity: float | None = strawberry.field(
        description="0..1; null when one side has no value (the feature did not count)."
    )
    weight: float
    contribution: float = strawberry.field(description="This feature's share of the score.")


async def _record(info: Info[Context, None], kind: str, pk: int) -> Any:
    type_name = steward.TYPE_NAME[EntityTypeEnum(kind)]
    model = MODELS[type_name]
    return await info.context.loaders.by_id(model, builder(type_name)).load(pk)


@strawberry.type(description="Two golden records that are probably the same, for a steward.")
class MatchCandidate:
    id: strawberry.ID = strawberry.field(description="Pass to `resolveMatchCandidate`.")
    entity_type: EntityType
    score: float
    status: MatchCandidateStatus  # type: ignore[valid-type]
    explanation: list[MatchFeature]
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_reason: str | None
    pk_a: strawberry.Private[int]
    pk_b: strawberry.Private[int]

    @strawberry.field(description="Record A (after merges: its survivor).")
    async def record_a(self, info: Info[Context, None]) -> GoldenRecord | None:
        found: GoldenRecord | None = await _record(info, self.entity_type.value, self.pk_a)
        return found

    @strawberry.field(description="Record B (after merges: its survivor).")
    async def record_b(self, info: Info[Context, None]) -> GoldenRecord | None:
        found: GoldenRecord | None = await _record(info, self.entity_type.value, self.pk_b)
        return found

    @classmethod
    def from_model(cls, row: MatchCandidateRow) -> MatchCandidate:
        return cls(
            id=strawberry.ID(steward.candidate_id(row.id)),
            entity_type=EntityTypeEnum(row.entity_type),
            score=row.score,
            status=CandidateStatus(row.status),
            explanation=[
                MatchFeature(
                    feature=e["feature"],
                    left_value=e.get("left"),
                    right_value=e.get("right"),
                    similarity=e.get("similarity"),
                    weight=e.get("weight", 0.0),
                    contribution=e.get("contribution", 0.0),
                )
                for e in row.explanation or []
            ],
            created_at=utc(row.created_at),
            resolved_at=utc(row.resolved_at),
            resolved_by=row.resolved_by,
            resolution_reason=row.resolution_reason,
            pk_a=row.golden_id_a,
            pk_b=row.golden_id_b,
        )


@strawberry.type
class MatchCandidateEdge:
    cursor: str
    node: MatchCandidate


@strawberry.type(description="A page of the stewards' queue, best score first.")
class MatchCandidateConnection:
    edges: list[MatchCandidateEdge]
    page_info: PageInfo


@strawberry.input(description="Which candidates to list; OPEN ones unless `status` says other.")
class MatchCandidateFilter:
    entity_type: EntityType | None = None
    min_score: float | None = None
    status: MatchCandidateStatus | None = None  # type: ignore[valid-type]


@strawberry.input(description="Merge golden records of one type into the survivor.")
class MergeRecordsInput:
    ids: list[strawberry.ID] = strawberry.field(description="Every record, survivor included.")
    survivor_id: strawberry.ID = strawberry.field(description="The one that keeps its ID.")
    reason: str


@strawberry.input(
    description="Split one source record back out: by `sourceRecordId`, or by `entityType` and "
    "`ref` (its system and ID there)."
)
class UnmergeSourceRecordInput:
    reason: str
    source_record_id: strawberry.ID | None = None
    entity_type: EntityType | None = None
    ref: SystemRefInput | None = None


@strawberry.input
class ResolveMatchCandidateInput:
    id: strawberry.ID
    decision: MatchDecision
    reason: str


@strawberry.input(
    description="Take back a not-a-match: by `candidateId` (a candidate decided NOT_A_MATCH) or "
    "by `ids` (the two golden records, e.g. after an unmerge)."
)
class UndoNotAMatchInput:
    reason: str
    candidate_id: strawberry.ID | None = None
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Exactly two golden records of one type."
    )


@strawberry.type
class MergeRecordsPayload:
    record: GoldenRecord | None = strawberry.field(description="The survivor, recomputed.")
    errors: list[MutationError]


@strawberry.type
class UnmergeSourceRecordPayload:
    record: GoldenRecord | None = strawberry.field(
        description="The golden record the source record now forms (the ID it had before a "
        "merge, when it came in through one)."
    )
    previous: GoldenRecord | None = strawberry.field(
        description="The golden record it was split from, recomputed without it."
    )
    errors: list[MutationError]


@strawberry.type
class ResolveMatchCandidatePayload:
    candidate: MatchCandidate | None
    record: GoldenRecord | None = strawberry.field(description="For MERGE: the survivor.")
    errors: list[MutationError]


@strawberry.type
class UndoNotAMatchPayload:
    candidate: MatchCandidate | None = strawberry.field(
        description="The candidate of the pair, back in the queue (OPEN); null when the pair "
        "had none. Either way the next matching pass scores the pair again."
    )
    records: list[GoldenRecord] | None = strawberry.field(
        description="The two records (after merges: their survivors)."
    )
    errors: list[MutationError]


async def _golden(info: Info[Context, None], ref: steward.GoldenRef) -> Any:
    return await info.context.loaders.by_id(MODELS[ref.type_name], builder(ref.type_name)).load(
        ref.pk
    )


@strawberry.type
class StewardQuery:
    @strawberry.field(
        description="The stewards' queue of likely duplicates, best score first (steward).",
        extensions=requires(Permission.STEWARD),
    )
    async def match_candidates(
        self,
        info: Info[Context, None],
        filter: MatchCandidateFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> MatchCandidateConnection | None:
        f = filter or MatchCandidateFilter()
        page = await steward.match_candidates(
            info.context,
            entity_type=f.entity_type,
            min_score=f.min_score,
            status=None if f.status is None else CandidateStatus(f.status),
            first=first,
            after=after,
        )
        return MatchCandidateConnection(
            edges=[
                MatchCandidateEdge(cursor=c, node=MatchCandidate.from_model(r))
                for r, c in zip(page.rows, page.cursors, strict=True)
            ],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
        )


@strawberry.type
class StewardMutation:
    @strawberry.mutation(
        description="Merge golden records into the survivor; the others' IDs keep resolving to "
        "it (steward). Undo with `unmergeSourceRecord`.",
        extensions=requires(Permission.STEWARD),
    )
    async def merge_records(
        self, info: Info[Context, None], input: MergeRecordsInput
    ) -> MergeRecordsPayload | None:
        try:
            ref = await steward.merge_records(
                info.context, [str(i) for i in input.ids], str(input.survivor_id), input.reason
            )
        except CrosswalkError as error:
            return MergeRecordsPayload(record=None, errors=[MutationError.from_error(error)])
        return MergeRecordsPayload(record=await _golden(info, ref), errors=[])

    @strawberry.mutation(
        description="Split one source record back out into a golden record of its own and "
        "recompute both (steward). The pair is not proposed again.",
        extensions=requires(Permission.STEWARD),
    )
    async def unmerge_source_record(
        self, info: Info[Context, None], input: UnmergeSourceRecordInput
    ) -> UnmergeSourceRecordPayload | None:
        try:
            previous, record = await steward.unmerge_source_record(
                info.context,
                source_record_id=None
                if input.source_record_id is None
                else str(input.source_record_id),
                entity_type=None
                if input.entity_type is None
                else EntityTypeEnum(input.entity_type),
                system=None if input.ref is None else input.ref.system,
                external_id=None if input.ref is None else input.ref.external_id,
                reason=input.reason,
            )
        except CrosswalkError as error:
            return UnmergeSourceRecordPayload(
                record=None, previous=None, errors=[MutationError.from_error(error)]
            )
        return UnmergeSourceRecordPayload(
            record=await _golden(info, record), previous=await _golden(info, previous), errors=[]
        )

    @strawberry.mutation(
        description="Decide a match candidate: MERGE (the older record survives) or "
        "NOT_A_MATCH (never proposed again) (steward).",
        extensions=requires(Permission.STEWARD),
    )
    async def resolve_match_candidate(
        self, info: Info[Context, None], input: ResolveMatchCandidateInput
    ) -> ResolveMatchCandidatePayload | None:
        try:
            row, ref = await steward.resolve_match_candidate(
                info.context, str(input.id), input.decision.value, input.reason
            )
        except CrosswalkError as error:
            return ResolveMatchCandidatePayload(
                candidate=None, record=None, errors=[MutationError.from_error(error)]
            )
        return ResolveMatchCandidatePayload(
            candidate=MatchCandidate.from_model(row),
            record=None if ref is None else await _golden(info, ref),
            errors=[],
        )

    @strawberry.mutation(
        description="Undo a not-a-match (from `resolveMatchCandidate` or an unmerge): the pair "
        "may be proposed, or merged, again (steward).",
        extensions=requires(Permission.STEWARD),
    )
    async def undo_not_a_match(
        self, info: Info[Context, None], input: UndoNotAMatchInput
    ) -> UndoNotAMatchPayload | None:
        try:
            row, refs = await steward.undo_not_a_match(
                info.context,
                candidate=None if input.candidate_id is None else str(input.candidate_id),
                ids=None if input.ids is None else [str(i) for i in input.ids],
                reason=input.reason,
            )
        except CrosswalkError as error:
            return UndoNotAMatchPayload(
                candidate=None, records=None, errors=[MutationError.from_error(error)]
            )
        return UndoNotAMatchPayload(
            candidate=None if row is None else MatchCandidate.from_model(row),
            records=[await _golden(info, ref) for ref in refs],
            errors=[],
        )
