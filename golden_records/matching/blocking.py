"""Blocking: cheap keys per record so that only records sharing a key are ever compared.

Oversized blocks (a common surname, a generic word) are not compared all-pairs: their records
are sorted by a finer key and each is compared with its next `window` neighbours, which keeps
the work near-linear while still finding the near-identical records that sort together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from golden_records.canonical import EntityType
from golden_records.matching.config import EntityMatchConfig
from golden_records.matching.normalize import NAME_STOPWORDS, soundex
from golden_records.matching.prepare import Prepared, preparer


def client_keys(p: Prepared) -> set[str]:
    keys: set[str] = set()
    for name in p["names"]:
        tokens = [t for t in name.split() if t not in NAME_STOPWORDS] or name.split()
        if tokens:
            keys.add("w:" + tokens[0])
            keys.add("x:" + soundex(tokens[0]))
            keys.add("s:" + sorted(tokens)[0])
        compact = name.replace(" ", "")
        if len(compact) >= 4:
            keys.add("p:" + compact[:5])
    if p["domain"]:
        keys.add("d:" + p["domain"])
    if p["tax_id"]:
        keys.add("t:" + p["tax_id"])
    return keys


def resource_keys(p: Prepared) -> set[str]:
    keys: set[str] = set()
    given, family = p["given"], p["family"]
    if family:
        # Order-free pair of phonetic codes: survives misspelling and given/family swaps.
        codes = sorted((soundex(family), soundex(given) if given else "-"))
        keys.add("n:" + "|".join(codes))
        # Misspelt family names whose phonetic code changes still share their first letters.
        keys.add("f:" + family[:3] + ":" + (soundex(given) if given else "-"))
    if p["email"] and len(p["email"][0]) >= 3:
        keys.add("e:" + p["email"][0])
    if p["date_of_birth"]:
        # Birth date with either initial: survives a changed family name or a swap of names.
        for initial in {given[:1], family[:1]}:
            keys.add("b:" + p["date_of_birth"] + initial)
    if p["national_id"]:
        keys.add("i:" + p["national_id"])
    if p["phone"]:
        keys.add("t:" + p["phone"][-10:])
    return keys


def project_keys(p: Prepared) -> set[str]:
    keys: set[str] = set()
    if p["code"]:
        keys.add("k:" + p["code"])
    name, client = p["name"] or "", p["client"] or ""
    tokens = [t for t in name.split() if len(t) > 2]
    client_key = client.split()[0] if client else "-"
    for token in tokens:
        keys.add(f"c:{client_key}:{token}")
    if name:
        keys.add("p:" + name.replace(" ", "")[:6])
    return keys


def _sort_key_resource(p: Prepared) -> str:
    return f"{p['family']} {p['given']}"


def _sort_key_client(p: Prepared) -> str:
    return p["names"][0] if p["names"] else ""


def _sort_key_project(p: Prepared) -> str:
    return f"{p['client'] or ''} {p['name'] or ''}"


KEYS: dict[str, Callable[[Prepared], set[str]]] = {
    "client": client_keys,
    "project": project_keys,
    "resource": resource_keys,
}
SORT_KEYS: dict[str, Callable[[Prepared], str]] = {
    "client": _sort_key_client,
    "project": _sort_key_project,
    "resource": _sort_key_resource,
}


def blocking_keys(entity_type: EntityType | str, record: Mapping[str, Any]) -> set[str]:
    """The blocking keys of one canonical record, e.g. to index them for incremental matching.

    Two records can only be proposed as a pair if they share at least one of these keys.
    """
    return KEYS[EntityType(entity_type).value](preparer(entity_type)(record))


def blocks(entity_type: EntityType | str, records: Sequence[Prepared]) -> dict[str, list[int]]:
    """Blocking key → indexes of the records carrying it (singleton blocks dropped)."""
    key_of = KEYS[EntityType(entity_type).value]
    index: defaultdict[str, list[int]] = defaultdict(list)
    for i, record in enumerate(records):
        for key in key_of(record):
            index[key].append(i)
    return {k: v for k, v in index.items() if len(v) > 1}


def candidate_pairs(
    entity_type: EntityType | str, records: Sequence[Prepared], config: EntityMatchConfig
) -> Iterator[tuple[int, int]]:
    """Each pair of record indexes (i < j) sharing at least one block, once."""
    sort_key = SORT_KEYS[EntityType(entity_type).value]
    seen: set[int] = set()
    n = len(records)
    for members in blocks(entity_type, records).values():
        if len(members) <= config.max_block_size:
            for x, i in enumerate(members):
                for j in members[x + 1 :]:
                    lo, hi = (i, j) if i < j else (j, i)
                    code = lo * n + hi
                    if code not in seen:
                        seen.add(code)
                        yield lo, hi
        else:
            ordered = sorted(members, key=lambda k: sort_key(records[k]))
            for x, i in enumerate(ordered):
                for j in ordered[x + 1 : x + 1 + config.window]:
                    lo, hi = (i, j) if i < j else (j, i)
                    code = lo * n + hi
                    if code not in seen:
                        seen.add(code)
                        yield lo, hi
