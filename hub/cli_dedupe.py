"""`crosswalk dedupe`: find the duplicates in a CSV of clients, projects or people."""

from __future__ import annotations

import csv
import enum
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from golden_records.matching import FIELDS, ScoredPair, cluster, find_pairs


class Entity(enum.StrEnum):
    client = "client"
    project = "project"
    resource = "resource"


class DedupeInputError(Exception):
    """The input cannot be deduplicated; the message is the one line the user sees."""


def _fields_help() -> str:
    lines = "\n\n".join(f"{entity}: {', '.join(fields)}" for entity, fields in FIELDS.items())
    return (
        "Find duplicate records in FILE (CSV with a header row and an `id` column) and write "
        "`id,cluster_id` for every row (a row's cluster id is the id of its cluster's first "
        "row), or the scored pairs with --pairs.\n\n"
        f"Canonical field names per entity type:\n\n{lines}"
    )


def parse_mappings(columns: list[str]) -> dict[str, str]:
    """`SRC=canonical` options → {SRC: canonical}."""
    mapping: dict[str, str] = {}
    for option in columns:
        source, sep, canonical = option.partition("=")
        if not sep or not source.strip() or not canonical.strip():
            raise DedupeInputError(f"--column {option!r} is not of the form SRC=canonical")
        mapping[source.strip()] = canonical.strip()
    return mapping


def read_records(
    stream: IO[str], entity: str, mapping: dict[str, str], warn: Any
) -> list[dict[str, Any]]:
    """Rows of a CSV as canonical records, unknown columns dropped (with one warning)."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise DedupeInputError("the file is empty: expected a header row with an `id` column")
    allowed = set(FIELDS[entity]) | {"id"}
    bad_targets = sorted(set(mapping.values()) - allowed)
    if bad_targets:
        raise DedupeInputError(
            f"--column maps to unknown {entity} field(s) {', '.join(bad_targets)}; "
            f"known: id, {', '.join(FIELDS[entity])}"
        )
    targets: list[str | None] = []
    unknown: list[str] = []
    for name in (h.strip().lstrip("\ufeff") for h in header):
        target = mapping.get(name, name)
        if target in allowed:
            targets.append(target)
        else:
            targets.append(None)
            unknown.append(name)
    if "id" not in targets:
        raise DedupeInputError(
            f"no `id` column (columns: {', '.join(header)}); name one `id` or map it with "
            "--column SRC=id"
        )
    if unknown:
        warn(f"ignoring unknown column(s) for {entity}: {', '.join(unknown)}")
    used = [(i, t) for i, t in enumerate(targets) if t is not None]
    records = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        records.append({t: row[i].strip() if i < len(row) else "" for i, t in used})
    if not records:
        raise DedupeInputError("the file has a header but no rows")
    seen: set[str] = set()
    for record in records:
        if not record["id"]:
            raise DedupeInputError("a row has an empty `id`")
        if record["id"] in seen:
            raise DedupeInputError(f"duplicate id {record['id']!r}: ids must be unique")
        seen.add(record["id"])
    return records


def _explanation(pair: ScoredPair) -> str:
    return json.dumps([asdict(e) for e in pair.explanation], default=str, separators=(",", ":"))


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
    else:
        with path.open("w", newline="", encoding="utf-8") as handle:
            yield handle


def dedupe(
    file: Annotated[
        Path,
        typer.Argument(help="CSV file with a header row and an `id` column.", show_default=False),
    ],
    entity: Annotated[Entity, typer.Option("--entity", "-e", help="What the rows are.")],
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            "-c",
            help="Map a CSV column to a canonical field: SRC=canonical (repeatable).",
            metavar="SRC=FIELD",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    pairs: Annotated[
        bool,
        typer.Option(
            "--pairs", help="Write scored pairs (id_a,id_b,score,decision,explanation) instead."
        ),
    ] = False,
) -> None:
    err = Console(stderr=True)
    try:
        mapping = parse_mappings(column or [])
        if not file.is_file():
            raise DedupeInputError(f"{file}: no such file")
        with file.open(newline="", encoding="utf-8-sig") as stream:
            records = read_records(
                stream,
                entity.value,
                mapping,
                lambda m: err.print(f"[yellow]warning:[/] {m}", soft_wrap=True),
            )
    except (DedupeInputError, UnicodeDecodeError, csv.Error) as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} pairs compared"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(f"Matching {len(records):,} {entity.value} records", total=None)

        def report(stage: str, amount: int) -> None:
            if stage == "compared":
                progress.update(task, advance=amount)

        # Match first, write after: a failed run leaves no half-written output behind.
        if pairs:
            found = sorted(
                find_pairs(entity.value, records, progress=report), key=lambda p: -p.score
            )
        else:
            result = cluster(entity.value, records, progress=report)

    with _output(output) as out:
        writer = csv.writer(out, lineterminator="\n")
        if pairs:
            writer.writerow(["id_a", "id_b", "score", "decision", "explanation"])
            writer.writerows(
                [p.id_a, p.id_b, f"{p.score:.4f}", p.decision.value, _explanation(p)] for p in found
            )
            summary = f"{len(found):,} scored pairs"
        else:
            writer.writerow(["id", "cluster_id"])
            writer.writerows((r["id"], result.cluster_of[r["id"]]) for r in records)
            clusters = len(set(result.cluster_of.values()))
            summary = (
                f"{len(records):,} records in {clusters:,} clusters; "
                f"{len(result.candidates):,} pairs to review"
            )
    err.print(f"[green]done:[/] {summary}", highlight=False)


dedupe.__doc__ = _fields_help()

app = typer.Typer(add_completion=False)
app.command("dedupe")(dedupe)


if __name__ == "__main__":
    app()
