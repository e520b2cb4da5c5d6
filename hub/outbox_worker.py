"""The outbox worker: sends each accepted write to its system and records the outcome.

One row at a time per record and system, many rows at once overall. For a row it:
1. reads what the write needs (the system's ID for the record, its concurrency token, the
   system's IDs for referenced records) in a short transaction;
2. calls the system's writer with no transaction open (an HTTP call must never hold a lock);
3. on success stores the system's confirmed copy as the source record (and a crosswalk for a
   create) and recomputes the golden record, so the golden record shows the value only once the
   system holds it; on a stale token re-reads the record: a field the source still holds as it
   was when the mutation was accepted is written again with the fresh token, a field someone
   changed meanwhile is a CONFLICT for a steward; transient failures and 429s wait (with
   backoff, honouring Retry-After) and try again; anything else, or too many attempts, goes to
   the exception queue as FAILED with the system's reason.
Every outcome is in the audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import (
    ConnectorError,
    MappedRecord,
    PermanentError,
    RetryPolicy,
    StaleToken,
    TransientError,
)
from connectors.writeback import SystemWriter, WriteRequest, WriteResult, writer_for
from golden_records import golden_store
from golden_records.canonical import EntityType
from golden_records.errors import CrosswalkError
from golden_records.models import Crosswalk, SourceRecord
from golden_records.survivorship import SurvivorshipConfig
from golden_records.write_plan import REFERENCE_TARGETS
from hub import audit
from hub.audit import json_value
from hub.outbox import OPEN, claim, now_utc, same_value
from hub.outbox_models import WriteBack, WriteBackStatus
from hub.sync import REQUIRED_DEFAULTS, stored_attributes, tenant_connectors
from hub.telemetry import Telemetry
from hub.tenants import TenantConfig, TenantRegistry

log = logging.getLogger(__name__)

WORKER_ACTOR = "outbox-worker"

WriterFactory = Callable[[httpx.AsyncClient, TenantConfig], Mapping[str, SystemWriter]]
SurvivorshipFor = Callable[[TenantConfig], SurvivorshipConfig]


def survivorship_for(config: TenantConfig) -> SurvivorshipConfig:
    """The survivorship rules a tenant's golden records are recomputed with."""
    return config.survivorship_config()


def tenant_writers(http: httpx.AsyncClient, config: TenantConfig) -> dict[str, SystemWriter]:
    """A writer per configured system of the tenant. The connectors' own retries are kept
    short: the outbox retries for longer, without holding a worker slot."""
    policy = RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=2.0, max_retry_after=2.0)
    return {
        connector.system: writer_for(connector)
        for connector in tenant_connectors(http, config, retry=policy)
    }


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    batch_size: int = 20
    concurrency: int = 8  # rows in flight at once (across systems and records)
    lease_seconds: float = 60.0  # a claimed row returns to the queue this long after a crash
    max_attempts: int = 10  # transient failures before the row goes to the exception queue
    base_backoff: float = 0.5
    max_backoff: float = 300.0
    idle_poll_seconds: float = 2.0  # how often to look for due rows when nobody wakes us

    @classmethod
    def from_env(cls) -> WorkerOptions:
        """`CROSSWALK_OUTBOX_*` overrides (e.g. a short lease for tests)."""
        values: dict[str, Any] = {}
        for name, kind in (
            ("batch_size", int),
            ("concurrency", int),
            ("lease_seconds", float),
            ("max_attempts", int),
            ("base_backoff", float),
            ("max_backoff", float),
            ("idle_poll_seconds", float),
        ):
            raw = os.environ.get(f"CROSSWALK_OUTBOX_{name.upper()}")
            if raw:
                values[name] = kind(raw)
        return cls(**values)


@dataclass(slots=True)
class _Prepared:
    """What one send needs, read before the call."""

    row_id: int
    tenant_id: str
    system: str
    entity_type: EntityType
    golden_id: int | None
    request: WriteRequest
    base: dict[str, Any]


