"""`make bench`: run every benchmark script in bench/, print one table, write bench/results.json.

Each script prints JSON lines {"bench", "name", "value", "unit", "baseline", "ratio"} among
any other output. A script that fails is reported in the table and the run goes on.
Usage: python bench/run.py [NAME ...] [--timeout SECONDS] [--strict]

The whole run is meant to take under 25 minutes on two cores: every script's default size meets
its issue's target size, and the larger optional ones (sync at scale 10) are behind
environment variables the scripts document. A script that hangs is stopped after `--timeout`
(CROSSWALK_BENCH_TIMEOUT, default 15 minutes) so the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# Not benchmarks: this runner, the load test (its own `make load`), and private helpers.
SKIP = {"run", "load"}

# Outside a terminal (CI logs, pipes) rich would wrap the table at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 140)


@dataclass
class ScriptRun:
    script: str
    returncode: int
    seconds: float
    results: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""


def discover(only: list[str]) -> list[Path]:
    scripts = [
        path
        for path in sorted(BENCH_DIR.glob("*.py"))
        if path.stem not in SKIP and not path.stem.startswith("_")
    ]
    if only:
        scripts = [path for path in scripts if path.stem in only]
    return scripts


def parse_results(stdout: str) -> list[dict[str, Any]]:
    results = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and "bench" in entry and "value" in entry:
            results.append(entry)
    return results


def run_script(path: Path, timeout: float) -> ScriptRun:
    env = dict(os.environ)
    # Scripts import bench._common; run them as modules of the repository.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    started = time.perf_counter()
    console.print(f"[bold]running[/] bench/{path.name} …")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", f"bench.{path.stem}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return ScriptRun(
            path.name,
            -1,
            time.perf_counter() - started,
            parse_results(stdout),
            f"timed out after {timeout:.0f}s",
        )
    seconds = time.perf_counter() - started
    console.print(f"  bench/{path.name}: exit {proc.returncode} after {seconds:.0f}s")
    error = ""
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        error = "\n".join(tail)
    return ScriptRun(path.name, proc.returncode, seconds, parse_results(proc.stdout), error)


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render(runs: list[ScriptRun]) -> Table:
    table = Table(title="Crosswalk benchmarks", show_lines=False)
    for column in ("bench", "name", "value", "unit", "baseline", "ratio", "target"):
        justify = "right" if column in ("value", "baseline", "ratio") else "left"
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for run in runs:
        for entry in run.results:
            target = entry.get("target")
            met = entry.get("met")
            style = "red" if met is False else ("green" if met else "")
            table.add_row(
                str(entry.get("bench")),
                str(entry.get("name")),
                _fmt(entry.get("value")),
                str(entry.get("unit", "")),
                _fmt(entry.get("baseline")),
                _fmt(entry.get("ratio")),
                str(target or ""),
                style=style,
            )
        if run.returncode != 0:
            table.add_row(
                run.script,
                "FAILED",
                "",
                "",
                "",
                "",
                run.error.splitlines()[-1][:60] if run.error else f"exit {run.returncode}",
                style="bold red",
            )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="only these scripts (file stems)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=float(os.environ.get("CROSSWALK_BENCH_TIMEOUT", "900")),
        help="per script, in seconds",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a script fails")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results.json")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    runs = [run_script(path, args.timeout) for path in discover(args.names)]
    total = time.perf_counter() - started
    console.print(render(runs))
    console.print(
        "time per script: "
        + ", ".join(f"{run.script} {run.seconds:.0f}s" for run in runs)
        + f"; total {total / 60:.1f} min"
    )
    for run in runs:
        if run.returncode != 0:
            console.print(f"[red]bench/{run.script} failed[/] (exit {run.returncode}):")
            console.print(run.error, markup=False, highlight=False)
    args.output.write_text(
        json.dumps(
            {
                "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                },
                "seconds": round(total, 1),
                "scripts": [
                    {
                        "script": run.script,
                        "returncode": run.returncode,
                        "seconds": round(run.seconds, 2),
                        "error": run.error,
                    }
                    for run in runs
                ],
                "results": [entry for run in runs for entry in run.results],
            },
            indent=2,
        )
        + "\n"
    )
    console.print(f"wrote {args.output}")
    failed = any(run.returncode != 0 for run in runs)
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
