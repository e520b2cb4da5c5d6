"""Survivorship: which source record's value becomes the golden value, per attribute, and why.

Each attribute has an ordered list of strategies. A strategy either decides (picks a value and
the source record it came from) or passes to the next one, e.g. OWNING_SYSTEM passes when the
owning system holds no value. The result records lineage: per attribute, the source record and
the rule that won.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from golden_records.canonical import EntityType
from golden_records.errors import ConfigurationError
from golden_records.ownership import DEFAULT_OWNERSHIP


class Strategy(enum.StrEnum):
    OWNING_SYSTEM = "OWNING_SYSTEM"  # the system of record's value (ownership table)
    MOST_RECENT = "MOST_RECENT"  # the most recently modified source's value
    MOST_FREQUENT = "MOST_FREQUENT"  # the value most sources agree on (passes on a tie)
    MOST_COMPLETE = "MOST_COMPLETE"  # the longest text / fullest address / longest list
    MIN = "MIN"
    MAX = "MAX"
    UNION = "UNION"  # every source's list items, first spelling kept, in source order


# When every strategy passes (e.g. MOST_FREQUENT on a tie and nothing after it), the first
# source record holding a value wins, and lineage says so.
FALLBACK_RULE = "FIRST_AVAILABLE"


@dataclass(frozen=True, slots=True)
class SourceValues:
    """One source record of a golden record, as survivorship needs it."""

    system: str
    source_record_id: Any
    attributes: Mapping[str, Any]
    source_updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LineageEntry:
    attribute: str
    source_record_id: Any  # the record the value came from (for UNION: the first contributor)
    system: str
    rule: str  # a Strategy value, or FALLBACK_RULE
    contributors: tuple[Any, ...] = ()  # for UNION: every source record that added items


@dataclass(frozen=True, slots=True)
class Survivorship:
    attributes: dict[str, Any]
    lineage: dict[str, LineageEntry]


DEFAULT_STRATEGIES: tuple[Strategy, ...] = (Strategy.OWNING_SYSTEM, Strategy.MOST_RECENT)

_DEFAULT_RULES: Mapping[str, Mapping[str, tuple[Strategy, ...]]] = MappingProxyType(
    {
        EntityType.RESOURCE.value: MappingProxyType({"skills": (Strategy.UNION,)}),
    }
)


@dataclass(frozen=True, slots=True)
class SurvivorshipConfig:
    """A tenant's survivorship rules: per entity type and attribute, the strategies in order."""

    default: tuple[Strategy, ...] = DEFAULT_STRATEGIES
    rules: Mapping[str, Mapping[str, tuple[Strategy, ...]]] = field(
        default_factory=lambda: _DEFAULT_RULES
    )
    ownership: Mapping[EntityType, Mapping[str, str]] = field(
        default_factory=lambda: DEFAULT_OWNERSHIP
    )

    def __post_init__(self) -> None:
        if not self.default:
            raise ValueError("the default survivorship needs at least one strategy")
        for entity, attrs in self.rules.items():
            EntityType(entity)  # raises on an unknown entity type
            for attribute, strategies in attrs.items():
                if not strategies:
                    raise ValueError(f"{entity}.{attribute}: no survivorship strategies")
                for s in strategies:
                    Strategy(s)

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        ownership: Mapping[EntityType, Mapping[str, str]] = DEFAULT_OWNERSHIP,
        *,
        attributes: Callable[[EntityType], Collection[str]] | None = None,
        location: str = "",
    ) -> SurvivorshipConfig:
        """Read the `survivorship` section of a tenant file, e.g.

        {"default": ["OWNING_SYSTEM", "MOST_RECENT"],
         "rules": {"client": {"industry": ["most_frequent", "most_recent"]}}}

        or, as tenant files write it, without "rules": {"client": {"industry": [...]}}.
        Strategy names are case-insensitive. Rules not given keep the defaults (resource
        skills: UNION). `ownership` is the tenant's table, which OWNING_SYSTEM follows;
        `attributes`, when given, says which attributes each entity type has, so that a
        misspelt one is an error rather than a rule that never applies. Errors name the place
        (after `location`), e.g. "client.website: unknown strategy 'newest'".
        """
        if not isinstance(data, Mapping):
            raise ConfigurationError(
                f"invalid survivorship configuration: {location or 'survivorship'}: "
                "expected a mapping of entity type to attributes"
            )
        problems: list[str] = []
        default = _strategies(
            f"{location}default", data.get("default", DEFAULT_STRATEGIES), problems
        )
        rules = {e: dict(attrs) for e, attrs in _DEFAULT_RULES.items()}
        if "rules" in data:
            given, location = data["rules"] or {}, f"{location}rules."
        else:
            given = {k: v for k, v in data.items() if k != "default"}
        if not isinstance(given, Mapping):
            problems.append(
                f"{location.rstrip('.') or 'survivorship'}: "
                "expected a mapping of entity type to attributes"
            )
            given = {}
        for entity, attrs in given.items():
            try:
                entity_type = EntityType(entity)
            except ValueError:
                problems.append(
                    f"{location}{entity}: unknown entity type "
                    f"(expected one of: {', '.join(e.value for e in EntityType)})"
                )
                continue
            if not isinstance(attrs, Mapping):
                problems.append(
                    f"{location}{entity}: expected a mapping of attribute to strategies"
                )
                continue
            known = None if attributes is None else set(attributes(entity_type))
            target = rules.setdefault(entity_type.value, {})
            for attribute, strategies in attrs.items():
                where = f"{location}{entity}.{attribute}"
                if known is not None and attribute not in known:
                    problems.append(
                        f"{where}: unknown attribute of {entity} "
                        f"(known: {', '.join(sorted(known))})"
                    )
                    continue
                target[attribute] = _strategies(where, strategies, problems)
        if problems:
            raise ConfigurationError(
                "invalid survivorship configuration: " + "; ".join(problems),
                field=problems[0].partition(":")[0],
            )
        return cls(default=default, rules=rules, ownership=ownership)

    def strategies(self, entity_type: EntityType | str, attribute: str) -> tuple[Strategy, ...]:
        found = self.rules.get(EntityType(entity_type).value, {}).get(attribute)
        return tuple(Strategy(s) for s in found) if found else self.default

    def owner(self, entity_type: EntityType | str, attribute: str) -> str | None:
        return self.ownership.get(EntityType(entity_type), {}).get(attribute)


