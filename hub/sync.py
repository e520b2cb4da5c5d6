"""Pull each system's changes into the hub: source records, golden records, crosswalks, lineage.

Until matching exists every new source record gets a golden record of its own (or the one its
crosswalk already names), with rule "single_source". Pages are applied in one transaction each,
with a bounded number of statements per page, and a re-run over unchanged data writes nothing
but its run log.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Date, Numeric, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connectors.base import Connector, MappedRecord, Ref, Stream, SyncState
from golden_records import golden_store
from golden_records.canonical import EntityType
from golden_records.errors import ConfigurationError
from golden_records.matching.config import MATCHABLE
from golden_records.models import GOLDEN_MODELS, Crosswalk, GoldenRecord, Lineage, SourceRecord
from golden_records.survivorship import DEFAULT_SURVIVORSHIP, SurvivorshipConfig
from golden_records.systems import get_system
from hub.sync_models import SyncCursor, SyncRun
from hub.tenants import SystemConfig, TenantConfig

log = logging.getLogger(__name__)

RULE = "single_source"
REFS_KEY = "_refs"  # in SourceRecord.attributes: {column: {"entity_type", "external_id"}}
DEFAULT_CURRENCY = "USD"

# What a golden record gets for a NOT NULL column its only source does not fill.
REQUIRED_DEFAULTS: dict[EntityType, dict[str, Any]] = {
    EntityType.CLIENT: {"name": "(unnamed)", "status": "ACTIVE", "currency": DEFAULT_CURRENCY},
    EntityType.PROJECT: {
        "name": "(unnamed)",
        "status": "ACTIVE",
        "billing_type": "TIME_AND_MATERIALS",
        "currency": DEFAULT_CURRENCY,
    },
    EntityType.RESOURCE: {
        "given_name": "",
        "family_name": "",
        "employment_type": "EMPLOYEE",
        "status": "ACTIVE",
        "currency": DEFAULT_CURRENCY,
        "skills": [],
    },
    EntityType.ASSIGNMENT: {},
    EntityType.TIME_ENTRY: {"billable": False, "approval_state": "DRAFT", "hours": Decimal(0)},
    EntityType.INVOICE: {
        "currency": DEFAULT_CURRENCY,
        "status": "DRAFT",
        "total_amount": Decimal(0),
        "balance": Decimal(0),
    },
    EntityType.PAYMENT: {"currency": DEFAULT_CURRENCY, "amount": Decimal(0)},
    EntityType.COST_RATE: {"currency": DEFAULT_CURRENCY, "hourly_cost": Decimal(0)},
}

Progress = Callable[[str, str, int], None]  # (system, stream, records fetched so far)


@dataclass(slots=True)
class SyncRunResult:
    system: str
    stream: str
    status: str  # succeeded, failed
    run_id: int
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0  # records whose required references are not in the hub (retried next run)
    error: str | None = None


@dataclass(slots=True)
class _Pending:
    """A nullable reference left empty because its target was not synced yet."""

    model: type[GoldenRecord]
    golden_id: int
    column: str
    ref: Ref
    source_record_id: int


@dataclass(slots=True)
class _SystemRun:
    system: str
    tenant_id: str
    survivorship: SurvivorshipConfig = DEFAULT_SURVIVORSHIP
    pending: list[_Pending] = field(default_factory=list)


async def sync(
    sessions: async_sessionmaker[AsyncSession],
    connectors: Iterable[Connector],
    *,
    tenant_id: str,
    systems: Sequence[str] | None = None,
    full: bool = False,
    progress: Progress | None = None,
    survivorship: SurvivorshipConfig = DEFAULT_SURVIVORSHIP,
) -> list[SyncRunResult]:
    """Sync every stream of every connector (or of `systems`), incrementally from the stored
    bookmarks unless `full`. A failing stream is recorded as failed and the others still run.
    `survivorship` (the tenant's) decides golden values where several sources hold a record."""
    wanted = None if systems is None else {get_system(s).name for s in systems}
    results: list[SyncRunResult] = []
    for connector in connectors:
        if wanted is not None and connector.system not in wanted:
            continue
        state = await _load_state(sessions, tenant_id, connector.system)
        run = _SystemRun(connector.system, tenant_id, survivorship)
        for stream in connector.streams:
            results.append(
                await _sync_stream(sessions, connector, stream, run, state, full, progress)
            )
        if run.pending:
            async with sessions() as session, session.begin():
                await _resolve_pending(session, run)
    return results


async def _load_state(
    sessions: async_sessionmaker[AsyncSession], tenant_id: str, system: str
) -> SyncState:
    async with sessions() as session:
        rows = await session.scalars(
            select(SyncCursor).where(SyncCursor.tenant_id == tenant_id, SyncCursor.system == system)
        )
        return SyncState({r.stream: _aware(r.cursor) for r in rows if r.cursor is not None})


def _aware(value: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _sync_stream(
    sessions: async_sessionmaker[AsyncSession],
    connector: Connector,
    stream: Stream,
    run: _SystemRun,
    state: SyncState,
    full: bool,
    progress: Progress | None,
) -> SyncRunResult:
    async with sessions() as session, session.begin():
        row = SyncRun(
            tenant_id=run.tenant_id,
            system=run.system,
            stream=stream.name,
            full=full,
            status="running",
            started_at=datetime.now(UTC),
        )
        session.add(row)
    result = SyncRunResult(run.system, stream.name, "running", row.id)
    since = None if full else state.get(stream.name)
    newest: datetime | None = None
    try:
        async for page in connector.pages(stream, since):
            mapped = [stream.map(record) for record in page.records]
            result.fetched += len(mapped)
            async with sessions() as session, session.begin():
                await _apply_page(session, run, stream.entity_type, page.records, mapped, result)
            stamps = [m.source_updated_at for m in mapped if m.source_updated_at is not None]
            if stamps and (newest is None or max(stamps) > newest):
                newest = max(stamps)
            if progress is not None:
                progress(run.system, stream.name, result.fetched)
        result.status = "succeeded"
    except Exception as exc:  # recorded on the run; the other streams still sync
        log.exception("sync of %s/%s failed", run.system, stream.name)
        result.status = "failed"
        result.error = f"{type(exc).__name__}: {exc}"
    async with sessions() as session, session.begin():
        stored = await session.get(SyncRun, row.id)
        assert stored is not None
        stored.status = result.status
        stored.finished_at = datetime.now(UTC)
        for name in ("fetched", "created", "updated", "unchanged", "deleted", "skipped"):
            setattr(stored, name, getattr(result, name))
        stored.error = result.error
        if result.status == "succeeded" and newest is not None:
            state.advance(stream.name, newest)
            await _save_cursor(session, run, stream.name, state.get(stream.name))
    return result


async def _save_cursor(
    session: AsyncSession, run: _SystemRun, stream: str, cursor: datetime | None
) -> None:
    existing = await session.scalar(
        select(SyncCursor).where(
            SyncCursor.tenant_id == run.tenant_id,
            SyncCursor.system == run.system,
            SyncCursor.stream == stream,
        )
    )
    if existing is None:
        session.add(
            SyncCursor(tenant_id=run.tenant_id, system=run.system, stream=stream, cursor=cursor)
        )
    elif existing.cursor is None or _aware(existing.cursor) != cursor:
        existing.cursor = cursor
        existing.updated_at = datetime.now(UTC)


# --- applying one page ------------------------------------------------------------------------


def stored_attributes(record: MappedRecord) -> dict[str, Any]:
    refs = {
        column: {"entity_type": str(ref.entity_type), "external_id": ref.external_id}
        for column, ref in sorted(record.refs.items())
    }
    return {**record.attributes, REFS_KEY: refs}


def _token(record: MappedRecord) -> str | None:
    return None if record.concurrency_token is None else str(record.concurrency_token)


async def _apply_page(
    session: AsyncSession,
    run: _SystemRun,
    entity_type: EntityType,
    raws: list[dict[str, Any]],
    mapped: list[MappedRecord],
    result: SyncRunResult,
) -> None:
    # The same record can appear twice in a page (pages over a moving dataset): keep the last.
    by_id: dict[str, tuple[dict[str, Any], MappedRecord]] = {}
    for raw, record in zip(raws, mapped, strict=True):
        by_id[record.external_id] = (raw, record)
    result.unchanged += len(mapped) - len(by_id)
    existing = {
        sr.external_id: sr
        for sr in await session.scalars(
            select(SourceRecord).where(
                SourceRecord.tenant_id == run.tenant_id,
                SourceRecord.entity_type == str(entity_type),
                SourceRecord.system == run.system,
                SourceRecord.external_id.in_(list(by_id)),
            )
        )
    }
    model = GOLDEN_MODELS[entity_type]
    resolved = await _resolve_refs(session, run, [m for _, m in by_id.values()])
    now = datetime.now(UTC)

    new: list[tuple[dict[str, Any], MappedRecord]] = []
    changed: list[tuple[SourceRecord, MappedRecord]] = []
    for external_id, (raw, record) in by_id.items():
        source = existing.get(external_id)
        if source is None:
            if record.deleted and not record.attributes:
                result.unchanged += 1  # a tombstone for something we never had
            else:
                new.append((raw, record))
            continue
        attributes = stored_attributes(record) if record.attributes else source.attributes
        if (
            source.payload == raw
            and source.attributes == attributes
            and source.deleted == record.deleted
            and source.concurrency_token == _token(record)
        ):
            result.unchanged += 1
            continue
        newly_deleted = record.deleted and not source.deleted
        source.payload = raw
        source.attributes = attributes
        source.deleted = record.deleted
        source.concurrency_token = _token(record)
        source.source_updated_at = record.source_updated_at or source.source_updated_at
        source.fetched_at = now
        if newly_deleted:
            result.deleted += 1
        else:
            result.updated += 1
        if record.attributes:
            changed.append((source, record))

    await _create(session, run, entity_type, model, new, resolved, result, now)
    await _refresh_goldens(session, run, entity_type, model, changed, resolved, now)


async def _resolve_refs(
    session: AsyncSession, run: _SystemRun, records: Iterable[MappedRecord]
) -> dict[tuple[str, str], int]:
    """(entity type, external ID) -> golden ID, through this system's crosswalks."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for record in records:
        for ref in record.refs.values():
            wanted[str(ref.entity_type)].add(ref.external_id)
    found: dict[tuple[str, str], int] = {}
    for entity_type, ids in wanted.items():
        rows = await session.execute(
            select(Crosswalk.external_id, Crosswalk.golden_id).where(
                Crosswalk.tenant_id == run.tenant_id,
                Crosswalk.entity_type == entity_type,
                Crosswalk.system == run.system,
                Crosswalk.external_id.in_(sorted(ids)),
            )
        )
        for external_id, golden_id in rows:
            found[(entity_type, external_id)] = golden_id
    return found


def _column_values(model: type[GoldenRecord], attributes: dict[str, Any]) -> dict[str, Any]:
    """Mapped attributes (JSON-safe strings) as the golden model's column types."""
    table = model.__table__
    values: dict[str, Any] = {}
    for name, value in attributes.items():
        column = table.c.get(name)
        if column is None or value is None:
            continue
        if isinstance(column.type, Date) and isinstance(value, str):
            value = date.fromisoformat(value)
        elif isinstance(column.type, Numeric) and not isinstance(value, Decimal):
            value = Decimal(str(value))
        values[name] = value
    return values


def _nullable(model: type[GoldenRecord], column: str) -> bool:
    return bool(model.__table__.c[column].nullable)


async def _create(
    session: AsyncSession,
    run: _SystemRun,
    entity_type: EntityType,
    model: type[GoldenRecord],
    new: list[tuple[dict[str, Any], MappedRecord]],
    resolved: dict[tuple[str, str], int],
    result: SyncRunResult,
    now: datetime,
) -> None:
    if not new:
        return
    # A crosswalk may already name the golden record (a re-created source record, a merge).
    known = {
        external_id: golden_id
        for external_id, golden_id in await session.execute(
            select(Crosswalk.external_id, Crosswalk.golden_id).where(
                Crosswalk.tenant_id == run.tenant_id,
                Crosswalk.entity_type == str(entity_type),
                Crosswalk.system == run.system,
                Crosswalk.external_id.in_([m.external_id for _, m in new]),
            )
        )
    }
    golden_rows: dict[str, dict[str, Any]] = {}
    pending: list[tuple[str, str, Ref]] = []
    kept: list[tuple[dict[str, Any], MappedRecord]] = []
    for raw, record in new:
        values = _column_values(model, record.attributes)
        missing_required = False
        for column, ref in record.refs.items():
            if column not in model.__table__.c:
                continue
            golden_id = resolved.get((str(ref.entity_type), ref.external_id))
            if golden_id is not None:
                values[column] = golden_id
            elif _nullable(model, column):
                pending.append((record.external_id, column, ref))
            else:
                missing_required = True
        if missing_required:
            result.skipped += 1
            continue
        kept.append((raw, record))
        if record.external_id not in known:
            golden_rows[record.external_id] = values
    # Bulk INSERT ... RETURNING (one statement per page and table), not one per object.
    golden_ids = await _insert_returning(
        session,
        model,
        [
            {
                "tenant_id": run.tenant_id,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                **REQUIRED_DEFAULTS[entity_type],
                **values,
            }
            for values in golden_rows.values()
        ],
    )
    new_golden = dict(zip(golden_rows, golden_ids, strict=True))
    source_rows = [
        {
            "tenant_id": run.tenant_id,
            "entity_type": str(entity_type),
            "golden_id": known.get(record.external_id) or new_golden[record.external_id],
            "system": run.system,
            "external_id": record.external_id,
            "payload": raw,
            "attributes": stored_attributes(record),
            "source_updated_at": record.source_updated_at,
            "fetched_at": now,
            "concurrency_token": _token(record),
            "deleted": record.deleted,
        }
        for raw, record in kept
    ]
    source_ids = dict(
        zip(
            (r["external_id"] for r in source_rows),
            await _insert_returning(session, SourceRecord, source_rows),
            strict=True,
        )
    )
    result.created += len(source_rows)
    crosswalk_rows = [
        {
            "tenant_id": run.tenant_id,
            "entity_type": str(entity_type),
            "system": run.system,
            "external_id": r["external_id"],
            "golden_id": r["golden_id"],
            "created_at": now,
        }
        for r in source_rows
        if r["external_id"] not in known
    ]
    if crosswalk_rows:
        await session.execute(insert(_table(Crosswalk)), crosswalk_rows)
    lineage_rows = [
        {
            "tenant_id": run.tenant_id,
            "entity_type": str(entity_type),
            "golden_id": new_golden[external_id],
            "attribute": column,
            "source_record_id": source_ids[external_id],
            "rule": RULE,
            "updated_at": now,
        }
        for external_id, values in golden_rows.items()
        for column in sorted(values)
    ]
    if lineage_rows:
        await session.execute(insert(_table(Lineage)), lineage_rows)
    for external_id, column, ref in pending:
        if external_id in new_golden:
            run.pending.append(
                _Pending(model, new_golden[external_id], column, ref, source_ids[external_id])
            )


async def _insert_returning(
    session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert `rows` in one executemany-style statement; the new IDs, in the rows' order."""
    if not rows:
        return []
    columns = sorted({key for row in rows for key in row})
    # Every row needs the same keys to batch; an absent value is a NULL.
    uniform = [{c: row.get(c) for c in columns} for row in rows]
    if session.get_bind().dialect.name == "sqlite":
        return await _insert_consecutive(session, model, uniform)
    result = await session.scalars(
        insert(model).returning(model.id, sort_by_parameter_order=True), uniform
    )
    return list(result.all())


def _table(model: type[Any]) -> Table:
    """The Core table of a model: bulk inserts through it skip the ORM's per-row bookkeeping."""
    return cast(Table, model.__table__)


async def _insert_consecutive(
    session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]
) -> list[int]:
    """SQLite: one plain executemany, then the IDs it must have assigned. SQLAlchemy cannot
    batch an ordered RETURNING on SQLite and sends one statement per row (the sync spent 85% of
    its time there). Our first INSERT took the database's only write lock, held until commit,
    so nobody else inserts in between and SQLite numbers the new rows max(id)+1, +2, ..."""
    await session.execute(insert(_table(model)), rows)
    last = await session.scalar(select(func.max(model.id)))
    assert last is not None
    return list(range(last - len(rows) + 1, last + 1))


async def _refresh_goldens(
    session: AsyncSession,
    run: _SystemRun,
    entity_type: EntityType,
    model: type[GoldenRecord],
    changed: list[tuple[SourceRecord, MappedRecord]],
    resolved: dict[tuple[str, str], int],
    now: datetime,
) -> None:
    """Bring golden records up to date with their changed source records.

    A golden record with one live source takes the changed values directly (the fast path for
    most records, time entries above all). One with several sources (merged) runs survivorship
    again: a changed value may now win (most recent) or lose an attribute it held."""
    if not changed:
        return
    merged = await _with_several_sources(
        session, run.tenant_id, entity_type, {source.golden_id for source, _ in changed}
    )
    for golden_id in sorted(merged):
        await golden_store.recompute(session, entity_type, golden_id, config=run.survivorship)
    changed = [(source, record) for source, record in changed if source.golden_id not in merged]
    if not changed:
        return
    by_source = {source.id: (source, record) for source, record in changed}
    owned: dict[int, list[Lineage]] = defaultdict(list)
    for lineage in await session.scalars(
        select(Lineage).where(
            Lineage.tenant_id == run.tenant_id,
            Lineage.entity_type == str(entity_type),
            Lineage.source_record_id.in_(list(by_source)),
        )
    ):
        owned[lineage.source_record_id or 0].append(lineage)
    goldens = {
        g.id: g
        for g in await session.scalars(
            select(model).where(model.id.in_([s.golden_id for s, _ in changed]))
        )
    }
    for source_id, (source, record) in by_source.items():
        golden = goldens.get(source.golden_id)
        if golden is None:
            continue
        values = _column_values(model, record.attributes)
        for column, ref in record.refs.items():
            if column in model.__table__.c:
                values[column] = resolved.get((str(ref.entity_type), ref.external_id))
        dirty = False
        for lineage in owned.get(source_id, []):
            column = lineage.attribute
            new_value = values.get(column, REQUIRED_DEFAULTS[entity_type].get(column))
            if new_value is None and not _nullable(model, column):
                continue
            if getattr(golden, column) != new_value:
                setattr(golden, column, new_value)
                lineage.updated_at = now
                dirty = True
        if dirty:
            golden.version += 1
            golden.updated_at = now


async def _with_several_sources(
    session: AsyncSession, tenant_id: str, entity_type: EntityType, golden_ids: set[int]
) -> set[int]:
    """Those of `golden_ids` that more than one live source record makes up."""
    if entity_type not in MATCHABLE:  # only matched types are ever merged
        return set()
    rows = await session.execute(
        select(SourceRecord.golden_id)
        .where(
            SourceRecord.tenant_id == tenant_id,
            SourceRecord.entity_type == str(entity_type),
            SourceRecord.golden_id.in_(golden_ids),
            SourceRecord.deleted.is_(False),
        )
        .group_by(SourceRecord.golden_id)
        .having(func.count() > 1)
    )
    return {int(golden_id) for (golden_id,) in rows}


async def _resolve_pending(session: AsyncSession, run: _SystemRun) -> None:
    """Fill the references left empty because their target arrived later in the run."""
    records = [MappedRecord("", {}, refs={"x": p.ref}) for p in run.pending]
    resolved = await _resolve_refs(session, run, records)
    by_model: dict[type[GoldenRecord], list[_Pending]] = defaultdict(list)
    for pending in run.pending:
        by_model[pending.model].append(pending)
    for model, items in by_model.items():
        goldens = {
            g.id: g
            for g in await session.scalars(
                select(model).where(model.id.in_({p.golden_id for p in items}))
            )
        }
        for pending in items:
            golden_id = resolved.get((str(pending.ref.entity_type), pending.ref.external_id))
            golden = goldens.get(pending.golden_id)
            if golden_id is None or golden is None:
                continue
            setattr(golden, pending.column, golden_id)
            session.add(
                Lineage(
                    tenant_id=run.tenant_id,
                    entity_type=str(model.entity_type),
                    golden_id=golden.id,
                    attribute=pending.column,
                    source_record_id=pending.source_record_id,
                    rule=RULE,
                )
            )
    run.pending.clear()


def connectors_from_credentials(
    http: Any,
    base_urls: dict[str, str],
    credentials: dict[str, dict[str, str]],
    **client_options: Any,
) -> list[Connector]:
    """One connector per system in `base_urls`, in dependency-friendly order (people first).

    `credentials[system]` holds: salesforce access_token (+ api_version); harvest access_token,
    account_id; quickbooks access_token, realm_id; bamboohr api_key, company_domain; gusto
    access_token, company_uuid. `http` is the shared `httpx.AsyncClient`.
    """
    from connectors.bamboohr import BambooHRClient, BambooHRConnector
    from connectors.gusto import GustoClient, GustoConnector
    from connectors.harvest import HarvestClient, HarvestConnector
    from connectors.quickbooks import QuickBooksClient, QuickBooksConnector
    from connectors.salesforce import SalesforceClient, SalesforceConnector

    built: list[Connector] = []
    for system in ("bamboohr", "gusto", "salesforce", "harvest", "quickbooks"):
        if system not in base_urls:
            continue
        url, creds = base_urls[system].rstrip("/"), credentials[system]
        if system == "salesforce":
            built.append(
                SalesforceConnector(
                    SalesforceClient(
                        http,
                        url,
                        creds["access_token"],
                        api_version=creds.get("api_version", "v59.0"),
                        **client_options,
                    )
                )
            )
        elif system == "harvest":
            built.append(
                HarvestConnector(
                    HarvestClient(
                        http, url, creds["access_token"], creds["account_id"], **client_options
                    )
                )
            )
        elif system == "quickbooks":
            built.append(
                QuickBooksConnector(
                    QuickBooksClient(
                        http, url, creds["access_token"], creds["realm_id"], **client_options
                    )
                )
            )
        elif system == "bamboohr":
            built.append(
                BambooHRConnector(
                    BambooHRClient(
                        http,
                        f"{url}/api/gateway.php/{creds['company_domain']}",
                        creds["api_key"],
                        **client_options,
                    )
                )
            )
        else:
            built.append(
                GustoConnector(
                    GustoClient(
                        http, url, creds["access_token"], creds["company_uuid"], **client_options
                    )
                )
            )
    return built


def configured_systems(config: TenantConfig) -> dict[str, SystemConfig]:
    """The tenant's enabled systems that name a base URL: the ones a sync can reach."""
    return {
        name: system
        for name, system in config.systems.items()
        if system.enabled and system.base_url is not None
    }


def tenant_connectors(http: Any, config: TenantConfig, **client_options: Any) -> list[Connector]:
    """The connectors for a tenant's configured systems (base URLs and credentials from its
    configuration file); `client_options` go to every client (retry policy, timeout)."""
    systems = configured_systems(config)
    credentials = {
        name: {key: value.get_secret_value() for key, value in system.credentials.items()}
        for name, system in systems.items()
    }
    try:
        return connectors_from_credentials(
            http,
            {name: str(system.base_url) for name, system in systems.items()},
            credentials,
            **client_options,
        )
    except KeyError as exc:  # a credential the system's client needs is not in the file
        missing = next(n for n, c in credentials.items() if exc.args[0] not in c)
        raise ConfigurationError(
            f"tenant {config.id!r}: systems.{missing}.credentials.{exc.args[0]} is missing"
        ) from None
