"""Matching configuration: per entity type, the feature weights and the decision thresholds."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from golden_records.canonical import EntityType

MATCHABLE: tuple[EntityType, ...] = (EntityType.CLIENT, EntityType.PROJECT, EntityType.RESOURCE)


class EntityMatchConfig(BaseModel):
    """How one entity type's records are compared and what a score decides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weights: dict[str, float]
    # Both in (0, 1]: a zero threshold would merge or queue every pair that shares a key.
    auto_merge: float = Field(0.9, gt=0.0, le=1.0)
    review: float = Field(0.7, gt=0.0, le=1.0)
    # Below this much present evidence (sum of weights of features both sides have) the
    # score is scaled down, so "same name, nothing else known" never auto-merges.
    min_evidence: float = Field(0.0, ge=0.0)
    # Blocks larger than this are not compared all-pairs but through a sorted window.
    max_block_size: int = Field(60, ge=2)
    window: int = Field(12, ge=2)

    @model_validator(mode="after")
    def _check(self) -> EntityMatchConfig:
        if self.review >= self.auto_merge:
            raise ValueError(
                f"review threshold {self.review} is at or above auto-merge threshold "
                f"{self.auto_merge}; review must be the lower one"
            )
        bad = {k: v for k, v in self.weights.items() if v < 0}
        if bad:
            raise ValueError(f"feature weights must not be negative: {bad}")
        if not any(self.weights.values()):
            raise ValueError("at least one feature needs a positive weight")
        return self


def _defaults() -> dict[str, EntityMatchConfig]:
    return {
        "client": EntityMatchConfig(
            weights={"name": 4.0, "domain": 3.0, "tax_id": 4.0, "billing_address": 1.5},
            auto_merge=0.85,
            review=0.65,
            min_evidence=4.0,
        ),
        "project": EntityMatchConfig(
            weights={"client": 3.0, "name": 4.0, "code": 4.0, "start_date": 1.0},
            auto_merge=0.85,
            review=0.65,
            min_evidence=6.0,
        ),
        "resource": EntityMatchConfig(
            weights={
                "name": 3.0,
                "email": 3.0,
                "national_id": 4.0,
                "date_of_birth": 2.0,
                "phone": 2.0,
                "home_address": 1.0,
            },
            auto_merge=0.85,
            review=0.65,
            min_evidence=5.0,
        ),
    }


class MatchingConfig(BaseModel):
    """A tenant's matching configuration; every entity type has validated defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entities: dict[str, EntityMatchConfig] = Field(default_factory=_defaults)

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        # A tenant file may override one entity type and leave the others at their defaults,
        # and within one entity type only some settings (say the thresholds, not the weights).
        if isinstance(data, dict) and isinstance(data.get("entities"), dict):
            defaults = _defaults()
            merged: dict[str, Any] = dict(defaults)
            for name, override in data["entities"].items():
                default = defaults.get(str(name))
                if isinstance(override, dict) and default is not None:
                    merged[str(name)] = {**default.model_dump(), **override}
                else:
                    merged[str(name)] = override
            unknown = set(merged) - {e.value for e in MATCHABLE}
            if unknown:
                raise ValueError(
                    f"no matching for entity types: {sorted(unknown)} "
                    f"(expected: {', '.join(e.value for e in MATCHABLE)})"
                )
            data = {**data, "entities": merged}
        return data

    @classmethod
    def from_mapping(cls, data: Any) -> MatchingConfig:
        """Read the `matching` section of a tenant file: entity type -> settings, e.g.

        {"client": {"auto_merge": 0.9, "review": 0.7}}

        Settings not given keep the defaults. Raises pydantic's ValidationError, whose
        locations name the entity type and setting.
        """
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError("expected a mapping of entity type to settings")
        return cls.model_validate({"entities": data})

    def for_entity(self, entity_type: EntityType | str) -> EntityMatchConfig:
        key = EntityType(entity_type).value
        if key not in self.entities:
            raise ValueError(f"no matching configuration for entity type {key!r}")
        return self.entities[key]


DEFAULT_CONFIG = MatchingConfig()