DEFAULT_SURVIVORSHIP = SurvivorshipConfig()


def _strategies(where: str, value: Any, problems: list[str]) -> tuple[Strategy, ...]:
    """A list of strategy names as Strategy values; problems are appended, not raised."""
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        problems.append(f"{where}: expected a non-empty list of strategies")
        return DEFAULT_STRATEGIES
    found: list[Strategy] = []
    for name in value:
        try:
            found.append(Strategy(str(name).upper()))
        except ValueError:
            problems.append(
                f"{where}: unknown strategy {name!r} "
                f"(expected one of: {', '.join(s.value.lower() for s in Strategy)})"
            )
    return tuple(found) or DEFAULT_STRATEGIES


_Candidate = tuple[SourceValues, Any]
_Pick = tuple[Any, SourceValues, tuple[Any, ...]] | None
_OLDEST = datetime.min.replace(tzinfo=UTC)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | dict | tuple) and not value)


def _when(source: SourceValues) -> datetime:
    ts = source.source_updated_at
    if ts is None:
        return _OLDEST
    # Naive timestamps are taken as UTC so that they compare with aware ones.
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _most_recent(candidates: Sequence[_Candidate]) -> _Pick:
    # max() keeps the first of equals, so ties go to the earlier source record.
    source, value = max(candidates, key=lambda c: _when(c[0]))
    return value, source, ()