class _Outcome(Exception):
    """A row's end short of APPLIED: FAILED/CONFLICT now, or PENDING again later."""

    def __init__(
        self, status: WriteBackStatus, code: str, message: str, delay: float | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.delay = status, code, message, delay


class OutboxWorker:
    """Drains the outbox. `run()` until cancelled (in `serve` and `crosswalk worker`);
    `drain()` until nothing is due (the CLI's `--once`, tests, benchmarks)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tenants: TenantRegistry,
        *,
        options: WorkerOptions | None = None,
        http: httpx.AsyncClient | None = None,
        writers: WriterFactory = tenant_writers,
        survivorship: SurvivorshipFor | None = None,
        telemetry: Telemetry | None = None,
        name: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.tenants = tenants
        self.options = options or WorkerOptions()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.telemetry = telemetry
        self._http = http
        self._own_http = http is None
        self.writers_factory = writers
        self._survivorship = survivorship or survivorship_for
        self._writers: dict[str, Mapping[str, SystemWriter]] = {}
        self._wakeup = asyncio.Event()
        self._slots = asyncio.Semaphore(self.options.concurrency)
        self._task: asyncio.Task[None] | None = None
        self.applied = 0  # rows this worker applied (for tests, benchmarks, logs)

    # -- lifecycle --------------------------------------------------------------------------

    def wake(self) -> None:
        """New rows are waiting: look now instead of at the next poll."""
        self._wakeup.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="crosswalk-outbox-worker")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.close()

    async def close(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    async def run(self) -> None:
        while True:
            # Cleared before claiming, so a wake-up that arrives during the batch is kept.
            self._wakeup.clear()
            try:
                handled = await self.run_batch()
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must outlive one bad batch (e.g. the database restarts)
                log.exception("outbox batch failed; retrying")
                handled = 0
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.options.idle_poll_seconds)

    async def drain(self, *, within: float = 60.0) -> int:
        """Process rows until none is open (waiting out backoffs), or for `within` seconds at
        most; returns how many were handled. What is still open then waits for a later run."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        total = 0
        while loop.time() < deadline:
            handled = await self.run_batch()
            total += handled
            if handled == 0:
                if not await self._has_open_rows():
                    return total
                await asyncio.sleep(0.05)
        return total

    async def _has_open_rows(self) -> bool:
        async with self.sessions() as session:
            row = await session.scalar(
                select(WriteBack.id).where(WriteBack.status.in_(OPEN)).limit(1)
            )
        return row is not None

    async def run_batch(self) -> int:
        """Claim a batch and send it; returns the number of rows claimed."""
        async with self.sessions() as session:
            ids = await claim(
                session,
                worker=self.name,
                limit=self.options.batch_size,
                lease=timedelta(seconds=self.options.lease_seconds),
            )
        if ids:
            await asyncio.gather(*(self._guarded(row_id) for row_id in ids))
        return len(ids)

    async def _guarded(self, row_id: int) -> None:
        async with self._slots:
            try:
                await self.process(row_id)
            except Exception:  # one row's surprise must not sink the batch
                log.exception("write-back %s failed unexpectedly", row_id)
                await self._finish(
                    row_id,
                    _Outcome(
                        WriteBackStatus.PENDING,
                        "INTERNAL",
                        "unexpected error in the worker",
                        delay=self.options.base_backoff,
                    ),
                )

    # -- one row ----------------------------------------------------------------------------

    async def process(self, row_id: int) -> None:
        try:
            prepared = await self._prepare(row_id)
            if prepared is None:
                return
            writer = self._writer(prepared.tenant_id, prepared.system)
            result = await self._send(writer, prepared)
        except _Outcome as outcome:
            await self._finish(row_id, outcome)
            return
        await self._applied(prepared, result)

    def _writer(self, tenant_id: str, system: str) -> SystemWriter:
        writers = self._writers.get(tenant_id)
        if writers is None:
            if self._http is None:
                self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0))
            writers = self.writers_factory(self._http, self.tenants.get(tenant_id))
            self._writers[tenant_id] = writers
        writer = writers.get(system)
        if writer is None:
            raise _Outcome(
                WriteBackStatus.FAILED,
                "SYSTEM_NOT_CONFIGURED",
                f"{system} is not configured for tenant {tenant_id!r} (no base URL or "
                "credentials in its tenant file); configure it, then retry this write-back",
            )
        return writer

    async def _prepare(self, row_id: int) -> _Prepared | None:
        async with self.sessions() as session:
            row = await session.get(WriteBack, row_id)
            if row is None or row.claimed_by != self.name or row.status != "IN_FLIGHT":
                return None  # another worker's now (our lease ran out)
            if row.depends_on_id is not None:
                parent = await session.get(WriteBack, row.depends_on_id)
                if parent is not None and parent.status != WriteBackStatus.APPLIED:
                    raise _Outcome(
                        WriteBackStatus.FAILED,
                        "DEPENDENCY_FAILED",
                        f"needs write-back {parent.id} ({parent.system} {parent.action} of "
                        f"{parent.entity_type} {parent.golden_id}), which is {parent.status}; "
                        "retry that one first, then this one",
                    )
            entity_type = EntityType(row.entity_type)
            action, external_id = row.action, row.external_id
            if external_id is None and row.golden_id is not None:
                external_id = await _external_id(
                    session, row.tenant_id, entity_type, row.system, row.golden_id
                )
                if external_id is not None:
                    action = "update"  # a parent's create recorded it since we were planned
            token = None
            if action == "update" and external_id is not None:
                token = await session.scalar(
                    select(SourceRecord.concurrency_token).where(
                        SourceRecord.tenant_id == row.tenant_id,
                        SourceRecord.entity_type == entity_type.value,
                        SourceRecord.system == row.system,
                        SourceRecord.external_id == external_id,
                    )
                )
            fields = await self._system_fields(session, row, entity_type)
            request = WriteRequest(
                entity_type=entity_type,
                action=action,
                external_id=external_id,
                token=token,
                fields=fields,
                idempotency_key=f"crosswalk-{row.tenant_id}-{row.id}",
            )
            return _Prepared(
                row_id=row.id,
                tenant_id=row.tenant_id,
                system=row.system,
                entity_type=entity_type,
                golden_id=row.golden_id,
                request=request,
                base=dict(row.base or {}),
            )

    async def _system_fields(
        self, session: AsyncSession, row: WriteBack, entity_type: EntityType
    ) -> dict[str, Any]:
        """The row's values with references turned into this system's IDs."""
        fields: dict[str, Any] = {}
        for attribute, value in row.fields.items():
            target = REFERENCE_TARGETS.get(attribute)
            if target is None or value is None:
                fields[attribute] = value
                continue
            golden_id = (await golden_store.resolve(session, row.tenant_id, target, int(value))).id
            external = await _external_id(session, row.tenant_id, target, row.system, golden_id)
            if external is None:
                raise _Outcome(
                    WriteBackStatus.FAILED,
                    "NO_SOURCE_RECORD",
                    f"{attribute}: {target.value} {golden_id} has no {row.system} record to "
                    f"point at; create it in {row.system} (or merge it with one that has), "
                    "then retry",
                )
            fields[attribute] = external
        return fields

    async def _send(self, writer: SystemWriter, prepared: _Prepared) -> WriteResult:
        try:
            return await writer.write(prepared.request)
        except StaleToken:
            return await self._reconcile(writer, prepared)
        except (TransientError, PermanentError, ConnectorError, CrosswalkError) as exc:
            raise self._classify(exc) from None

    async def _reconcile(self, writer: SystemWriter, prepared: _Prepared) -> WriteResult:
        """The record changed at the source since we read it: compare field by field."""
        request = prepared.request
        assert request.external_id is not None  # only updates carry a token
        try:
            current = await writer.read(request.entity_type, request.external_id)
        except (ConnectorError, CrosswalkError) as exc:
            raise self._classify(exc) from None
        now_held = _values(current.record)
        pending = [a for a, v in request.fields.items() if not same_value(now_held.get(a), v)]
        if not pending:
            return current  # the source already holds every value (our own earlier attempt)
        changed = [
            a
            for a in pending
            if a in prepared.base and not same_value(now_held.get(a), prepared.base[a])
        ]
        if changed:
            detail = "; ".join(
                f"{a}: was {prepared.base.get(a)!r} when the change was accepted, is now "
                f"{json_value(now_held.get(a))!r} there, the hub wanted {request.fields[a]!r}"
                for a in changed
            )
            raise _Outcome(
                WriteBackStatus.CONFLICT,
                "SOURCE_CHANGED",
                f"{prepared.system} changed the record meanwhile ({detail}); decide which value "
                "wins, then retry or discard this write-back",
            )
        fresh = replace(request, token=current.record.concurrency_token)
        try:
            return await writer.write(fresh)
        except StaleToken:
            raise _Outcome(
                WriteBackStatus.PENDING,
                "STALE_TOKEN",
                f"{prepared.system} changed the record again while we wrote; trying again",
                delay=self.options.base_backoff,
            ) from None
        except (ConnectorError, CrosswalkError) as exc:
            raise self._classify(exc) from None

    def _classify(self, exc: CrosswalkError) -> _Outcome:
        if isinstance(exc, TransientError):
            retry_after = exc.retry_after or 0.0
            return _Outcome(
                WriteBackStatus.PENDING, exc.code, exc.message, delay=max(retry_after, 0.0)
            )
        return _Outcome(WriteBackStatus.FAILED, exc.code, exc.message)

    # -- recording outcomes -----------------------------------------------------------------

    def _backoff(self, attempts: int, at_least: float) -> float:
        ceiling = min(self.options.max_backoff, self.options.base_backoff * 2 ** (attempts - 1))
        return max(at_least, random.uniform(0, ceiling))  # full jitter

    async def _finish(self, row_id: int, outcome: _Outcome) -> None:
        async with self.sessions() as session, session.begin():
            row = await session.get(WriteBack, row_id)
            if row is None or row.claimed_by != self.name or row.status != "IN_FLIGHT":
                return
            now = now_utc()
            status, code, message = outcome.status, outcome.code, outcome.message
            if status == WriteBackStatus.PENDING and row.attempts >= self.options.max_attempts:
                status = WriteBackStatus.FAILED
                message = f"gave up after {row.attempts} attempts; last error: {message}"
            row.status = status
            row.error_code, row.last_error = code, message
            row.claimed_by = row.claimed_until = None
            row.updated_at = now
            if status == WriteBackStatus.PENDING:
                delay = self._backoff(row.attempts, outcome.delay or 0.0)
                row.next_attempt_at = now + timedelta(seconds=delay)
                log.info("write-back %s to %s: %s; retry in %.1fs", row.id, row.system, code, delay)
            else:
                log.warning("write-back %s to %s %s: %s", row.id, row.system, status, message)
                audit.record(
                    session,
                    tenant_id=row.tenant_id,
                    actor=WORKER_ACTOR,
                    actor_role="system",
                    action=f"write_back.{status.lower()}",
                    entity_type=row.entity_type,
                    entity_id=row.golden_id,
                    reason=message,
                    after={"write_back": row.id, "system": row.system, "code": code},
                    only_changes=False,
                )
        if self.telemetry is not None:
            self.telemetry.record_writeback(row.system, status.lower())

    async def _applied(self, prepared: _Prepared, result: WriteResult) -> None:
        config = self.tenants.get(prepared.tenant_id)
        async with self.sessions() as session, session.begin():
            row = await session.get(WriteBack, prepared.row_id)
            if row is None or row.claimed_by != self.name or row.status != "IN_FLIGHT":
                return  # our lease ran out and another worker took it; it will see the same
            golden_id = await _store_confirmed(session, row, prepared, result)
            # A system confirming a change the hub already accepted is not a new version: the
            # mutation counted it, and a caller holding that version must not be told its next
            # change conflicts with its own previous one. The version is left out of this
            # transaction's writes altogether: restoring a value read earlier would undo a
            # mutation accepted in between.
            await golden_store.recompute(
                session,
                prepared.entity_type,
                golden_id,
                config=self._survivorship(config),
                bump_version=False,
            )
            now = now_utc()
            row.status = WriteBackStatus.APPLIED
            row.golden_id = golden_id
            row.external_id = result.external_id
            row.error_code = row.last_error = None
            row.claimed_by = row.claimed_until = None
            row.applied_at = row.updated_at = now
            audit.record(
                session,
                tenant_id=row.tenant_id,
                actor=WORKER_ACTOR,
                actor_role="system",
                action="write_back.applied",
                entity_type=row.entity_type,
                entity_id=golden_id,
                after={
                    "write_back": row.id,
                    "system": row.system,
                    "external_id": result.external_id,
                    **{k: json_value(v) for k, v in prepared.request.fields.items()},
                },
                only_changes=False,
            )
            if prepared.entity_type == EntityType.COST_RATE:
                await _reprice_resource(session, row)
        self.applied += 1
        if self.telemetry is not None:
            self.telemetry.record_writeback(prepared.system, "applied")


