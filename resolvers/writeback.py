"""Create and update golden records by writing back to the systems that own each field.

A mutation runs in three steps:
1. read and check: the record (tenant-scoped), `expectedVersion`, the input's references,
   validation (golden_records.validation) and the write plan (golden_records.write_plan) under
   the tenant's ownership table. Any problem returns typed errors; nothing is written.
2. accept, in one transaction: bump the version (guarded by the expected one, so of two
   concurrent updates exactly one wins), store hub-owned fields, store the mutation with its
   idempotency key and one outbox row per system, and the audit entry.
3. optionally wait for the outbox worker to confirm (up to `waitSeconds`).
The golden record takes a system's value when that system confirms it (hub/outbox_worker.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError

from connectors.writeback import writable_fields
from golden_records import golden_store
from golden_records.canonical import EntityType
from golden_records.errors import CrosswalkError, NotFound, ValidationFailed, VersionConflict
from golden_records.models import (
    AssignmentRecord,
    CostRateRecord,
    Crosswalk,
    GoldenRecord,
    Lineage,
    SourceRecord,
)
from golden_records.validation import (
    CostRateInForce,
    RateCard,
    camel_case,
    input_field,
    validate_write,
)
from golden_records.write_plan import (
    REFERENCE_TARGETS,
    ReferencedRecord,
    SystemWrite,
    WriteAction,
    WritePlan,
    plan_write,
)
from hub import audit
from hub.audit import json_value
from hub.outbox import QueuedWrite, enqueue, rows_of, wait_for
from hub.outbox_models import MutationRequest, WriteBack
from hub.sync import REFS_KEY, REQUIRED_DEFAULTS, configured_systems
from resolvers.admin import principal
from resolvers.global_ids import MODELS, TYPE_NAMES, decode_typed_id

if TYPE_CHECKING:
    from resolvers.context import Context

HUB_RULE = "hub"  # lineage rule of a value the hub itself holds
MAX_WAIT_SECONDS = 30.0
MAX_IDEMPOTENCY_KEY = 200


class IdempotencyKeyReused(CrosswalkError):
    code = "IDEMPOTENCY_KEY_REUSED"


class SystemNotConfigured(CrosswalkError):
    code = "SYSTEM_NOT_CONFIGURED"


class NotWritable(CrosswalkError):
    code = "NOT_WRITABLE"


def _undeliverable(ctx: Context, plan: WritePlan) -> list[CrosswalkError]:
    """Writes no worker could ever deliver, refused now instead of failing in the queue."""
    configured = configured_systems(ctx.tenant)
    problems: list[CrosswalkError] = []
    for write in plan.writes:
        field = camel_case(sorted(write.fields)[0]) if write.fields else None
        if write.system not in configured:
            problems.append(
                SystemNotConfigured(
                    f"{write.system} owns {', '.join(map(camel_case, sorted(write.fields)))} here, "
                    f"but tenant {ctx.tenant_id!r} has no {write.system} base_url and "
                    "credentials in its tenant file; configure it before writing these fields.",
                    field=field,
                )
            )
            continue
        refused = sorted(set(write.fields) - writable_fields(write.system, write.entity_type))
        if refused:
            problems.append(
                NotWritable(
                    f"{write.system} owns {write.entity_type.value} "
                    f"{', '.join(map(camel_case, refused))} for this tenant, but its API cannot "
                    "store it; make the field hub-owned (`null` in the tenant's ownership) or "
                    "give it to a system that can.",
                    field=camel_case(refused[0]),
                )
            )
    return problems


@dataclass(slots=True)
class WriteOutcome:
    """What a create/update mutation reports: the record, each system's write, the errors."""

    type_name: str
    golden_id: int | None = None
    rows: list[WriteBack] = field(default_factory=list)
    hub_fields: list[str] = field(default_factory=list)
    errors: list[CrosswalkError] = field(default_factory=list)
    replayed: bool = False  # an idempotency key's earlier result, nothing written again


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    plan: WritePlan | None
    errors: list[CrosswalkError]


