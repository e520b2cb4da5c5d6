"""ID formats of the emulated products: Salesforce 18-char IDs, Gusto UUIDs, numeric IDs."""

from __future__ import annotations

import random
import uuid

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _base62(n: int, width: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = _BASE62[r] + out
    return out.rjust(width, "0")


def salesforce_id(prefix: str, n: int) -> str:
    """An 18-character Salesforce ID: key prefix, pod, counter, then the case-safe checksum."""
    base = f"{prefix}Dn00{_base62(n, 8)}"
    suffix = ""
    for chunk in range(3):
        bits = sum(
            1 << i for i, ch in enumerate(base[chunk * 5 : chunk * 5 + 5]) if "A" <= ch <= "Z"
        )
        suffix += _SUFFIX[bits]
    return base + suffix


def gusto_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
