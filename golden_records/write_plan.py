"""Which system receives which field of a write: the tenant's ownership table applied to it.

`plan_write` splits a create or update into one write per owning system, plus the hub-owned
fields (no system owns them: the hub stores them). It is pure data in, data out: the caller has
already validated the values (golden_records.validation) and read the crosswalks.

- A system that owns a written field and holds the record gets an UPDATE; one that does not
  hold it (every system, on create) gets a CREATE if it can create that entity type
  (`systems.CREATABLE`), carrying the attributes the create needs; otherwise the plan has a
  NO_SOURCE_RECORD problem.
- A reference (client, parent, manager...) must point at a record the receiving system holds:
  a referenced record the system lacks is created there first, when it can be, and the write
  depends on that create.
- A resource's `cost_rate` is a new COST_RATE record for the owner of cost rates (payroll).
- Writes are ordered so that dependencies come first, then by system name.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from golden_records.canonical import EntityType
from golden_records.errors import NoSourceRecord, ValidationFailed
from golden_records.systems import SYSTEMS, create_requirements
from golden_records.validation import COST_RATE, input_field

E = EntityType

# (entity type, reference attribute) -> the entity type it points at.
REFERENCES: dict[tuple[EntityType, str], EntityType] = {
    (E.CLIENT, "parent"): E.CLIENT,
    (E.CLIENT, "account_owner"): E.RESOURCE,
    (E.PROJECT, "client"): E.CLIENT,
    (E.PROJECT, "project_manager"): E.RESOURCE,
    (E.RESOURCE, "manager"): E.RESOURCE,
    (E.COST_RATE, "resource"): E.RESOURCE,
    (E.ASSIGNMENT, "project"): E.PROJECT,
    (E.ASSIGNMENT, "resource"): E.RESOURCE,
}
# The same by attribute alone (each attribute name points at one entity type wherever it is).
REFERENCE_TARGETS: dict[str, EntityType] = {
    attr: target for (_, attr), target in REFERENCES.items()
}


class WriteAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"


@dataclass(frozen=True, slots=True)
class SystemWrite:
    system: str
    entity_type: EntityType  # the entity written there (COST_RATE for a resource's cost rate)
    action: WriteAction
    golden_id: int | None  # the golden record written; None = the one this mutation creates
    external_id: str | None  # the system's ID when updating
    fields: dict[str, Any]  # canonical attribute -> value; references hold golden IDs
    depends_on: int | None = None  # index in WritePlan.writes applied first (a parent's create)
    # Every write this one waits for (depends_on is the last of them); more than one only when
    # a write references two records that both have to be created first.
    depends_on_all: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ReferencedRecord:
    """A golden record a written reference points at."""

    entity_type: EntityType
    golden_id: int
    crosswalks: Mapping[str, str]  # system -> external ID
    values: Mapping[str, Any]  # its current golden values (for creating it where missing)


@dataclass(frozen=True, slots=True)
class WritePlan:
    entity_type: EntityType
    writes: tuple[SystemWrite, ...]
    hub_fields: dict[str, Any]  # no system owns these: stored in the hub
    problems: tuple[ValidationFailed, ...]  # e.g. an owner that cannot create the record

    def fields_by_system(self) -> dict[str, list[str]]:
        """system -> the attributes it receives (hub included), for a dry run's answer."""
        found: dict[str, list[str]] = {}
        if self.hub_fields:
            found["hub"] = sorted(self.hub_fields)
        for write in self.writes:
            found.setdefault(write.system, [])
            found[write.system] = sorted({*found[write.system], *write.fields})
        return found


# A write being planned, before it has its place in the order: keyed by
# (system, entity type, golden ID), None standing for the record this mutation creates.
_Key = tuple[str, EntityType, int | None]


@dataclass(slots=True)
class _Pending:
    write: SystemWrite
    needs: list[_Key] = field(default_factory=list)


def plan_write(
    entity_type: EntityType,
    values: Mapping[str, Any],
    *,
    golden_id: int | None,
    current: Mapping[str, Any] | None,
    crosswalks: Mapping[str, str],
    ownership: Mapping[EntityType, Mapping[str, str]],
    referenced: Mapping[tuple[EntityType, int], ReferencedRecord] | None = None,
) -> WritePlan:
    """Split `values` by owner into per-system writes (golden_id None = a create)."""
    planner = _Planner(
        entity_type, golden_id, current or {}, crosswalks, ownership, referenced or {}
    )
    return planner.plan({attribute: _clean(value) for attribute, value in values.items()})