def entity_of(type_name: str) -> EntityType:
    return MODELS[type_name].entity_type


# -- reading the record and its neighbours ---------------------------------------------------


def current_values(row: GoldenRecord) -> dict[str, Any]:
    """The golden row's values under canonical attribute names (`client_id` -> `client`)."""
    values: dict[str, Any] = {}
    for column in golden_store.data_columns(type(row)):
        attribute = column.removesuffix("_id")
        if column.endswith("_id") and attribute in REFERENCE_TARGETS:
            values[attribute] = getattr(row, column)
        else:
            values[column] = getattr(row, column)
    return values


async def _crosswalks(ctx: Context, entity_type: EntityType, golden_id: int) -> dict[str, str]:
    rows = await ctx.execute(
        select(Crosswalk.system, Crosswalk.external_id)
        .where(
            Crosswalk.tenant_id == ctx.tenant_id,
            Crosswalk.entity_type == entity_type.value,
            Crosswalk.golden_id == golden_id,
        )
        .order_by(Crosswalk.id)
    )
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(row.system, row.external_id)
    return found


async def _resolve_references(
    ctx: Context, entity_type: EntityType, values: dict[str, Any], *, self_id: int | None
) -> None:
    """Reference inputs arrive as global IDs; make them the live golden IDs they stand for."""
    for attribute, target in REFERENCE_TARGETS.items():
        value = values.get(attribute)
        if attribute not in values or value is None or isinstance(value, int):
            continue
        field = input_field(attribute)
        pk = decode_typed_id(str(value), TYPE_NAMES[golden_store.model_for(target)], field=field)
        try:
            live = await golden_store.resolve(ctx.session, ctx.tenant_id, target, pk)
        except NotFound:
            raise NotFound(f"No {target.value} with ID {value}.", field=field) from None
        if entity_type == target and live.id == self_id:
            raise ValidationFailed("A record cannot point at itself.", field=field)
        values[attribute] = live.id


async def _referenced(
    ctx: Context, values: Mapping[str, Any], current: Mapping[str, Any] | None
) -> dict[tuple[EntityType, int], ReferencedRecord]:
    """Every record the write may point at, with its crosswalks (to create it where missing)."""
    found: dict[tuple[EntityType, int], ReferencedRecord] = {}
    for source in (values, current or {}):
        for attribute, target in REFERENCE_TARGETS.items():
            golden_id = source.get(attribute)
            if not isinstance(golden_id, int) or (target, golden_id) in found:
                continue
            row = await golden_store.load(ctx.session, ctx.tenant_id, target, golden_id)
            found[(target, golden_id)] = ReferencedRecord(
                entity_type=target,
                golden_id=golden_id,
                crosswalks=await _crosswalks(ctx, target, golden_id),
                values=current_values(row),
            )
    return found


async def _rate_card(
    ctx: Context, entity_type: EntityType, golden_id: int | None
) -> RateCard | None:
    """The cost rates in force today that a bill rate must not undercut: the person's own, or
    those of the people assigned to the project."""
    if golden_id is None or entity_type not in (EntityType.RESOURCE, EntityType.PROJECT):
        return None
    today = datetime.now(UTC).date()
    if entity_type == EntityType.RESOURCE:
        resource_ids = [golden_id]
    else:
        rows = await ctx.execute(
            select(AssignmentRecord.resource_id).where(
                AssignmentRecord.tenant_id == ctx.tenant_id,
                AssignmentRecord.project_id == golden_id,
                AssignmentRecord.merged_into_id.is_(None),
            )
        )
        resource_ids = sorted({r[0] for r in rows})
    if not resource_ids:
        return RateCard(cost_rates=())
    latest = (
        select(CostRateRecord.resource_id, func.max(CostRateRecord.effective_from).label("since"))
        .where(
            CostRateRecord.tenant_id == ctx.tenant_id,
            CostRateRecord.resource_id.in_(resource_ids),
            CostRateRecord.effective_from <= today,
            CostRateRecord.merged_into_id.is_(None),
        )
        .group_by(CostRateRecord.resource_id)
        .subquery()
    )
    rows = await ctx.execute(
        select(CostRateRecord.resource_id, CostRateRecord.hourly_cost, CostRateRecord.currency)
        .join(
            latest,
            and_(
                latest.c.resource_id == CostRateRecord.resource_id,
                latest.c.since == CostRateRecord.effective_from,
            ),
        )
        .where(CostRateRecord.tenant_id == ctx.tenant_id)
    )
    return RateCard(
        cost_rates=tuple(
            CostRateInForce(f"resource {r.resource_id}", Decimal(r.hourly_cost), r.currency)
            for r in rows
        )
    )


