"""Clustering: auto-merge pairs joined transitively (union-find); review pairs become candidates."""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from golden_records.canonical import EntityType
from golden_records.matching.blocking import candidate_pairs
from golden_records.matching.config import DEFAULT_CONFIG, MatchingConfig
from golden_records.matching.prepare import preparer
from golden_records.matching.scoring import Decision, ScoredPair, Scorer

Progress = Callable[[str, int], None]


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:  # path compression keeps later finds O(1)-ish
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            # The smaller index becomes the root, so cluster ids follow input order.
            self.parent[max(ri, rj)] = min(ri, rj)


@dataclass(slots=True)
class Clustering:
    """Every input record's cluster, plus the pairs that decided it and the review queue."""

    cluster_of: dict[Any, Any]  # record id → cluster id (the id of the cluster's first record)
    merges: list[ScoredPair] = field(default_factory=list)
    candidates: list[ScoredPair] = field(default_factory=list)

    @property
    def clusters(self) -> list[list[Any]]:
        """Clusters in input order, each listing its record ids in input order."""
        groups: dict[Any, list[Any]] = {}
        for record_id, cluster_id in self.cluster_of.items():
            groups.setdefault(cluster_id, []).append(record_id)
        return list(groups.values())


def _pair_key(a: Hashable, b: Hashable) -> frozenset[Hashable]:
    return frozenset((a, b))


def score_pair(
    entity_type: EntityType | str,
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    config: MatchingConfig = DEFAULT_CONFIG,
) -> ScoredPair:
    """Score and explain two canonical records (e.g. for a steward's side-by-side view)."""
    prepare = preparer(entity_type)
    return Scorer(entity_type, config.for_entity(entity_type)).explain(prepare(a), prepare(b))


def find_pairs(
    entity_type: EntityType | str,
    records: Sequence[Mapping[str, Any]],
    config: MatchingConfig = DEFAULT_CONFIG,
    *,
    never_match: Iterable[tuple[Any, Any]] = (),
    include_non_matches: bool = False,
    progress: Progress | None = None,
) -> Iterator[ScoredPair]:
    """Scored pairs of records that share a block, best evidence explained.

    Pairs below the review threshold are skipped unless `include_non_matches`; pairs a
    steward marked not-a-match (`never_match`, ids in either order) are never yielded.
    `progress`, if given, is called as ("prepared", n) and ("compared", n) as work is done.
    """
    entity_config = config.for_entity(entity_type)
    prepare = preparer(entity_type)
    prepared = [prepare(r) for r in records]
    if progress is not None:
        progress("prepared", len(prepared))
    scorer = Scorer(entity_type, entity_config)
    excluded: Collection[frozenset[Hashable]] = {_pair_key(a, b) for a, b in never_match}
    review = entity_config.review
    score = scorer.score
    scored = 0
    for i, j in candidate_pairs(entity_type, prepared, entity_config):
        a, b = prepared[i], prepared[j]
        scored += 1
        if progress is not None and scored % 10_000 == 0:
            progress("compared", 10_000)
        if excluded and _pair_key(a["id"], b["id"]) in excluded:
            continue
        if include_non_matches or score(a, b, review) >= review:
            yield scorer.explain(a, b)


def cluster(
    entity_type: EntityType | str,
    records: Sequence[Mapping[str, Any]],
    config: MatchingConfig = DEFAULT_CONFIG,
    *,
    never_match: Iterable[tuple[Any, Any]] = (),
    progress: Progress | None = None,
) -> Clustering:
    """Group records into clusters of the same real-world entity."""
    ids = [r["id"] for r in records]
    position = {record_id: i for i, record_id in enumerate(ids)}
    if len(position) != len(ids):
        raise ValueError("record ids must be unique")
    forest = _UnionFind(len(ids))
    result = Clustering(cluster_of={})
    for pair in find_pairs(
        entity_type, records, config, never_match=never_match, progress=progress
    ):
        if pair.decision is Decision.MERGE:
            forest.union(position[pair.id_a], position[pair.id_b])
            result.merges.append(pair)
        elif pair.decision is Decision.REVIEW:
            result.candidates.append(pair)
    result.cluster_of = {record_id: ids[forest.find(i)] for i, record_id in enumerate(ids)}
    # A review pair whose records ended up in one cluster anyway needs no steward.
    result.candidates = [
        p for p in result.candidates if result.cluster_of[p.id_a] != result.cluster_of[p.id_b]
    ]
    return result
