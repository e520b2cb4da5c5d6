"""Scoring a pair of prepared records: weighted features, a score 0..1, and its explanation."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from golden_records.canonical import EntityType
from golden_records.matching import comparators as c
from golden_records.matching.config import EntityMatchConfig
from golden_records.matching.prepare import Prepared


class Decision(enum.StrEnum):
    MERGE = "merge"  # at or above the auto-merge threshold
    REVIEW = "review"  # between review and auto-merge: a match candidate for stewards
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FeatureExplanation:
    feature: str
    left: Any
    right: Any
    similarity: float | None  # None: one side lacks the value, so it did not count
    weight: float
    contribution: float  # this feature's share of the final score


@dataclass(frozen=True, slots=True)
class ScoredPair:
    id_a: Any
    id_b: Any
    score: float
    decision: Decision
    explanation: tuple[FeatureExplanation, ...]

    def explain(self) -> str:
        """One line for people: "name 0.95x3.0; email -; ..."."""
        return "; ".join(
            f"{e.feature} {'-' if e.similarity is None else f'{e.similarity:.2f}'}"
            f" ({e.left!s} | {e.right!s})"
            for e in self.explanation
        )


@dataclass(frozen=True, slots=True)
class Feature:
    name: str
    compare: Callable[[Prepared, Prepared], float | None]
    show: Callable[[Prepared], Any]


def _email_text(p: Prepared) -> str | None:
    mail = p["email"]
    return None if mail is None else f"{mail[0]}@{mail[1]}"


def _person_text(p: Prepared) -> str:
    return f"{p['given']} {p['family']}".strip()


FEATURES: dict[str, tuple[Feature, ...]] = {
    "client": (
        Feature("name", lambda a, b: c.company_names(a["names"], b["names"]),
                lambda p: " / ".join(p["names"]) or None),
        Feature("domain", lambda a, b: c.exact(a["domain"], b["domain"]), lambda p: p["domain"]),
        Feature("tax_id", lambda a, b: c.identifier(a["tax_id"], b["tax_id"]),
                lambda p: p["tax_id"]),
        Feature("billing_address",
                lambda a, b: c.addresses(a["billing_address"], b["billing_address"]),
                lambda p: p["billing_address"]),
    ),
    "project": (
        Feature("client", lambda a, b: c.company_names(
            [a["client"]] if a["client"] else [], [b["client"]] if b["client"] else []),
            lambda p: p["client"]),
        Feature("name", lambda a, b: c.text(a["name"], b["name"]), lambda p: p["name"]),
        Feature("code", lambda a, b: c.exact(a["code"], b["code"]), lambda p: p["code"]),
        Feature("start_date", lambda a, b: c.date_proximity(a["start_date"], b["start_date"]),
                lambda p: p["start_date"]),
    ),
    "resource": (
        Feature("name", lambda a, b: c.person_names(a["given"], a["family"],
                                                    b["given"], b["family"]), _person_text),
        Feature("email", lambda a, b: c.emails(a["email"], b["email"]), _email_text),
        Feature("national_id", lambda a, b: c.identifier(a["national_id"], b["national_id"]),
                lambda p: p["national_id"]),
        Feature("date_of_birth", lambda a, b: c.dates(a["date_of_birth"], b["date_of_birth"]),
                lambda p: p["date_of_birth"]),
        Feature("phone", lambda a, b: c.phones(a["phone"], b["phone"]), lambda p: p["phone"]),
        Feature("home_address", lambda a, b: c.addresses(a["home_address"], b["home_address"]),
                lambda p: p["home_address"]),
    ),
}  # fmt: skip


class Scorer:
    """Scores pairs of one entity type's prepared records under one configuration."""

    def __init__(self, entity_type: EntityType | str, config: EntityMatchConfig) -> None:
        key = EntityType(entity_type).value
        self.config = config
        self.features = tuple(
            (f, config.weights[f.name]) for f in FEATURES[key] if config.weights.get(f.name)
        )
        # Heaviest evidence first, so that hopeless pairs are abandoned early.
        self._by_weight = sorted(self.features, key=lambda fw: -fw[1])
        self._weight_total = sum(w for _, w in self.features)

    def score(self, a: Prepared, b: Prepared, cutoff: float = 0.0) -> float:
        """The score alone, for the hot loop.

        With a `cutoff`, stops as soon as the remaining features (all present and equal, at
        best) could no longer lift the score to it, and returns some value below `cutoff`.
        """
        total = weight_sum = 0.0
        remaining = self._weight_total
        min_evidence = self.config.min_evidence
        for feature, weight in self._by_weight:
            remaining -= weight
            s = feature.compare(a, b)
            if s is not None:
                total += s * weight
                weight_sum += weight
            possible = weight_sum + remaining
            if cutoff and (total + remaining) < cutoff * max(possible, min_evidence):
                return 0.0
        return total / max(weight_sum, min_evidence) if weight_sum else 0.0

    def decide(self, score: float) -> Decision:
        if score >= self.config.auto_merge:
            return Decision.MERGE
        if score >= self.config.review:
            return Decision.REVIEW
        return Decision.NONE

    def explain(self, a: Prepared, b: Prepared) -> ScoredPair:
        """The score with one explanation line per feature (missing features included)."""
        sims = [(f, w, f.compare(a, b)) for f, w in self.features]
        weight_sum = sum(w for _, w, s in sims if s is not None)
        denominator = max(weight_sum, self.config.min_evidence) if weight_sum else 1.0
        explanation = tuple(
            FeatureExplanation(
                feature=f.name,
                left=f.show(a),
                right=f.show(b),
                similarity=None if s is None else round(s, 4),
                weight=w,
                contribution=0.0 if s is None else round(s * w / denominator, 4),
            )
            for f, w, s in sims
        )
        score = sum(s * w for _, w, s in sims if s is not None) / denominator
        return ScoredPair(a["id"], b["id"], round(score, 4), self.decide(score), explanation)
