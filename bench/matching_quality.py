"""Matching quality against the sandbox's answer key: pairwise precision, recall and F1.

Renders the default sandbox firm and measures it twice, against the answer key (which the
matcher never sees):

- store: serves the five emulators in-process, syncs them into a temporary SQLite database
  (hub/sync.py), runs what follows every sync (hub/refresh.py: incremental matching, merges,
  survivorship), and scores the golden records the store built: source records grouped by
  golden ID. This is what a tenant gets.
- memory (`--memory`, on by default): maps every system's records with the connectors' own
  mapping functions and clusters each entity type in memory (golden_records.matching.cluster).

Prints JSON lines for bench/run.py ({"bench": "matching_quality", "name", "value", "unit",
"target", "met", ...}) and a table per measurement.
Usage: python bench/matching_quality.py [--seed 7] [--scale 1.0] [--no-memory] [--no-store]
                                        [--show-errors N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench._common import emit as emit_line  # noqa: E402
from connectors import bamboohr, gusto, harvest, quickbooks, salesforce  # noqa: E402
from connectors.base import MappedRecord  # noqa: E402
from connectors.sandbox.apps import CREDENTIALS, create_sandbox_apps, mount_sandbox  # noqa: E402
from connectors.sandbox.firm import generate_firm  # noqa: E402
from connectors.sandbox.render import SandboxData, render_firm  # noqa: E402
from golden_records.canonical import EntityType  # noqa: E402
from golden_records.matching import Scorer, cluster  # noqa: E402
from golden_records.matching.config import DEFAULT_CONFIG  # noqa: E402
from golden_records.matching.prepare import preparer  # noqa: E402
from golden_records.models import DEFAULT_TENANT, SourceRecord, Tenant  # noqa: E402
from hub.db import create_all, create_engine, session_maker  # noqa: E402
from hub.matching_service import MatchRunResult  # noqa: E402
from hub.refresh import refresh_golden_records  # noqa: E402
from hub.sync import connectors_from_credentials, sync  # noqa: E402

E = EntityType
Mapper = Callable[[dict[str, Any]], MappedRecord]

# (system, object) → the entity type its records are and the connector's mapping function.
# QuickBooks customers are clients, or projects when flagged Job.
MAPPERS: dict[tuple[str, str], tuple[EntityType, Mapper]] = {
    ("salesforce", "Account"): (E.CLIENT, salesforce.mapping.map_account),
    ("salesforce", "Opportunity"): (E.PROJECT, salesforce.mapping.map_opportunity),
    ("salesforce", "Contact"): (E.RESOURCE, salesforce.mapping.map_contact),
    ("salesforce", "User"): (E.RESOURCE, salesforce.mapping.map_user),
    ("harvest", "clients"): (E.CLIENT, harvest.mapping.map_client),
    ("harvest", "projects"): (E.PROJECT, harvest.mapping.map_project),
    ("harvest", "users"): (E.RESOURCE, harvest.mapping.map_user),
    ("quickbooks", "Customer"): (E.CLIENT, quickbooks.mapping.map_customer),
    ("bamboohr", "employees"): (E.RESOURCE, bamboohr.mapping.map_employee),
    ("gusto", "employees"): (E.RESOURCE, gusto.mapping.map_employee),
}
TARGETS = {E.CLIENT: 0.97, E.PROJECT: 0.95, E.RESOURCE: 0.97}


def _is_job(record: dict[str, Any]) -> bool:
    return bool(record.get("Job")) or bool(record.get("IsProject"))


def canonical_records(data: SandboxData) -> dict[EntityType, list[dict[str, Any]]]:
    """Every keyed source record as {id, canonical attributes...}; id = system/object/external id.

    A project's `client` is its client's name as the same system spells it: the hub matches
    projects within a client, and each system links projects to its own client records.
    """
    mapped: dict[EntityType, list[tuple[str, str, MappedRecord]]] = {e: [] for e in TARGETS}
    client_names: dict[tuple[str, str], str] = {}
    for (system, obj), (entity, mapper) in MAPPERS.items():
        for native in data.records.get(system, {}).get(obj, []):
            kind, mapping = entity, mapper
            if (system, obj) == ("quickbooks", "Customer") and _is_job(native):
                kind, mapping = E.PROJECT, quickbooks.mapping.map_job
            # Archived and inactive records stay in: the answer key covers them and the hub
            # keeps them as (soft-deleted) source records.
            record = mapping(native)
            mapped[kind].append((system, obj, record))
            if kind is E.CLIENT and record.attributes.get("name"):
                client_names[(system, record.external_id)] = record.attributes["name"]
    out: dict[EntityType, list[dict[str, Any]]] = {}
    for entity, items in mapped.items():
        rows = []
        for system, obj, record in items:
            row = {"id": f"{system}/{obj}/{record.external_id}", **record.attributes}
            client_ref = record.refs.get("client_id")
            if entity is E.PROJECT and client_ref is not None:
                row["client"] = client_names.get((system, client_ref.external_id))
            rows.append(row)
        out[entity] = rows
    return out


def truth(data: SandboxData, entity: EntityType) -> dict[str, str]:
    """Record id → the answer key's cluster (the canonical entity's key)."""
    return {
        f"{ref.system}/{ref.object}/{ref.external_id}": key
        for key, refs in data.answer_key.get(entity, {}).items()
        for ref in refs
    }


def _pairs(groups: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in groups)


def pairwise_scores(
    predicted: dict[str, Any], actual: dict[str, str]
) -> tuple[float, float, float]:
    """Precision, recall and F1 over record pairs, on the records both sides know."""
    ids = [i for i in predicted if i in actual]
    both = Counter((predicted[i], actual[i]) for i in ids)
    true_positive = _pairs(both.values())
    predicted_pairs = _pairs(Counter(predicted[i] for i in ids).values())
    actual_pairs = _pairs(Counter(actual[i] for i in ids).values())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / actual_pairs if actual_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _show_errors(entity: EntityType, records: list[dict[str, Any]], predicted: dict[str, Any],
                 actual: dict[str, str], limit: int) -> None:  # fmt: skip
    """Print some wrongly split and wrongly merged pairs, to tune by (never used in matching)."""
    by_id = {r["id"]: r for r in records}
    prepare = preparer(entity)
    scorer = Scorer(entity, DEFAULT_CONFIG.for_entity(entity))
    by_truth: dict[str, list[str]] = {}
    for record_id, key in actual.items():
        if record_id in by_id:
            by_truth.setdefault(key, []).append(record_id)
    shown = 0
    for members in by_truth.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if predicted[a] != predicted[b] and shown < limit:
                    pair = scorer.explain(prepare(by_id[a]), prepare(by_id[b]))
                    print(f"  missed {pair.score:.3f} {a} ~ {b}: {pair.explain()}")
                    shown += 1
    by_cluster: dict[Any, list[str]] = {}
    for record_id, cluster_id in predicted.items():
        by_cluster.setdefault(cluster_id, []).append(record_id)
    shown = 0
    for members in by_cluster.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if actual.get(a) != actual.get(b) and shown < limit:
                    pair = scorer.explain(prepare(by_id[a]), prepare(by_id[b]))
                    print(f"  wrong  {pair.score:.3f} {a} ~ {b}: {pair.explain()}")
                    shown += 1


def emit(name: str, value: float, unit: str, target: float | None = None) -> None:
    met = None if target is None else value >= target
    emit_line(
        "matching_quality",
        name,
        value,
        unit,
        target=None if target is None else f">= {target}",
        met=met,
    )


Row = tuple[str, int, int, float, float, float, float, float]  # entity .. target, seconds


def print_table(title: str, rows: list[Row]) -> None:
    print(title)
    print(f"{'entity':<10}{'records':>8}{'review':>8}{'precision':>11}{'recall':>8}{'F1':>8}"
          f"{'target':>8}{'seconds':>9}")  # fmt: skip
    for entity, n, review, p, r, f1, target, elapsed in rows:
        flag = "ok" if f1 >= target else "BELOW"
        print(f"{entity:<10}{n:>8}{review:>8}{p:>11.4f}{r:>8.4f}{f1:>8.4f}{target:>8.2f}"
              f"{elapsed:>9.2f}  {flag}")  # fmt: skip


def measure_memory(data: SandboxData, show_errors: int) -> list[Row]:
    """Cluster the mapped records in memory, per entity type, with the default configuration."""
    records = canonical_records(data)
    rows: list[Row] = []
    for entity, target in TARGETS.items():
        items = records[entity]
        started = time.perf_counter()
        result = cluster(entity, items)
        elapsed = time.perf_counter() - started
        actual = truth(data, entity)
        precision, recall, f1 = pairwise_scores(result.cluster_of, actual)
        emit(f"memory_{entity}_precision", round(precision, 4), "ratio")
        emit(f"memory_{entity}_recall", round(recall, 4), "ratio")
        emit(f"memory_{entity}_f1", round(f1, 4), "ratio", target)
        emit(f"memory_{entity}_seconds", round(elapsed, 3), "s")
        rows.append((entity, len(items), len(result.candidates), precision, recall, f1,
                     target, elapsed))  # fmt: skip
        if show_errors:
            _show_errors(entity, items, result.cluster_of, actual, show_errors)
    return rows


def store_truth(data: SandboxData, entity: EntityType) -> dict[str, str]:
    """(system, external ID) as the store keeps it -> the answer key's cluster."""
    return {
        f"{ref.system}/{ref.external_id}": key
        for key, refs in data.answer_key.get(entity, {}).items()
        for ref in refs
    }