# -- helpers --------------------------------------------------------------------------------


async def _external_id(
    session: AsyncSession, tenant_id: str, entity_type: EntityType, system: str, golden_id: int
) -> str | None:
    external: str | None = await session.scalar(
        select(Crosswalk.external_id)
        .where(
            Crosswalk.tenant_id == tenant_id,
            Crosswalk.entity_type == entity_type.value,
            Crosswalk.system == system,
            Crosswalk.golden_id == golden_id,
        )
        .order_by(Crosswalk.id)
        .limit(1)
    )
    return external


def _values(record: MappedRecord) -> dict[str, Any]:
    """A mapped record's attributes, with references as the system's IDs under their
    attribute names (`client_id` ref -> `client`), as WriteRequest.fields carries them."""
    values = dict(record.attributes)
    for column, ref in record.refs.items():
        values[column.removesuffix("_id")] = ref.external_id
    return values


async def _store_confirmed(
    session: AsyncSession, row: WriteBack, prepared: _Prepared, result: WriteResult
) -> int:
    """Save the system's copy as the source record (and the crosswalk of a create); returns
    the golden ID it belongs to (a new golden record for a cost rate created in payroll)."""
    kind = prepared.entity_type.value
    source = await session.scalar(
        select(SourceRecord).where(
            SourceRecord.tenant_id == row.tenant_id,
            SourceRecord.entity_type == kind,
            SourceRecord.system == row.system,
            SourceRecord.external_id == result.external_id,
        )
    )
    golden_id = row.golden_id
    if source is not None:
        golden_id = source.golden_id
    elif golden_id is None:
        golden_id = await _new_golden(session, row, result)
    record = result.record
    attributes = stored_attributes(record)
    token = None if record.concurrency_token is None else str(record.concurrency_token)
    now = datetime.now(UTC)
    if source is None:
        session.add(
            SourceRecord(
                tenant_id=row.tenant_id,
                entity_type=kind,
                golden_id=golden_id,
                system=row.system,
                external_id=result.external_id,
                payload=result.payload,
                attributes=attributes,
                source_updated_at=record.source_updated_at,
                fetched_at=now,
                concurrency_token=token,
                deleted=False,
            )
        )
    else:
        source.payload, source.attributes = result.payload, attributes
        source.source_updated_at, source.fetched_at = record.source_updated_at, now
        source.concurrency_token, source.deleted = token, False
    has_crosswalk = await session.scalar(
        select(Crosswalk.id).where(
            Crosswalk.tenant_id == row.tenant_id,
            Crosswalk.entity_type == kind,
            Crosswalk.system == row.system,
            Crosswalk.external_id == result.external_id,
        )
    )
    if has_crosswalk is None:
        session.add(
            Crosswalk(
                tenant_id=row.tenant_id,
                entity_type=kind,
                system=row.system,
                external_id=result.external_id,
                golden_id=golden_id,
            )
        )
    await session.flush()
    return golden_id


async def _new_golden(session: AsyncSession, row: WriteBack, result: WriteResult) -> int:
    """A golden record for what a system created on our behalf without one in the hub yet
    (a payroll cost rate): its columns from the write, references as golden IDs."""
    model = golden_store.model_for(row.entity_type)
    columns = set(model.__table__.c.keys())
    values: dict[str, Any] = dict(REQUIRED_DEFAULTS.get(EntityType(row.entity_type), {}))
    for attribute, value in row.fields.items():
        column = f"{attribute}_id" if attribute in REFERENCE_TARGETS else attribute
        if column in columns:
            values[column] = golden_store.as_column(model, column, value)
    golden = model(tenant_id=row.tenant_id, **values)
    session.add(golden)
    await session.flush()
    return int(golden.id)


async def _reprice_resource(session: AsyncSession, row: WriteBack) -> None:
    """A new cost rate changes the cost of that person's time from its effective date."""
    from golden_records.pricing import reprice

    resource = row.fields.get("resource")
    if resource is not None:
        await reprice(session, row.tenant_id, resource_ids=[int(resource)])
