"""What a create or update must satisfy before anything is sent to a source system.

`validate_write` takes the values a caller asks to set (canonical attribute names, typed Python
values) and the record's current values, and returns every problem at once, each with a stable
code, the GraphQL input field it concerns (lowerCamelCase, e.g. `billingAddress.country`) and a
message that names the bad value and what is allowed. It is pure: the caller reads the record
and the rate card, this module only decides.

Status lifecycles (a move to the same status is no transition and always allowed):

    project   PROPOSED  -> ACTIVE, ON_HOLD, CANCELLED
              ACTIVE    -> ON_HOLD, COMPLETED, CANCELLED
              ON_HOLD   -> ACTIVE, COMPLETED, CANCELLED
              COMPLETED -> ACTIVE      (reopen for late work; never back to PROPOSED)
              CANCELLED -> (final)
    resource  ACTIVE     -> ON_LEAVE, TERMINATED
              ON_LEAVE   -> ACTIVE, TERMINATED
              TERMINATED -> ACTIVE only as a rehire: the same write sets a new hire date after
                            the last termination date (and clears the termination date)
    client    any status to any other (prospects churn and come back)

Rate card: a bill rate below a cost rate in force in the same currency is BELOW_COST_RATE
unless `allow_below_cost`. Rates in different currencies are not compared: converting would
need an FX rate at write time, and a check that passes or fails with the day's rate would
accept a write today and refuse the same write tomorrow; margin reporting converts instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import pycountry
from email_validator import EmailNotValidError, validate_email

from golden_records.canonical import (
    BillingType,
    ClientStatus,
    EmploymentType,
    EntityType,
    ProjectStatus,
    ResourceStatus,
)
from golden_records.errors import BelowCostRate, InvalidStatusTransition, ValidationFailed

E = EntityType
COST_RATE = "cost_rate"  # a resource's pseudo-attribute: a new effective-dated cost rate


@dataclass(frozen=True, slots=True)
class CostRateInForce:
    whose: str  # a label for messages, e.g. "resource 12"
    hourly_cost: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class RateCard:
    """Cost rates in force that a bill rate must not undercut."""

    cost_rates: Sequence[CostRateInForce]


# -- field names ---------------------------------------------------------------------------

# Reference attributes take a global ID in GraphQL, under `<name>Id`.
REFERENCE_ATTRIBUTES = frozenset(
    {"client", "parent", "account_owner", "project_manager", "manager", "resource", "project"}
)


def camel_case(name: str) -> str:
    """A canonical attribute as GraphQL spells its field: `end_date` -> `endDate`."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def input_field(attribute: str) -> str:
    """The GraphQL input field of a canonical attribute (`client` -> `clientId`)."""
    name = camel_case(attribute)
    return name + "Id" if attribute in REFERENCE_ATTRIBUTES else name


# -- value checks: each returns a message fragment, or None when the value is fine ------------

Check = Callable[[Any], str | None]

# Codes ISO 4217 lists that are not money a firm bills or pays in: precious metals, IMF and
# other units of account, the testing code and "no currency".
_NOT_MONEY = frozenset("XAG XAU XPD XPT XDR XSU XUA XBA XBB XBC XBD XTS XXX".split())
ACTIVE_CURRENCIES = frozenset(
    c.alpha_3 for c in pycountry.currencies if c.alpha_3 not in _NOT_MONEY
)
_COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries)


def _text(max_length: int) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"expected text, got {type(value).__name__}"
        if len(value.strip()) > max_length:
            return f"is {len(value.strip())} characters long; at most {max_length} are allowed"
        return None

    return check


def _choice(enum: type[StrEnum]) -> Check:
    allowed = ", ".join(member.value for member in enum)

    def check(value: Any) -> str | None:
        if isinstance(value, str) and value in enum._value2member_map_:
            return None
        return f"{value!r} is not one of {allowed}"

    return check


def _day(value: Any) -> str | None:
    # datetime is a date subclass; a timestamp where a calendar day is meant is a mistake.
    if isinstance(value, datetime) or not isinstance(value, date):
        return f"{value!r} is not a date; use YYYY-MM-DD"
    if not date(1900, 1, 1) <= value <= date(2199, 12, 31):
        return f"{value.isoformat()} is out of range (1900-01-01 to 2199-12-31)"
    return None


