"""Opaque Relay global IDs: base64("Client:123"), and which golden table each type name means."""

from __future__ import annotations

import base64
import binascii
import functools

from golden_records.errors import InvalidId
from golden_records.models import (
    AssignmentRecord,
    ClientRecord,
    CostRateRecord,
    GoldenRecord,
    InvoiceRecord,
    PaymentRecord,
    ProjectRecord,
    ResourceRecord,
    TimeEntryRecord,
)

# GraphQL type name -> persistence model. The type name is part of every ID, so it never changes.
MODELS: dict[str, type[GoldenRecord]] = {
    "Client": ClientRecord,
    "Project": ProjectRecord,
    "Resource": ResourceRecord,
    "Assignment": AssignmentRecord,
    "TimeEntry": TimeEntryRecord,
    "Invoice": InvoiceRecord,
    "Payment": PaymentRecord,
    "CostRate": CostRateRecord,
}
# Primary keys are 64-bit; a bigger number cannot be ours (and would overflow the driver).
MAX_PK = 2**63 - 1

TYPE_NAMES: dict[type[GoldenRecord], str] = {model: name for name, model in MODELS.items()}
# Entity type -> GraphQL type name ("client" -> "Client").
ENTITY_TYPE_NAMES = {model.entity_type: name for name, model in MODELS.items()}


@functools.lru_cache(maxsize=65536)
def encode_global_id(type_name: str, pk: int) -> str:
    # Cached: a nested read encodes the same few thousand IDs on every request.
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode_global_id(global_id: str, *, field: str = "id") -> tuple[str, int]:
    """(type name, primary key) of a global ID; InvalidId for anything that is not one of ours."""
    try:
        raw = base64.b64decode(global_id.encode(), validate=True).decode()
        type_name, _, pk_text = raw.partition(":")
        pk = int(pk_text)
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidId(
            f"{global_id!r} is not a Crosswalk ID; use the `id` field returned by the API.",
            field=field,
        ) from None
    if type_name not in MODELS or not 0 < pk <= MAX_PK:
        raise InvalidId(
            f"{global_id!r} is not a Crosswalk ID; use the `id` field returned by the API.",
            field=field,
        )
    return type_name, pk


def decode_typed_id(global_id: str, expected: str, *, field: str = "id") -> int:
    """The primary key of a global ID that must be of type `expected` (e.g. "Client")."""
    type_name, pk = decode_global_id(global_id, field=field)
    if type_name != expected:
        raise InvalidId(
            f"{global_id!r} is the ID of a {type_name}, but a {expected} ID is expected here.",
            field=field,
        )
    return pk