def _freeze_value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _completeness(value: Any) -> int:
    if isinstance(value, Mapping):
        return sum(not _is_empty(v) for v in value.values())
    if isinstance(value, list | tuple | set | str):
        return len(value)
    return 1


def _owning_system(owner: str | None, candidates: Sequence[_Candidate]) -> _Pick:
    owned = [c for c in candidates if c[0].system == owner]
    return _most_recent(owned) if owned else None


def _most_frequent(candidates: Sequence[_Candidate]) -> _Pick:
    counts = Counter(_freeze_value(v) for _, v in candidates)
    ranked = counts.most_common(2)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    winner = ranked[0][0]
    agreeing = [c for c in candidates if _freeze_value(c[1]) == winner]
    return _most_recent(agreeing)


def _most_complete(candidates: Sequence[_Candidate]) -> _Pick:
    best = max(_completeness(v) for _, v in candidates)
    return _most_recent([c for c in candidates if _completeness(c[1]) == best])


def _extreme(candidates: Sequence[_Candidate], pick: Callable[..., Any]) -> _Pick:
    try:
        target = pick(v for _, v in candidates)
    except TypeError:  # values of mixed types cannot be ordered
        return None
    source = next(s for s, v in candidates if v == target)
    return target, source, ()


def _union(candidates: Sequence[_Candidate]) -> _Pick:
    items: dict[str, Any] = {}
    contributors: list[Any] = []
    for source, value in candidates:
        values = value if isinstance(value, list | tuple | set) else [value]
        added = False
        for item in values:
            key = item.strip().casefold() if isinstance(item, str) else _freeze_value(item)
            if key not in items:
                items[key] = item
                added = True
        if added:
            contributors.append(source.source_record_id)
    return list(items.values()), candidates[0][0], tuple(contributors)


def _apply(strategy: Strategy, owner: str | None, candidates: Sequence[_Candidate]) -> _Pick:
    if strategy is Strategy.OWNING_SYSTEM:
        return _owning_system(owner, candidates)
    if strategy is Strategy.MOST_RECENT:
        return _most_recent(candidates)
    if strategy is Strategy.MOST_FREQUENT:
        return _most_frequent(candidates)
    if strategy is Strategy.MOST_COMPLETE:
        return _most_complete(candidates)
    if strategy is Strategy.MIN:
        return _extreme(candidates, min)
    if strategy is Strategy.MAX:
        return _extreme(candidates, max)
    return _union(candidates)


def survive(
    entity_type: EntityType | str,
    sources: Sequence[SourceValues],
    config: SurvivorshipConfig = DEFAULT_SURVIVORSHIP,
) -> Survivorship:
    """The golden attributes of one golden record from its source records, with lineage.

    Attributes no source holds a value for are left out; the caller keeps its defaults.
    """
    attributes: dict[str, Any] = {}
    lineage: dict[str, LineageEntry] = {}
    names = dict.fromkeys(a for s in sources for a in s.attributes)
    for attribute in names:
        candidates = [
            (s, s.attributes[attribute])
            for s in sources
            if not _is_empty(s.attributes.get(attribute))
        ]
        if not candidates:
            continue
        owner = config.owner(entity_type, attribute)
        pick: _Pick = None
        rule = FALLBACK_RULE
        for strategy in config.strategies(entity_type, attribute):
            pick = _apply(strategy, owner, candidates)
            if pick is not None:
                rule = strategy.value
                break
        if pick is None:
            first_source, first_value = candidates[0]
            pick = (first_value, first_source, ())
        value, source, contributors = pick
        attributes[attribute] = value
        lineage[attribute] = LineageEntry(
            attribute=attribute,
            source_record_id=source.source_record_id,
            system=source.system,
            rule=rule,
            contributors=contributors,
        )
    return Survivorship(attributes=attributes, lineage=lineage)
