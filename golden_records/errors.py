"""The one error family of Crosswalk's domain; the API maps each `code` to a GraphQL error once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date


class CrosswalkError(Exception):
    """Base of every error a caller can act on. `code` is stable; `message` is for people."""

    code = "INTERNAL"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(CrosswalkError):
    code = "VALIDATION"


class NotFound(CrosswalkError):
    code = "NOT_FOUND"


class InvalidId(CrosswalkError):
    code = "INVALID_ID"


class InvalidCursor(CrosswalkError):
    code = "INVALID_CURSOR"


class PageSizeExceeded(CrosswalkError):
    code = "PAGE_SIZE_EXCEEDED"


class UnknownSystem(CrosswalkError):
    code = "UNKNOWN_SYSTEM"

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(
            f"Unknown source system {name!r}; expected one of: {', '.join(known)}.",
            field="system",
        )


class VersionConflict(CrosswalkError):
    code = "VERSION_CONFLICT"


class Forbidden(CrosswalkError):
    code = "FORBIDDEN"


class Unauthenticated(CrosswalkError):
    code = "UNAUTHENTICATED"


class ConfigurationError(CrosswalkError):
    code = "CONFIGURATION"


class MissingFxRate(CrosswalkError):
    """No conversion rate is in force for a currency on a date: amounts are never mixed."""

    code = "MISSING_FX_RATE"

    def __init__(self, currency: str, on: date, reporting: str) -> None:
        super().__init__(
            f"No FX rate from {currency} to {reporting} in force on {on.isoformat()}; "
            f"add a rate dated on or before {on.isoformat()} to the tenant's fx_rates.csv.",
            field="currency",
        )
        self.currency = currency
        self.on = on
        self.reporting = reporting


class InvalidStatusTransition(ValidationFailed):
    """A status change the lifecycle does not allow (e.g. a CANCELLED project is final)."""

    code = "INVALID_STATUS_TRANSITION"


class BelowCostRate(ValidationFailed):
    """A bill rate below a cost rate in force, written without `allowBelowCost: true`."""

    code = "BELOW_COST_RATE"


class NoSourceRecord(ValidationFailed):
    """The system that owns a field has no record to write it to and cannot create one."""

    code = "NO_SOURCE_RECORD"
