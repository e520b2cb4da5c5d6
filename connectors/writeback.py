"""Write-back: one writer per source system, sending canonical changes through its public API.

The outbox worker hands a writer a `WriteRequest` (canonical attributes, this system's IDs for
references, the concurrency token the hub holds) and gets back a `WriteResult`: the object as
the system now holds it, raw and mapped by the same mapper the sync stream uses, so the hub can
store it exactly as a sync would have. Each system's writer lives in its `writes.py`.

Errors are the connector family: `StaleToken` when the token is no longer current (the worker
then calls `read` and decides), `TransientError`/`RateLimited` once the client's own retries are
spent, and `PermanentError` for anything retrying cannot fix, including a field the system
cannot store (a writer never drops a field silently).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Protocol

from connectors.base import Connector, Json, MappedRecord, PermanentError
from golden_records.canonical import EntityType

CREATE = "create"
UPDATE = "update"


@dataclass(frozen=True, slots=True)
class WriteRequest:
    entity_type: EntityType
    action: str  # "create" | "update"
    external_id: str | None  # this system's ID, for updates
    token: str | None  # the concurrency token we hold (SourceRecord.concurrency_token)
    # canonical attribute -> value. References (client, parent, account_owner,
    # project_manager, manager, resource) are THIS system's external IDs (str). Dates are
    # `date`, money `Decimal`, enums their str value, addresses dicts
    # {line1, line2, city, region, postal_code, country}.
    fields: Mapping[str, Any]
    idempotency_key: str  # stable across every retry of this one write


@dataclass(frozen=True, slots=True)
class WriteResult:
    external_id: str
    # As the system holds it now, mapped by the same mapper the sync stream uses.
    record: MappedRecord
    payload: Json  # the raw object exactly as the sync stream would store it


class SystemWriter(Protocol):
    system: str

    def writable(self, entity_type: EntityType) -> frozenset[str]:
        """The canonical attributes of `entity_type` this writer can write."""
        ...

    async def write(self, request: WriteRequest) -> WriteResult: ...

    async def read(self, entity_type: EntityType, external_id: str) -> WriteResult:
        """The record as the system holds it now, with its fresh concurrency token."""
        ...


def _writer_classes() -> dict[str, Any]:
    # Imported here: each writes.py imports this module for the request/result types.
    from connectors.bamboohr.writes import BambooHRWriter
    from connectors.gusto.writes import GustoWriter
    from connectors.harvest.writes import HarvestWriter
    from connectors.quickbooks.writes import QuickBooksWriter
    from connectors.salesforce.writes import SalesforceWriter

    return {
        "salesforce": SalesforceWriter,
        "quickbooks": QuickBooksWriter,
        "harvest": HarvestWriter,
        "bamboohr": BambooHRWriter,
        "gusto": GustoWriter,
    }


def writer_for(connector: Connector) -> SystemWriter:
    """The writer for a connector's system, talking through `connector.client`."""
    factory = _writer_classes().get(connector.system)
    if factory is None:
        raise PermanentError("no writer for this system", system=connector.system)
    writer: SystemWriter = factory(connector.client)  # type: ignore[attr-defined]
    return writer


def writable_fields(system: str, entity_type: EntityType) -> frozenset[str]:
    """What `system`'s writer can write of `entity_type` (empty: nothing), without a client:
    for checking ownership rules and plans before anything is sent."""
    factory = _writer_classes().get(system)
    if factory is None:
        return frozenset()
    fields: frozenset[str] = factory(None).writable(entity_type)
    return fields


# --- helpers the writers share ----------------------------------------------------------------


def check_request(
    system: str, request: WriteRequest, writable: frozenset[str], *, creates: bool = True
) -> None:
    """Refuse what this writer cannot do, before anything is sent."""
    if request.action not in (CREATE, UPDATE):
        raise PermanentError(f"unknown action {request.action!r}", system=system)
    if request.action == CREATE and not creates:
        raise PermanentError(
            f"cannot create a {request.entity_type.value} here; only updates are supported",
            system=system,
        )
    if request.action == UPDATE and not request.external_id:
        raise PermanentError(
            f"an update of a {request.entity_type.value} needs its {system} ID", system=system
        )
    if not writable:
        raise PermanentError(
            f"{system} does not take {request.entity_type.value} writes", system=system
        )
    refused = sorted(set(request.fields) - writable)
    if refused:
        raise refuse(
            system,
            refused[0],
            f"cannot write {request.entity_type.value} field(s) {', '.join(refused)} "
            f"(writable here: {', '.join(sorted(writable))})",
        )


def refuse(system: str, field: str, message: str) -> PermanentError:
    """A `PermanentError` naming the canonical field it is about."""
    error = PermanentError(message, system=system)
    error.field = field
    return error


def unsupported(system: str, entity_type: EntityType) -> PermanentError:
    return PermanentError(f"{system} does not take {entity_type.value} writes", system=system)


def text(value: Any) -> str | None:
    """Enums as their value, everything else as its string; None stays None."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def iso(value: Any) -> str | None:
    """A date (or ISO string) as YYYY-MM-DD."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)[:10]).isoformat()


def decimal(system: str, name: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise refuse(system, name, f"{name}: {value!r} is not a number") from None


def number(value: Decimal | None) -> float | None:
    """A JSON number for APIs that take numbers (Harvest). Only used for values of at most two
    decimal places (`require_places`), which a float renders back exactly."""
    return None if value is None else float(value)


def require_places(system: str, name: str, value: Decimal | None, places: int) -> None:
    """Refuse a value the system would round (it would not round-trip)."""
    if value is not None and value != value.quantize(Decimal(1).scaleb(-places)):
        raise refuse(
            system,
            name,
            f"{name}: {value} has more than {places} decimal places, which {system} cannot store",
        )


def address(system: str, name: str, value: Any) -> dict[str, Any]:
    """A canonical address dict (or None) with every key present."""
    keys = ("line1", "line2", "city", "region", "postal_code", "country")
    if value is None:
        return dict.fromkeys(keys)
    if not isinstance(value, Mapping):
        raise refuse(system, name, f"{name}: an address must be an object")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise refuse(system, name, f"{name}: unknown address part(s) {', '.join(unknown)}")
    return {k: value.get(k) for k in keys}


def same(held: Any, wanted: Any) -> bool:
    """Whether a mapped attribute (strings, as mappings store them) holds the wanted value
    (date, Decimal, enum, str, address dict), after each system's own normalisation."""
    if isinstance(wanted, Mapping) or isinstance(held, Mapping):
        left, right = held or {}, wanted or {}
        return all(same(left.get(k), right.get(k)) for k in set(left) | set(right))
    if held in (None, "") or wanted in (None, ""):
        return held in (None, "") and wanted in (None, "")
    if isinstance(wanted, Decimal | int | float) and not isinstance(wanted, bool):
        try:
            return Decimal(str(held)) == Decimal(str(wanted))
        except InvalidOperation:
            return False
    if isinstance(wanted, date):
        return iso(held) == iso(wanted)
    return text(held) == text(wanted)
