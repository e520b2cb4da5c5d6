"""Bench `crosswalk dedupe` on 100,000 generated person records, and its blocking's recall.

Prints JSON lines {"bench": "dedupe", "name", "value", "unit", "target"} and a summary.
Usage: python bench/dedupe.py [--records 100000] [--sample 5000] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from golden_records.matching import DEFAULT_CONFIG  # noqa: E402
from golden_records.matching.blocking import candidate_pairs  # noqa: E402
from golden_records.matching.prepare import prepare_resource  # noqa: E402
from golden_records.matching.scoring import Scorer  # noqa: E402

GIVEN = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony "
    "Sandra Mark Ashley Steven Emily Andrew Michelle Joshua Amanda Kevin Melissa Brian "
    "Stephanie George Rebecca Timothy Laura Jason Emma Ryan Olivia Jacob Sophie Nicholas Chloe "
    "Eric Hannah Jonathan Grace Samuel Lucy Benjamin Charlotte Oliver Amelia Lukas Lena Felix "
    "Anna Jonas Marie Leon Mia Paul Clara Louis Camille Hugo Manon Arthur Léa Raphaël Inès "
    "Priya Arjun Wei Mei Hiroshi Yuki Carlos Sofia Diego Lucía Omar Fatima Aisha Noah Liam Ava "
    "Ethan Isabella Zoe Nathan Maya Aiden Nora Connor Katherine Margaret Gregory Victoria"
).split()
NICK = {
    "William": "Bill", "Elizabeth": "Liz", "Robert": "Bob", "Richard": "Rick", "James": "Jim",
    "Michael": "Mike", "Katherine": "Kate", "Thomas": "Tom", "Joseph": "Joe", "Daniel": "Dan",
    "Margaret": "Maggie", "Anthony": "Tony", "Andrew": "Andy", "Nicholas": "Nick",
    "Benjamin": "Ben", "Matthew": "Matt", "Jennifer": "Jen", "Rebecca": "Becky",
    "Gregory": "Greg", "Victoria": "Vicky", "Samuel": "Sam", "Timothy": "Tim",
}  # fmt: skip
COMMON_FAMILY = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Wilson Anderson "
    "Taylor Thomas Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker "
    "Young Allen King Wright Scott Hill Green Adams Baker Nelson Carter Patel Chen Wang Kim "
    "Nguyen Müller Schmidt Dubois O'Brien MacDonald Tremblay Côté Khan"
).split()
_ONSETS = "b br c ch d f g gr h j k kr l m n p pr r s sh st t tr v w z".split()
_VOWELS = "a e i o u ai ea ou".split()
_CODAS = "n r l s t m nd rt ck ng ll ss".split()
_ENDINGS = "son man er ley ton berg stein ford wood ski ez ini ova".split()
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com")
STREETS = "Main Oak Pine Maple Cedar Elm Lake Hill Park Church Mill River".split()


def _family(rng: random.Random) -> str:
    # A long tail of rare surnames behind a head of very common ones, like real payrolls.
    if rng.random() < 0.3:
        return rng.choice(COMMON_FAMILY)
    syllables = rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
    return (syllables + rng.choice(_ENDINGS)).capitalize()


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:  # transposed letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.7:  # dropped letter
        return word[:i] + word[i + 1 :]
    return word[:i] + rng.choice("aeiourstln") + word[i + 1 :]


def _person(rng: random.Random, n: int) -> dict[str, Any]:
    given, family = rng.choice(GIVEN), _family(rng)
    dob = date(1955, 1, 1) + timedelta(days=rng.randrange(18_000))
    area, exchange, line = rng.randrange(200, 999), rng.randrange(200, 999), rng.randrange(10_000)
    ssn = f"{rng.randrange(100, 899)}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"
    local = f"{given}.{family}".lower().replace("'", "").replace(" ", "")
    return {
        "given_name": given,
        "family_name": family,
        "email": f"{local}{n % 7 or ''}@firm{n % 40}.example",
        "phone": f"+1 {area} {exchange} {line:04d}",
        "date_of_birth": dob.isoformat(),
        "national_id": ssn,
        "home_address": f"{rng.randrange(1, 999)} {rng.choice(STREETS)} Street, Springfield",
    }


def _messy_copy(rng: random.Random, person: dict[str, Any]) -> dict[str, Any]:
    """The same person as another system records them."""
    copy = dict(person)
    roll = rng.random()
    if roll < 0.2 and person["given_name"] in NICK:
        copy["given_name"] = NICK[person["given_name"]]
    elif roll < 0.35:
        copy["family_name"] = _typo(rng, person["family_name"])
    elif roll < 0.45:
        copy["given_name"], copy["family_name"] = person["family_name"], person["given_name"]
    if rng.random() < 0.4:  # payroll knows the personal address
        local = f"{person['given_name'][0]}{person['family_name']}".lower().replace("'", "")
        copy["email"] = f"{local}{rng.randrange(100)}@{rng.choice(FREE_MAIL)}"
    if rng.random() < 0.3:
        digits = "".join(ch for ch in person["phone"] if ch.isdigit())[1:]
        copy["phone"] = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    for attribute in ("date_of_birth", "national_id", "home_address", "phone"):
        if rng.random() < 0.25:  # not every system holds every attribute
            copy[attribute] = ""
    if copy["date_of_birth"] and rng.random() < 0.05:
        y, m, d = copy["date_of_birth"].split("-")
        if int(d) <= 12:
            copy["date_of_birth"] = f"{y}-{d}-{m}"
    return copy


def generate(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` person rows; about a third are other systems' copies of someone else in the file."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    n = 0
    while len(rows) < count:
        person = _person(rng, n)
        copies = [person] + [_messy_copy(rng, person) for _ in range(rng.choice((0, 0, 1, 1, 2)))]
        for copy in copies[: count - len(rows)]:
            rows.append({"id": f"p{len(rows):06d}", **copy})
        n += 1
    rng.shuffle(rows)
    return rows


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _cli() -> list[str]:
    crosswalk = shutil.which("crosswalk", path=str(Path(sys.executable).parent))
    if crosswalk:
        help_text = subprocess.run([crosswalk, "--help"], capture_output=True, text=True).stdout
        if "dedupe" in help_text:
            return [crosswalk, "dedupe"]
    # Until the command is mounted in `crosswalk`, run the same typer command directly.
    return [sys.executable, "-m", "hub.cli_dedupe"]


def blocking_recall(rows: list[dict[str, Any]]) -> tuple[float, int, int]:
    """Share of the pairs exhaustive scoring would merge or review that blocking proposes."""
    config = DEFAULT_CONFIG.for_entity("resource")
    prepared = [prepare_resource(r) for r in rows]
    scorer = Scorer("resource", config)
    wanted = {
        (i, j)
        for i in range(len(prepared))
        for j in range(i + 1, len(prepared))
        if scorer.score(prepared[i], prepared[j], config.review) >= config.review
    }
    proposed = set(candidate_pairs("resource", prepared, config))
    found = len(wanted & proposed)
    return (found / len(wanted) if wanted else 1.0), found, len(wanted)


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"bench": "dedupe", "name": name, "value": value, "unit": unit,
                      "target": target}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rows = generate(args.records, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "people.csv", Path(tmp) / "clusters.csv"
        write_csv(rows, source)
        command = [*_cli(), "--entity", "resource", str(source), "--output", str(out)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)  # fmt: skip
        elapsed = time.perf_counter() - started
        if done.returncode:
            sys.exit(f"dedupe failed ({done.returncode}): {done.stderr.strip()}")
        with out.open(newline="") as handle:
            clusters = {r["cluster_id"] for r in csv.DictReader(handle)}
    emit("dedupe_100k_people_seconds", round(elapsed, 2), "s", "< 60")

    sample = generate(args.sample, args.seed + 1)
    started = time.perf_counter()
    recall, found, wanted = blocking_recall(sample)
    exhaustive = time.perf_counter() - started
    emit("blocking_recall_5k_sample", round(recall, 4), "ratio", ">= 0.99")

    print(
        f"dedupe: {len(rows):,} people → {len(clusters):,} clusters in {elapsed:.1f} s "
        f"(target < 60 s)\nblocking recall on {len(sample):,} records: {found:,} of {wanted:,} "
        f"exhaustive merge/review pairs proposed = {recall:.4f} (target ≥ 0.99; "
        f"exhaustive comparison took {exhaustive:.1f} s)"
    )


if __name__ == "__main__":
    main()