class _Planner:
    def __init__(
        self,
        entity_type: EntityType,
        golden_id: int | None,
        current: Mapping[str, Any],
        crosswalks: Mapping[str, str],
        ownership: Mapping[EntityType, Mapping[str, str]],
        referenced: Mapping[tuple[EntityType, int], ReferencedRecord],
    ) -> None:
        self.entity_type = entity_type
        self.golden_id = golden_id
        self.current = current
        self.crosswalks = crosswalks
        self.ownership = ownership
        self.referenced = referenced
        self.pending: dict[_Key, _Pending] = {}
        self.problems: list[ValidationFailed] = []

    @property
    def creating(self) -> bool:
        return self.golden_id is None

    def plan(self, values: dict[str, Any]) -> WritePlan:
        owners = self.ownership.get(self.entity_type, {})
        hub_fields: dict[str, Any] = {}
        by_system: dict[str, dict[str, Any]] = {}
        cost_rate = values.pop(COST_RATE, None) if self.entity_type == E.RESOURCE else None
        for attribute, value in values.items():
            if not self.creating and _same(self.current.get(attribute), value):
                continue  # nothing to change: no write for it
            system = owners.get(attribute)
            if system is None:
                hub_fields[attribute] = value
            else:
                by_system.setdefault(system, {})[attribute] = value
        for system in sorted(by_system):
            self._own_write(system, by_system[system], values)
        if cost_rate is not None:
            self._cost_rate_write(cost_rate)
        self._resolve_references()
        return WritePlan(
            entity_type=self.entity_type,
            writes=self._ordered(),
            hub_fields=hub_fields,
            problems=tuple(self.problems),
        )

    # -- the record's own writes ------------------------------------------------------------

    def _own_write(self, system: str, fields: dict[str, Any], values: Mapping[str, Any]) -> None:
        external = None if self.creating else self.crosswalks.get(system)
        if external is not None:
            self._add(
                system, self.entity_type, WriteAction.UPDATE, self.golden_id, external, fields
            )
            return
        requires = create_requirements(system, self.entity_type)
        if requires is None:
            first = input_field(min(fields))
            self.problems.append(
                NoSourceRecord(
                    f"{first}: {_product(system)} has no record of this {self.entity_type.value} "
                    f"and cannot create one from the hub, so "
                    f"{', '.join(input_field(a) for a in sorted(fields))} cannot be written "
                    f"there; link the {self.entity_type.value} to its {_product(system)} record "
                    "(sync or merge) first.",
                    field=first,
                )
            )
            return
        create = dict(fields)
        for attribute in requires:
            if attribute in create:
                continue
            value = values.get(attribute) if attribute in values else None
            if value is None:
                value = _clean(self.current.get(attribute))
            create[attribute] = value
        if self._missing(system, self.entity_type, requires, create, input_field(min(fields))):
            return
        self._add(system, self.entity_type, WriteAction.CREATE, self.golden_id, None, create)

    def _cost_rate_write(self, cost_rate: Mapping[str, Any]) -> None:
        owner = self.ownership.get(E.COST_RATE, {}).get("hourly_cost")
        if owner is None:
            self.problems.append(
                ValidationFailed(
                    "costRate: no system owns cost rates in this tenant's ownership table, and "
                    "the hub does not keep them; make payroll (gusto) the owner of "
                    "cost_rate.hourly_cost.",
                    field="costRate",
                )
            )
            return
        fields = {
            "resource": self.golden_id,
            "hourly_cost": cost_rate.get("hourly_cost"),
            "currency": cost_rate.get("currency"),
            "effective_from": cost_rate.get("effective_from"),
        }
        requires = create_requirements(owner, E.COST_RATE)
        if requires is None:
            self.problems.append(
                NoSourceRecord(
                    f"costRate: {_product(owner)} owns cost rates for this tenant but cannot "
                    "create one from the hub; make payroll (gusto) their owner.",
                    field="costRate",
                )
            )
            return
        self._add(owner, E.COST_RATE, WriteAction.CREATE, None, None, fields)

    # -- references ---------------------------------------------------------------------------

    def _resolve_references(self) -> None:
        queue = list(self.pending)
        while queue:
            key = queue.pop(0)
            pending = self.pending[key]
            write = pending.write
            for attribute in sorted(write.fields):
                target = REFERENCES.get((write.entity_type, attribute))
                if target is None:
                    continue
                ref_id = write.fields[attribute]
                if ref_id is None and not (write.entity_type == E.COST_RATE and self.creating):
                    continue  # clearing a reference needs nothing in the target system
                needed = self._reference(write, attribute, target, ref_id, queue)
                if needed is not None and needed not in pending.needs:
                    pending.needs.append(needed)

    def _reference(
        self,
        write: SystemWrite,
        attribute: str,
        target: EntityType,
        ref_id: int | None,
        queue: list[_Key],
    ) -> _Key | None:
        """The create that must run first for `write` to point at (target, ref_id), or None."""
        system = write.system
        name = input_field(attribute) if write.entity_type != E.COST_RATE else "costRate"
        key: _Key = (system, target, ref_id)
        if target == self.entity_type and ref_id == self.golden_id:
            # The record being written itself (a cost rate's resource).
            if system in self.crosswalks and not self.creating:
                return None
            if key in self.pending:
                return key
            self.problems.append(
                NoSourceRecord(
                    f"{name}: {_product(system)} has no record of this {target.value}, and one "
                    "cannot be created from the hub; link it to its "
                    f"{_product(system)} record first.",
                    field=name,
                )
            )
            return None
        assert ref_id is not None
        record = self.referenced.get((target, ref_id))
        if record is not None and system in record.crosswalks:
            return None
        if key in self.pending:
            return key
        requires = create_requirements(system, target)
        if record is None or requires is None:
            self.problems.append(
                NoSourceRecord(
                    f"{name}: {target.value} {ref_id} has no {_product(system)} record to point "
                    f"at, and {_product(system)} cannot get one from the hub; link that "
                    f"{target.value} to its {_product(system)} record (sync or merge) first.",
                    field=name,
                )
            )
            return None
        fields = {attribute: _clean(record.values.get(attribute)) for attribute in requires}
        if self._missing(system, target, requires, fields, name, ref_id=ref_id):
            return None
        self._add(system, target, WriteAction.CREATE, ref_id, None, fields)
        queue.append(key)
        return key

    # -- helpers ------------------------------------------------------------------------------

    def _add(
        self,
        system: str,
        entity_type: EntityType,
        action: WriteAction,
        golden_id: int | None,
        external_id: str | None,
        fields: dict[str, Any],
    ) -> None:
        write = SystemWrite(system, entity_type, action, golden_id, external_id, fields)
        self.pending[(system, entity_type, golden_id)] = _Pending(write)

    def _missing(
        self,
        system: str,
        entity_type: EntityType,
        requires: tuple[str, ...],
        fields: Mapping[str, Any],
        name: str,
        *,
        ref_id: int | None = None,
    ) -> bool:
        """Report the attributes a create needs and lacks; True if any are missing."""
        missing = [input_field(a) for a in requires if fields.get(a) is None]
        if missing:
            which = f"{entity_type.value} {ref_id}" if ref_id is not None else "the record"
            self.problems.append(
                ValidationFailed(
                    f"{name}: {_product(system)} needs {', '.join(missing)} to create "
                    f"{which} there; set {'it' if len(missing) == 1 else 'them'} first.",
                    field=name,
                )
            )
        return bool(missing)

    def _ordered(self) -> tuple[SystemWrite, ...]:
        """Dependencies first, then by system name (a stable topological order)."""
        needed = {dep for p in self.pending.values() for dep in p.needs}
        order = list(E)

        def rank(key: _Key) -> tuple[int, str, int, int]:
            system, entity_type, golden_id = key
            return (key not in needed, system, order.index(entity_type), golden_id or 0)

        waiting = {key: set(p.needs) for key, p in self.pending.items()}
        ready = [(rank(k), k) for k, deps in waiting.items() if not deps]
        heapq.heapify(ready)
        index: dict[_Key, int] = {}
        writes: list[SystemWrite] = []
        while ready:
            _, key = heapq.heappop(ready)
            pending = self.pending[key]
            after = tuple(sorted(index[d] for d in pending.needs))
            write = pending.write
            if after:
                write = SystemWrite(
                    write.system,
                    write.entity_type,
                    write.action,
                    write.golden_id,
                    write.external_id,
                    write.fields,
                    depends_on=after[-1],
                    depends_on_all=after,
                )
            index[key] = len(writes)
            writes.append(write)
            del waiting[key]
            for other, deps in waiting.items():
                if key in deps:
                    deps.discard(key)
                    if not deps:
                        heapq.heappush(ready, (rank(other), other))
        # A cycle cannot arise (a create depends only on creates of other records), but never
        # drop a write silently if it did.
        if waiting:
            raise AssertionError(f"write plan has a dependency cycle: {sorted(map(str, waiting))}")
        return tuple(writes)


def _product(system: str) -> str:
    known = SYSTEMS.get(system)
    return known.product if known is not None else system


def _clean(value: Any) -> Any:
    """Trimmed strings, blank ones as None, the same inside addresses and lists."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        return {key: _clean(part) for key, part in value.items()}
    if isinstance(value, list):
        return [_clean(part) for part in value]
    return value


def _same(old: Any, new: Any) -> bool:
    """Whether writing `new` over `old` changes nothing (addresses ignore empty parts)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return {k: v for k, v in old.items() if v is not None} == {
            k: v for k, v in new.items() if v is not None
        }
    return bool(_clean(old) == new)
