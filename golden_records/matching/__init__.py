"""Matching: which source records describe the same client, project or person, and why."""

from golden_records.matching.clustering import Clustering, cluster, find_pairs
from golden_records.matching.config import DEFAULT_CONFIG, EntityMatchConfig, MatchingConfig
from golden_records.matching.prepare import FIELDS
from golden_records.matching.scoring import Decision, FeatureExplanation, ScoredPair, Scorer

__all__ = [
    "DEFAULT_CONFIG",
    "FIELDS",
    "Clustering",
    "Decision",
    "EntityMatchConfig",
    "FeatureExplanation",
    "MatchingConfig",
    "ScoredPair",
    "Scorer",
    "cluster",
    "find_pairs",
]