async def _base_values(ctx: Context, write: SystemWrite) -> dict[str, Any]:
    """The source's own values of the fields a write changes, as the hub last saw them."""
    if write.action != WriteAction.UPDATE or write.external_id is None:
        return {}
    attributes = await ctx.scalar(
        select(SourceRecord.attributes).where(
            SourceRecord.tenant_id == ctx.tenant_id,
            SourceRecord.entity_type == write.entity_type.value,
            SourceRecord.system == write.system,
            SourceRecord.external_id == write.external_id,
        )
    )
    if not attributes:
        return {}
    refs = attributes.get(REFS_KEY) or {}
    base: dict[str, Any] = {}
    for attribute in write.fields:
        if attribute in REFERENCE_TARGETS:
            ref = refs.get(f"{attribute}_id")
            base[attribute] = ref["external_id"] if ref else None
        else:
            base[attribute] = attributes.get(attribute)
    return base


# -- planning ----------------------------------------------------------------------------------


async def _check_and_plan(
    ctx: Context,
    type_name: str,
    golden_id: int | None,
    values: dict[str, Any],
    *,
    allow_below_cost: bool,
) -> tuple[PlanOutcome, GoldenRecord | None]:
    entity_type = entity_of(type_name)
    row: GoldenRecord | None = None
    if golden_id is not None:
        row = await golden_store.resolve(ctx.session, ctx.tenant_id, entity_type, golden_id)
    await _resolve_references(ctx, entity_type, values, self_id=row.id if row else None)
    current = current_values(row) if row is not None else None
    problems: list[CrosswalkError] = list(
        validate_write(
            entity_type,
            values,
            current=current,
            rate_card=await _rate_card(ctx, entity_type, row.id if row is not None else None),
            allow_below_cost=allow_below_cost,
        )
    )
    if problems:
        return PlanOutcome(None, problems), row
    plan = plan_write(
        entity_type,
        values,
        golden_id=row.id if row is not None else None,
        current=current,
        crosswalks=await _crosswalks(ctx, entity_type, row.id) if row is not None else {},
        ownership=ctx.tenant.ownership_table(),
        referenced=await _referenced(ctx, values, current),
    )
    if plan.problems:
        return PlanOutcome(plan, list(plan.problems)), row
    return PlanOutcome(plan, _undeliverable(ctx, plan)), row


async def plan(
    ctx: Context,
    type_name: str,
    global_id: str | None,
    values: dict[str, Any],
    *,
    allow_below_cost: bool = False,
) -> PlanOutcome:
    """What a create (no ID) or update would send where, without sending or storing anything."""
    golden_id = decode_typed_id(global_id, type_name) if global_id is not None else None
    try:
        outcome, _row = await _check_and_plan(
            ctx, type_name, golden_id, values, allow_below_cost=allow_below_cost
        )
    except CrosswalkError as error:
        return PlanOutcome(None, [error])
    return outcome


# -- accepting ---------------------------------------------------------------------------------


