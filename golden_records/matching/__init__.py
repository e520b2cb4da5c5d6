"""Matching: which source records describe the same client, project or person, and why."""

from golden_records.matching.blocking import blocking_keys
from golden_records.matching.clustering import Clustering, cluster, find_pairs, score_pair
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
    "blocking_keys",
    "cluster",
    "find_pairs",
    "score_pair",
]
