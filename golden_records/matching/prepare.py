"""Records in their comparable form: every value normalised once, before any pair is compared."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from golden_records.canonical import EntityType
from golden_records.matching import comparators as c
from golden_records.matching import normalize as n

Prepared = dict[str, Any]

# The canonical attributes each entity type's matching reads (also what the CLI accepts).
FIELDS: dict[str, tuple[str, ...]] = {
    "client": ("name", "legal_name", "website", "domain", "tax_id", "billing_address", "email"),
    "project": ("client", "name", "code", "start_date"),
    "resource": (
        "given_name",
        "family_name",
        "full_name",
        "email",
        "phone",
        "date_of_birth",
        "national_id",
        "home_address",
    ),
}


def _iso_date(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text[:10], fmt).date().isoformat()
        except ValueError:
            continue
    return None


def prepare_client(record: Mapping[str, Any]) -> Prepared:
    names = [n.company_name(record.get(k)) for k in ("name", "legal_name")]
    names = list(dict.fromkeys(x for x in names if x))
    web = n.domain(record.get("domain")) or n.domain(record.get("website"))
    if web is None:
        mail = n.email(record.get("email"))
        if mail and not n.is_personal_domain(mail[1]):
            web = mail[1]
    return {
        "id": record["id"],
        "names": names,
        "domain": web,
        "tax_id": n.identifier(record.get("tax_id")),
        "billing_address": n.address(record.get("billing_address")) or None,
    }


def _split_full_name(full: str) -> tuple[str, str]:
    if "," in full:  # "Smith, John"
        family, _, given = full.partition(",")
        return given.strip(), family.strip()
    parts = full.split()
    if len(parts) < 2:
        return "", full
    return " ".join(parts[:-1]), parts[-1]


def prepare_resource(record: Mapping[str, Any]) -> Prepared:
    given_raw = record.get("given_name")
    family_raw = record.get("family_name")
    if not given_raw and not family_raw and record.get("full_name"):
        given_raw, family_raw = _split_full_name(str(record["full_name"]))
    mail = n.email(record.get("email"))
    return {
        "id": record["id"],
        "given": n.given_name(given_raw),
        "family": n.family_name(family_raw),
        "email": mail,
        "personal": mail is not None and n.is_personal_domain(mail[1]),
        "phone": n.phone(record.get("phone")),
        "date_of_birth": _iso_date(record.get("date_of_birth")),
        "national_id": n.identifier(record.get("national_id")),
        "home_address": n.address(record.get("home_address")) or None,
    }


_TRAILING_CODE = re.compile(r"[\s(\[]*\(?([A-Za-z0-9]+(?:[-_/.][A-Za-z0-9]+)*)\)?\s*$")
_CLIENT_PREFIX = re.compile(r"^(.+?)\s+[-\u2013:|]\s+(.+)$")


def _code_like(token: str) -> bool:
    return len(token) >= 5 and any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


def prepare_project(record: Mapping[str, Any]) -> Prepared:
    client = n.company_name(record.get("client")) or None
    name = str(record.get("name") or "").strip()
    code = n.identifier(record.get("code"))
    # ERPs often append the project code to the job name: "ERP Rollout (ACME-2024-001)".
    trailing = _TRAILING_CODE.search(name)
    if trailing and " " in name and _code_like(trailing.group(1)):
        code = code or n.identifier(trailing.group(1))
        name = name[: trailing.start()].strip()
    # CRMs often prefix the client: "Acme Corp - ERP Rollout".
    prefixed = _CLIENT_PREFIX.match(name)
    if prefixed:
        owner = n.company_name(prefixed.group(1))
        if client is None or (c.company_names([owner], [client]) or 0.0) >= 0.8:
            name = prefixed.group(2)
    return {
        "id": record["id"],
        "client": client,
        "name": n.text(name) or None,
        "code": code,
        "start_date": _iso_date(record.get("start_date")),
    }


PREPARERS: dict[str, Callable[[Mapping[str, Any]], Prepared]] = {
    "client": prepare_client,
    "project": prepare_project,
    "resource": prepare_resource,
}


def preparer(entity_type: EntityType | str) -> Callable[[Mapping[str, Any]], Prepared]:
    key = EntityType(entity_type).value
    if key not in PREPARERS:
        raise ValueError(f"entity type {key!r} is not matched")
    return PREPARERS[key]