def _past_day(value: Any) -> str | None:
    problem = _day(value)
    if problem is None and value >= datetime.now(UTC).date():
        return f"{value.isoformat()} is not in the past"
    return problem


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    return None


def _number(digits: int, places: int, *, maximum: Decimal | None = None) -> Check:
    """A non-negative amount fitting a NUMERIC(digits, places) column."""
    limit = maximum if maximum is not None else Decimal(10) ** (digits - places)

    def check(value: Any) -> str | None:
        number = _as_decimal(value)
        if number is None or not number.is_finite():
            return f"{value!r} is not a number"
        if number < 0:
            return f"{number} is negative; it must be 0 or more"
        if maximum is not None and number > maximum:
            return f"{number} is more than {maximum}"
        if maximum is None and number >= limit:
            return f"{number} is too large (less than {limit} is allowed)"
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            return f"{number} has more than {places} decimal places"
        return None

    return check


_money = _number(18, 4)
_hours = _number(10, 2)
# An assignment's share of the person's week as the canonical model keeps it: 0.5 = half time.
# (Percent-style input, 0..100, is the API's to convert; 50 here would be 50 full weeks.)
_share = _number(5, 2, maximum=Decimal(1))


def _currency(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{value!r} is not an ISO 4217 currency code"
    if value in ACTIVE_CURRENCIES:
        return None
    if value.strip().upper() in ACTIVE_CURRENCIES:
        return f"{value!r} is not upper-case ISO 4217; write {value.strip().upper()!r}"
    return f"{value!r} is not an active ISO 4217 currency code (e.g. USD, EUR, GBP)"


def _email(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{value!r} is not an e-mail address"
    if len(value.strip()) > 254:
        return "is longer than 254 characters"
    try:
        validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        return f"{value!r} is not a valid e-mail address ({exc})"
    return None


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)


def _website(value: Any) -> str | None:
    problem = _text(300)(value)
    if problem is not None:
        return problem
    text = value.strip()
    wrong = f"{value!r} is not a web address; use e.g. https://example.com"
    if not text or any(ch.isspace() for ch in text):
        return wrong
    # People write "acme.com" as often as "https://acme.com/": both are fine.
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        host = parts.hostname or ""
    except ValueError:
        return wrong
    if parts.scheme not in ("http", "https"):
        return f"{value!r} is not an http(s) web address"
    labels = host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        return wrong
    return None


def _reference(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return None
    return f"{value!r} is not a record ID"


def _skills(value: Any) -> str | None:
    if not isinstance(value, list | tuple):
        return "expected a list of skills"
    for skill in value:
        if not isinstance(skill, str) or not skill.strip():
            return f"{skill!r} is not a skill name"
        if len(skill.strip()) > 100:
            return f"{skill.strip()[:20]!r}... is longer than 100 characters"
    if len(value) > 100:
        return f"has {len(value)} skills; at most 100 are allowed"
    return None


# -- the per-entity tables -------------------------------------------------------------------

_ADDRESS_LINES: dict[str, Check] = {
    "line1": _text(200),
    "line2": _text(200),
    "city": _text(100),
    "region": _text(100),
    "postal_code": _text(20),
}
_ADDRESS_REQUIRED = ("line1", "city", "country")

ADDRESS = "address"  # marker: a nested address mapping, checked by `_check_address`

# attribute -> check (or ADDRESS). Lengths match the golden model's columns.
FIELDS: dict[EntityType, dict[str, Check | str]] = {
    E.CLIENT: {
        "name": _text(300),
        "legal_name": _text(300),
        "website": _website,
        "domain": _text(200),
        "industry": _text(100),
        "parent": _reference,
        "account_owner": _reference,
        "status": _choice(ClientStatus),
        "currency": _currency,
        "payment_terms": _text(40),
        "tax_id": _text(40),
        "billing_address": ADDRESS,
    },
    E.PROJECT: {
        "client": _reference,
        "name": _text(300),
        "code": _text(60),
        "status": _choice(ProjectStatus),
        "billing_type": _choice(BillingType),
        "start_date": _day,
        "end_date": _day,
        "currency": _currency,
        "budget_hours": _hours,
        "budget_amount": _money,
        "bill_rate": _money,
        "project_manager": _reference,
    },
    E.RESOURCE: {
        "given_name": _text(120),
        "family_name": _text(120),
        "email": _email,
        "phone": _text(40),
        "title": _text(120),
        "department": _text(120),
        "manager": _reference,
        "employment_type": _choice(EmploymentType),
        "status": _choice(ResourceStatus),
        "hire_date": _day,
        "termination_date": _day,
        "office": _text(120),
        "region": _text(60),
        "date_of_birth": _past_day,
        "national_id": _text(40),
        "home_address": ADDRESS,
        "default_bill_rate": _money,
        "currency": _currency,
        "skills": _skills,
    },
    E.ASSIGNMENT: {
        "project": _reference,
        "resource": _reference,
        "role": _text(120),
        "allocation": _share,
        "start_date": _day,
        "end_date": _day,
        "bill_rate": _money,
    },
}

# Attributes a record cannot be without: required on create when listed in REQUIRED_ON_CREATE,
# and never cleared (set to null or blank) by an update.
NOT_NULL: dict[EntityType, frozenset[str]] = {
    E.CLIENT: frozenset({"name", "status", "currency"}),
    E.PROJECT: frozenset({"client", "name", "status", "billing_type", "currency"}),
    E.RESOURCE: frozenset(
        {"given_name", "family_name", "employment_type", "status", "currency", "skills"}
    ),
    E.ASSIGNMENT: frozenset({"project", "resource"}),
}
# What a caller must give on create; the rest of NOT_NULL has defaults (status, currency).
REQUIRED_ON_CREATE: dict[EntityType, tuple[str, ...]] = {
    E.CLIENT: ("name",),
    E.PROJECT: ("client", "name"),
    E.RESOURCE: ("given_name", "family_name"),
    E.ASSIGNMENT: ("project", "resource"),
}

_P = ProjectStatus
_R = ResourceStatus
PROJECT_TRANSITIONS: dict[str, frozenset[str]] = {
    _P.PROPOSED: frozenset({_P.ACTIVE, _P.ON_HOLD, _P.CANCELLED}),
    _P.ACTIVE: frozenset({_P.ON_HOLD, _P.COMPLETED, _P.CANCELLED}),
    _P.ON_HOLD: frozenset({_P.ACTIVE, _P.COMPLETED, _P.CANCELLED}),
    _P.COMPLETED: frozenset({_P.ACTIVE}),
    _P.CANCELLED: frozenset(),
}
RESOURCE_TRANSITIONS: dict[str, frozenset[str]] = {
    _R.ACTIVE: frozenset({_R.ON_LEAVE, _R.TERMINATED}),
    _R.ON_LEAVE: frozenset({_R.ACTIVE, _R.TERMINATED}),
    _R.TERMINATED: frozenset({_R.ACTIVE}),  # a rehire: see _check_rehire
}
TRANSITIONS: dict[EntityType, dict[str, frozenset[str]]] = {
    E.PROJECT: PROJECT_TRANSITIONS,
    E.RESOURCE: RESOURCE_TRANSITIONS,
}

# (start, end) attribute pairs: the end may not come before the start.
DATE_RANGES: dict[EntityType, tuple[tuple[str, str], ...]] = {
    E.PROJECT: (("start_date", "end_date"),),
    E.RESOURCE: (("hire_date", "termination_date"),),
    E.ASSIGNMENT: (("start_date", "end_date"),),
}

# The bill rate attribute of each entity that has one, checked against the rate card.
BILL_RATES: dict[EntityType, str] = {E.PROJECT: "bill_rate", E.RESOURCE: "default_bill_rate"}


# -- validate_write --------------------------------------------------------------------------


def validate_write(
    entity_type: EntityType,
    values: Mapping[str, Any],
    *,
    current: Mapping[str, Any] | None,
    rate_card: RateCard | None = None,
    allow_below_cost: bool = False,
) -> list[ValidationFailed]:
    """Every problem with writing `values` (None `current` = a create); [] when valid."""
    fields = FIELDS.get(entity_type)
    if fields is None:
        return [ValidationFailed(f"{entity_type.value} records cannot be written through the hub.")]
    problems: list[ValidationFailed] = []
    problems += _check_required(entity_type, values, creating=current is None)
    for attribute, value in values.items():
        if attribute == COST_RATE and entity_type == E.RESOURCE:
            problems += _check_cost_rate(value)
            continue
        check = fields.get(attribute)
        if check is None:
            writable = ", ".join(sorted(input_field(a) for a in fields))
            problems.append(
                ValidationFailed(
                    f"{input_field(attribute)} is not a writable {entity_type.value} field; "
                    f"writable ones are: {writable}.",
                    field=input_field(attribute),
                )
            )
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # clearing: _check_required refuses it where a value is needed
        if check == ADDRESS:
            problems += _check_address(input_field(attribute), value)
            continue
        assert callable(check)
        problem = check(value)
        if problem is not None:
            problems.append(_failed(attribute, problem))
    if problems:
        # Cross-field rules assume well-typed values; report those problems first.
        return problems
    problems += _check_status(entity_type, values, current or {})
    problems += _check_date_ranges(entity_type, values, current or {})
    if not allow_below_cost:
        problems += _check_rate_card(entity_type, values, current or {}, rate_card)
    return problems


def _failed(attribute: str, problem: str) -> ValidationFailed:
    name = input_field(attribute)
    return ValidationFailed(f"{name}: {problem}.", field=name)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_required(
    entity_type: EntityType, values: Mapping[str, Any], *, creating: bool
) -> list[ValidationFailed]:
    problems: list[ValidationFailed] = []
    required = set(REQUIRED_ON_CREATE.get(entity_type, ())) if creating else set()
    for attribute in sorted(required | set(values)):
        if attribute not in required and attribute not in NOT_NULL.get(entity_type, ()):
            continue
        if _blank(values.get(attribute)):
            name = input_field(attribute)
            what = "is required" if attribute not in values else "cannot be empty"
            problems.append(
                ValidationFailed(f"{name} {what} for a {entity_type.value}.", field=name)
            )
    return problems


def _check_address(name: str, value: Any) -> list[ValidationFailed]:
    if not isinstance(value, Mapping):
        return [ValidationFailed(f"{name}: expected an address.", field=name)]
    problems: list[ValidationFailed] = []
    for key in sorted(set(value) - {*_ADDRESS_LINES, "country"}):
        problems.append(ValidationFailed(f"{name}: unknown address part {key!r}.", field=name))
    for key in _ADDRESS_REQUIRED:
        if _blank(value.get(key)):
            path = f"{name}.{input_field(key)}"
            problems.append(ValidationFailed(f"{path} is required in an address.", field=path))
    for key, check in _ADDRESS_LINES.items():
        part = value.get(key)
        if not _blank(part) and (problem := check(part)) is not None:
            path = f"{name}.{input_field(key)}"
            problems.append(ValidationFailed(f"{path}: {problem}.", field=path))
    country = value.get("country")
    if not _blank(country) and country not in _COUNTRIES:
        path = f"{name}.country"
        hint = (
            f"; write {country.strip().upper()!r}"
            if (isinstance(country, str) and country.strip().upper() in _COUNTRIES)
            else " (e.g. US, GB, DE)"
        )
        problems.append(
            ValidationFailed(
                f"{path}: {country!r} is not an ISO 3166-1 alpha-2 country code{hint}.",
                field=path,
            )
        )
    return problems


def _check_cost_rate(value: Any) -> list[ValidationFailed]:
    if not isinstance(value, Mapping):
        return [
            ValidationFailed(
                "costRate: expected hourlyCost, currency and effectiveFrom.", field="costRate"
            )
        ]
    problems: list[ValidationFailed] = []
    checks: dict[str, Check] = {
        "hourly_cost": _money,
        "currency": _currency,
        "effective_from": _day,
    }
    for key, check in checks.items():
        path = f"costRate.{input_field(key)}"
        part = value.get(key)
        if _blank(part):
            problems.append(ValidationFailed(f"{path} is required for a cost rate.", field=path))
        elif (problem := check(part)) is not None:
            problems.append(ValidationFailed(f"{path}: {problem}.", field=path))
    return problems


def _check_status(
    entity_type: EntityType, values: Mapping[str, Any], current: Mapping[str, Any]
) -> list[ValidationFailed]:
    table = TRANSITIONS.get(entity_type)
    new, old = values.get("status"), current.get("status")
    if table is None or "status" not in values or old is None or new == old:
        return []
    allowed = table.get(str(old))
    if allowed is None:
        return []  # a status outside the lifecycle (legacy data): do not trap the record in it
    if str(new) not in allowed:
        options = ", ".join(sorted(allowed)) if allowed else f"none: {old} is final"
        return [
            InvalidStatusTransition(
                f"status: a {entity_type.value} cannot go from {old} to {new} "
                f"(from {old} it can go to {options}).",
                field="status",
            )
        ]
    if entity_type == E.RESOURCE and old == ResourceStatus.TERMINATED:
        return _check_rehire(values, current)
    return []


def _check_rehire(values: Mapping[str, Any], current: Mapping[str, Any]) -> list[ValidationFailed]:
    hire, left = values.get("hire_date"), current.get("termination_date")
    after = f" after the termination date {left.isoformat()}" if isinstance(left, date) else ""
    if (
        hire is None
        or hire == current.get("hire_date")
        or (isinstance(left, date) and hire <= left)
    ):
        return [
            InvalidStatusTransition(
                "status: a TERMINATED person becomes ACTIVE again only as a rehire; set a new "
                f"hireDate{after} and clear terminationDate in the same update.",
                field="status",
            )
        ]
    return []


def _check_date_ranges(
    entity_type: EntityType, values: Mapping[str, Any], current: Mapping[str, Any]
) -> list[ValidationFailed]:
    problems: list[ValidationFailed] = []
    for start_attr, end_attr in DATE_RANGES.get(entity_type, ()):
        if start_attr not in values and end_attr not in values:
            continue  # existing data is not this write's problem
        start = values[start_attr] if start_attr in values else current.get(start_attr)
        end = values[end_attr] if end_attr in values else current.get(end_attr)
        if isinstance(start, date) and isinstance(end, date) and end < start:
            blamed = end_attr if end_attr in values else start_attr
            problems.append(
                ValidationFailed(
                    f"{input_field(end_attr)} {end.isoformat()} is before "
                    f"{input_field(start_attr)} {start.isoformat()}; it must be on or after it.",
                    field=input_field(blamed),
                )
            )
    return problems


def _check_rate_card(
    entity_type: EntityType,
    values: Mapping[str, Any],
    current: Mapping[str, Any],
    rate_card: RateCard | None,
) -> list[ValidationFailed]:
    bill_attr = BILL_RATES.get(entity_type)
    new_cost = values.get(COST_RATE) if entity_type == E.RESOURCE else None
    # Changing the currency re-prices the bill rate as much as changing its amount does.
    rate_changed = bill_attr in values or "currency" in values
    if bill_attr is None or (not rate_changed and new_cost is None):
        return []
    bill = _as_decimal(values[bill_attr] if bill_attr in values else current.get(bill_attr))
    currency = values.get("currency") or current.get("currency")
    if bill is None:
        return []
    # A new bill rate must clear every cost in force and the new one; a new cost rate alone
    # is only checked against the bill rate (old costs are not this write's business).
    costs = list(rate_card.cost_rates) if rate_card is not None and rate_changed else []
    if new_cost is not None:
        costs.append(
            CostRateInForce("the new cost rate", new_cost["hourly_cost"], new_cost["currency"])
        )
    above = [c for c in costs if c.currency == currency and Decimal(c.hourly_cost) > bill]
    if not above:
        return []
    worst = max(above, key=lambda c: Decimal(c.hourly_cost))
    if bill_attr in values:
        blamed = input_field(bill_attr)
    else:
        blamed = "currency" if "currency" in values else "costRate.hourlyCost"
    return [
        BelowCostRate(
            f"{input_field(bill_attr)} {bill} {currency} is below the cost rate of "
            f"{worst.whose} ({worst.hourly_cost} {worst.currency} an hour); raise it to at least "
            f"{worst.hourly_cost}, or pass allowBelowCost: true to accept the loss.",
            field=blamed,
        )
    ]