def _request_hash(operation: str, golden_id: int | None, payload: Mapping[str, Any]) -> str:
    body = json.dumps(
        {"operation": operation, "id": golden_id, **json_value(dict(payload))},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


async def _replay(
    ctx: Context, type_name: str, key: str | None, request_hash: str
) -> WriteOutcome | None:
    """The earlier result of this idempotency key, or None if the key is new."""
    if key is None:
        return None
    found = await ctx.scalar(
        select(MutationRequest).where(
            MutationRequest.tenant_id == ctx.tenant_id, MutationRequest.idempotency_key == key
        )
    )
    if found is None:
        return None
    if found.request_hash != request_hash:
        raise IdempotencyKeyReused(
            f"The idempotency key {key!r} was used for a different request; use a new key "
            "for a new change (the same key only to retry the same request).",
            field="idempotencyKey",
        )
    return WriteOutcome(
        type_name=type_name,
        golden_id=found.golden_id,
        rows=await rows_of(ctx.session, ctx.tenant_id, found.id),
        replayed=True,
    )


def _check_key(key: str | None) -> None:
    if key is not None and not 0 < len(key.strip()) <= MAX_IDEMPOTENCY_KEY:
        raise ValidationFailed(
            f"An idempotency key is 1 to {MAX_IDEMPOTENCY_KEY} characters.",
            field="idempotencyKey",
        )


async def _store_hub_fields(
    ctx: Context, entity_type: EntityType, golden_id: int, hub_fields: Mapping[str, Any]
) -> None:
    """Values no system owns live in the hub, with lineage saying so (survivorship keeps them)."""
    if not hub_fields:
        return
    model = golden_store.model_for(entity_type)
    columns = {
        _column(a): golden_store.as_column(model, _column(a), v) for a, v in hub_fields.items()
    }
    await ctx.session.execute(
        update(model)
        .where(model.id == golden_id, model.tenant_id == ctx.tenant_id)
        .values(**columns)
    )
    existing = {
        entry.attribute: entry
        for entry in await ctx.session.scalars(
            select(Lineage).where(
                Lineage.tenant_id == ctx.tenant_id,
                Lineage.entity_type == entity_type.value,
                Lineage.golden_id == golden_id,
                Lineage.attribute.in_(list(columns)),
            )
        )
    }
    now = datetime.now(UTC)
    for column in columns:
        entry = existing.get(column)
        if entry is None:
            ctx.session.add(
                Lineage(
                    tenant_id=ctx.tenant_id,
                    entity_type=entity_type.value,
                    golden_id=golden_id,
                    attribute=column,
                    source_record_id=None,
                    rule=HUB_RULE,
                    updated_at=now,
                )
            )
        else:
            entry.source_record_id, entry.rule, entry.updated_at = None, HUB_RULE, now


async def _insert_golden(ctx: Context, entity_type: EntityType, values: Mapping[str, Any]) -> int:
    """A created record starts with the values asked for; systems' confirmations then replace
    them by what each system holds."""
    model = golden_store.model_for(entity_type)
    columns: dict[str, Any] = dict(REQUIRED_DEFAULTS.get(entity_type, {}))
    for attribute, value in values.items():
        column = _column(attribute)
        if column in model.__table__.c:
            columns[column] = golden_store.as_column(model, column, value)
    row = model(tenant_id=ctx.tenant_id, version=1, **columns)
    ctx.session.add(row)
    await ctx.session.flush()
    return int(row.id)


async def write(
    ctx: Context,
    operation: str,
    type_name: str,
    values: dict[str, Any],
    *,
    global_id: str | None = None,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
    allow_below_cost: bool = False,
    wait_seconds: float = 0.0,
) -> WriteOutcome:
    """A create (no `global_id`) or update mutation, as the module docstring describes."""
    caller = principal(ctx)
    entity_type = entity_of(type_name)
    outcome = WriteOutcome(type_name=type_name)
    try:
        _check_key(idempotency_key)
        golden_id = decode_typed_id(global_id, type_name) if global_id is not None else None
        request_hash = _request_hash(
            operation,
            golden_id,
            {**values, "_version": expected_version, "_below": allow_below_cost},
        )
        replayed = await _replay(ctx, type_name, idempotency_key, request_hash)
        if replayed is not None:
            return replayed
        planned, row = await _check_and_plan(
            ctx, type_name, golden_id, values, allow_below_cost=allow_below_cost
        )
        if planned.errors or planned.plan is None:
            outcome.golden_id = row.id if row is not None else None
            outcome.errors = planned.errors
            return outcome
        if row is not None and row.version != expected_version:
            raise _version_conflict(type_name, row.version, expected_version)
        plan = planned.plan
        bases = [await _base_values(ctx, w) for w in plan.writes]
        before = current_values(row) if row is not None else {}
        # End the read transaction: the write below must begin with the version bump, which
        # takes SQLite's write lock first (a read-then-write transaction could not queue).
        await ctx.session.commit()
        async with ctx.writing() as session:
            if row is not None:
                target = row.id
                bumped = await session.execute(
                    update(type(row))
                    .where(
                        type(row).id == target,
                        type(row).tenant_id == ctx.tenant_id,
                        type(row).version == expected_version,
                    )
                    .values(version=type(row).version + 1, updated_at=datetime.now(UTC))
                    .execution_options(synchronize_session=False)
                )
                if bumped.rowcount != 1:  # type: ignore[attr-defined]
                    raise _version_conflict(type_name, None, expected_version)
            else:
                target = await _insert_golden(ctx, entity_type, values)
            await _store_hub_fields(ctx, entity_type, target, plan.hub_fields)
            mutation = MutationRequest(
                tenant_id=ctx.tenant_id,
                operation=operation,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                entity_type=entity_type.value,
                golden_id=target,
                actor=caller.subject,
                created_at=datetime.now(UTC),
            )
            session.add(mutation)
            await session.flush()
            rows = await enqueue(
                session,
                mutation,
                [
                    _queued(w, b, entity_type, target, created=row is None)
                    for w, b in zip(plan.writes, bases, strict=True)
                ],
            )
            audit.record(
                session,
                tenant_id=ctx.tenant_id,
                actor=caller.subject,
                actor_role=caller.role.value,
                action=operation,
                entity_type=entity_type.value,
                entity_id=target,
                before={k: before.get(k) for k in values} if row is not None else None,
                after={
                    **values,
                    "write_backs": [
                        {"id": r.id, "system": r.system, "fields": sorted(r.fields)} for r in rows
                    ],
                },
                request_id=ctx.request_id,
                only_changes=False,
            )
    except IntegrityError:
        # The same idempotency key, accepted by a concurrent request a moment ago.
        await ctx.session.rollback()
        replayed = await _replay(ctx, type_name, idempotency_key, request_hash)
        if replayed is None:
            raise
        return replayed
    except CrosswalkError as error:
        outcome.errors = [error]
        return outcome
    outcome.golden_id = target
    outcome.rows = rows
    outcome.hub_fields = sorted(plan.hub_fields)
    if rows and ctx.outbox_wakeup is not None:
        ctx.outbox_wakeup()
    if rows and wait_seconds > 0 and ctx.sessions is not None:
        outcome.rows = await wait_for(
            ctx.sessions, ctx.tenant_id, mutation.id, min(wait_seconds, MAX_WAIT_SECONDS)
        )
    return outcome


def _queued(
    write: SystemWrite,
    base: Mapping[str, Any],
    entity_type: EntityType,
    target: int,
    *,
    created: bool,
) -> QueuedWrite:
    golden_id = write.golden_id
    if golden_id is None and created and write.entity_type == entity_type:
        golden_id = target  # "the record this mutation creates"
    return QueuedWrite(
        system=write.system,
        entity_type=write.entity_type.value,
        action=write.action.value,
        golden_id=golden_id,
        external_id=write.external_id,
        fields=write.fields,
        base=base,
        depends_on=write.depends_on,
    )


def _version_conflict(type_name: str, actual: int | None, expected: int | None) -> VersionConflict:
    now = f"is at version {actual}" if actual is not None else "was changed meanwhile"
    return VersionConflict(
        f"The {type_name} {now}, not {expected}: read it again and re-apply your change "
        "with its current version.",
        field="expectedVersion",
    )


def _column(attribute: str) -> str:
    """The golden table's column for a canonical attribute (`client` -> `client_id`)."""
    return f"{attribute}_id" if attribute in REFERENCE_TARGETS else attribute