async def _sync_and_refresh(
    data: SandboxData, database_url: str
) -> tuple[dict[EntityType, dict[str, int]], dict[EntityType, MatchRunResult], float, float]:
    """Sync the emulators into an empty database and refresh: (each entity type's source
    records -> golden ID, each type's matching pass, sync seconds, refresh seconds)."""
    engine = create_engine(database_url)
    try:
        await create_all(engine)
        sessions = session_maker(engine)
        async with sessions() as session, session.begin():
            session.add(Tenant(id=DEFAULT_TENANT, name="Benchmark firm"))
        app = mount_sandbox(create_sandbox_apps(data))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
            urls = {system: f"http://sandbox/{system}" for system in CREDENTIALS}
            connectors = connectors_from_credentials(http, urls, CREDENTIALS)
            started = time.perf_counter()
            results = await sync(sessions, connectors, tenant_id=DEFAULT_TENANT, full=True)
            synced = time.perf_counter() - started
        failed = [f"{r.system}/{r.stream}: {r.error}" for r in results if r.status != "succeeded"]
        if failed:
            raise SystemExit("sync failed: " + "; ".join(failed))
        started = time.perf_counter()
        matches = await refresh_golden_records(sessions, DEFAULT_TENANT)
        refreshed = time.perf_counter() - started
        clusters: dict[EntityType, dict[str, int]] = {e: {} for e in TARGETS}
        async with sessions() as session:
            found = await session.execute(
                select(
                    SourceRecord.entity_type,
                    SourceRecord.system,
                    SourceRecord.external_id,
                    SourceRecord.golden_id,
                ).where(
                    SourceRecord.tenant_id == DEFAULT_TENANT,
                    SourceRecord.entity_type.in_([e.value for e in TARGETS]),
                )
            )
            for kind, system, external_id, golden_id in found:
                clusters[EntityType(kind)][f"{system}/{external_id}"] = golden_id
        passes = {EntityType(m.entity_type): m for m in matches}
        return clusters, passes, synced, refreshed
    finally:
        await engine.dispose()


def measure_store(data: SandboxData) -> list[Row]:
    """The golden records the hub builds from a full sync: source records grouped by golden ID.

    Times the sync, the whole refresh, and each entity type's matching pass within it
    (comparisons, merges with survivorship, queued candidates).
    """
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'matching.db'}"
        clusters, passes, synced, refreshed = asyncio.run(_sync_and_refresh(data, url))
    emit("store_sync_seconds", round(synced, 3), "s")
    emit("store_refresh_seconds", round(refreshed, 3), "s")
    rows: list[Row] = []
    for entity, target in TARGETS.items():
        predicted = clusters[entity]
        actual = store_truth(data, entity)
        covered = sum(1 for i in predicted if i in actual) / len(predicted) if predicted else 0.0
        precision, recall, f1 = pairwise_scores(predicted, actual)
        emit(f"store_{entity}_precision", round(precision, 4), "ratio")
        emit(f"store_{entity}_recall", round(recall, 4), "ratio")
        emit(f"store_{entity}_f1", round(f1, 4), "ratio", target)
        # Records the answer key does not cover are left out of the scores; say how many.
        emit(f"store_{entity}_key_coverage", round(covered, 4), "ratio")
        emit(f"store_{entity}_seconds", round(passes[entity].seconds, 3), "s")
        rows.append((entity, len(predicted), passes[entity].candidates, precision, recall, f1,
                     target, passes[entity].seconds))  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--show-errors", type=int, default=0, metavar="N")
    parser.add_argument(
        "--memory",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Also cluster the mapped records in memory.",
    )
    parser.add_argument(
        "--store",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Sync and refresh into a temporary database and score its golden records.",
    )
    args = parser.parse_args()

    data = render_firm(generate_firm(seed=args.seed, scale=args.scale), seed=args.seed)
    tables: list[tuple[str, list[Row]]] = []
    if args.store:
        tables.append(("golden records in the store (sync + refresh)", measure_store(data)))
    if args.memory:
        tables.append(("in-memory clustering", measure_memory(data, args.show_errors)))
    for title, rows in tables:
        print_table(title, rows)


if __name__ == "__main__":
    main()
