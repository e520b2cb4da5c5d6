"""Emulated Harvest API v2 (PSA): clients, projects, users, user assignments, time entries.

Endpoints (headers `Authorization: Bearer <token>` and `Harvest-Account-Id` required):
    GET   /v2/{clients|projects|users|user_assignments|time_entries}
            ?page=&per_page=&updated_since=&is_active=  (+ client_id, project_id, user_id,
            from, to where Harvest has them)
    GET   /v2/projects/{project_id}/user_assignments
    GET   /v2/{kind}/{id}
    PATCH /v2/{kind}/{id}                                 -> 200 with the updated object
          (client names are unique: a taken one is refused with 422 on POST and PATCH)
    POST  /v2/{kind}                                      -> 201 with the new object
Lists carry Harvest's paging: per_page, total_pages, total_entries, next_page, previous_page,
page and links{first,next,previous,last}. Errors are `{"error","error_description"}`
(422 validation errors are `{"message"}` as Harvest sends them); throttling is 429 +
Retry-After.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox._app import bearer_token, build_app, json_body
from connectors.sandbox._soql import parse_datetime
from connectors.sandbox._store import Clock, Record, Sandbox, Table
from connectors.sandbox.faults import FaultControl

TOKEN = "sandbox-harvest-token"
ACCOUNT_ID = "1234567"
MAX_PER_PAGE = 2000

KINDS = ("clients", "projects", "users", "user_assignments", "time_entries")
# Fields a client may send on POST/PATCH (Harvest's documented writable fields).
WRITABLE: dict[str, set[str]] = {
    "clients": {"name", "is_active", "address", "currency"},
    "projects": {
        "client_id",
        "name",
        "code",
        "is_active",
        "is_billable",
        "is_fixed_fee",
        "bill_by",
        "hourly_rate",
        "budget",
        "budget_by",
        "fee",
        "notes",
        "starts_on",
        "ends_on",
        "cost_budget",
    },
    "users": {
        "first_name",
        "last_name",
        "email",
        "telephone",
        "timezone",
        "is_contractor",
        "is_active",
        "weekly_capacity",
        "default_hourly_rate",
        "cost_rate",
        "roles",
    },
    "user_assignments": {
        "project_id",
        "user_id",
        "is_active",
        "is_project_manager",
        "use_default_rates",
        "hourly_rate",
        "budget",
    },
    "time_entries": {
        "project_id",
        "user_id",
        "task_id",
        "spent_date",
        "hours",
        "notes",
        "billable",
    },
}
REQUIRED: dict[str, list[str]] = {
    "clients": ["name"],
    "projects": ["client_id", "name", "is_billable", "bill_by", "budget_by"],
    "users": ["first_name", "last_name", "email"],
    "user_assignments": ["project_id", "user_id"],
    "time_entries": ["project_id", "user_id", "spent_date"],
}
# Query parameters that filter on a reference: parameter -> the record's nested object.
REF_FILTERS = {"client_id": "client", "project_id": "project", "user_id": "user"}


def harvest_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class HarvestStore(Sandbox):
    """One Harvest account's records."""

    def __init__(
        self,
        seed: dict[str, list[Record]] | None = None,
        *,
        clock: Clock | None = None,
        token: str = TOKEN,
        account_id: str = ACCOUNT_ID,
    ) -> None:
        super().__init__(clock)
        seed = seed or {}
        self.tables = {kind: Table(seed.get(kind, [])) for kind in KINDS}
        self.token = token
        self.account_id = account_id
        self._next_id = max(
            [int(r["id"]) for t in self.tables.values() for r in t.all()] or [3_000_000]
        )

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def touch(self, record: Record, *, created: bool = False) -> None:
        stamp = harvest_datetime(self.now())
        if created:
            record["created_at"] = stamp
        record["updated_at"] = stamp

    def present(self, kind: str, record: Record) -> Record:
        """The record as Harvest returns it: nested references carry current names."""
        out = dict(record)
        for ref in ("client", "project", "user"):
            nested = record.get(ref)
            if not isinstance(nested, dict):
                continue
            target = self.tables[ref + "s"].get(nested.get("id"))
            if target is None:
                continue
            if ref == "client":
                out[ref] = {
                    "id": target["id"],
                    "name": target["name"],
                    "currency": target.get("currency"),
                }
            elif ref == "project":
                out[ref] = {"id": target["id"], "name": target["name"], "code": target.get("code")}
            else:
                out[ref] = {
                    "id": target["id"],
                    "name": f"{target['first_name']} {target['last_name']}",
                }
        return out


def error(status: int, code: str, description: str) -> Response:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


def _unprocessable(message: str) -> Response:
    return JSONResponse({"message": message}, status_code=422)


def _store(request: Request) -> HarvestStore:
    store: HarvestStore = request.app.state.store
    return store


def _unauthorized(request: Request) -> Response | None:
    store = _store(request)
    if bearer_token(request) != store.token:
        return error(
            401,
            "invalid_token",
            "The access token provided is expired, revoked, malformed or invalid for other "
            "reasons.",
        )
    if request.headers.get("harvest-account-id") != store.account_id:
        return error(
            403,
            "forbidden",
            "Harvest-Account-Id header is missing or does not match an account this token "
            "can access.",
        )
    return None


def _bool(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value.lower())


def _filter(request: Request, kind: str, rows: list[Record]) -> list[Record] | Response:
    params = request.query_params
    if "updated_since" in params:
        try:
            since = parse_datetime(params["updated_since"])
        except ValueError:
            return _unprocessable("updated_since is not a valid ISO 8601 date and time")
        # Stored stamps share one fixed UTC format, so text order is time order (and cheap).
        stamp = harvest_datetime(since.astimezone(UTC))
        rows = [r for r in rows if r["updated_at"] > stamp]
    if "is_active" in params and kind != "time_entries":
        wanted = _bool(params["is_active"])
        rows = [r for r in rows if r.get("is_active") == wanted]
    for param, ref in REF_FILTERS.items():
        if param in params and kind != ref + "s":
            rows = [r for r in rows if str((r.get(ref) or {}).get("id")) == params[param]]
    if kind == "time_entries":
        if "from" in params:
            rows = [r for r in rows if r["spent_date"] >= params["from"]]
        if "to" in params:
            rows = [r for r in rows if r["spent_date"] <= params["to"]]
        if "is_billed" in params:
            rows = [r for r in rows if r.get("is_billed") == _bool(params["is_billed"])]
    return rows


def _paged(request: Request, kind: str, rows: list[Record]) -> Response:
    params = request.query_params
    try:
        page = int(params.get("page", "1"))
        per_page = int(params.get("per_page", str(MAX_PER_PAGE)))
    except ValueError:
        return _unprocessable("page and per_page must be integers")
    if not 1 <= per_page <= MAX_PER_PAGE:
        return _unprocessable(f"per_page must be between 1 and {MAX_PER_PAGE}")
    if page < 1:
        return _unprocessable("page must be greater than 0")
    # Harvest lists newest first.
    rows = sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=True)
    total = len(rows)
    pages = max(1, math.ceil(total / per_page))
    chunk = rows[(page - 1) * per_page : page * per_page]

    def link(number: int | None) -> str | None:
        if number is None:
            return None
        return str(request.url.include_query_params(page=number, per_page=per_page))

    next_page = page + 1 if page < pages else None
    previous_page = page - 1 if page > 1 else None
    store = _store(request)
    return JSONResponse(
        {
            kind: [store.present(kind, r) for r in chunk],
            "per_page": per_page,
            "total_pages": pages,
            "total_entries": total,
            "next_page": next_page,
            "previous_page": previous_page,
            "page": page,
            "links": {
                "first": link(1),
                "next": link(next_page),
                "previous": link(previous_page),
                "last": link(pages),
            },
        }
    )


async def list_kind(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    kind = request.path_params["kind"]
    if kind not in KINDS:
        return error(404, "not_found", "The requested resource could not be found.")
    rows = _filter(request, kind, _store(request).tables[kind].all())
    if isinstance(rows, Response):
        return rows
    return _paged(request, kind, rows)


async def project_assignments(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    project_id = request.path_params["project_id"]
    if store.tables["projects"].get(project_id) is None:
        return error(404, "not_found", "The requested resource could not be found.")
    rows = [
        r for r in store.tables["user_assignments"].all() if str(r["project"]["id"]) == project_id
    ]
    filtered = _filter(request, "user_assignments", rows)
    if isinstance(filtered, Response):
        return filtered
    return _paged(request, "user_assignments", filtered)


def _apply(store: HarvestStore, kind: str, record: Record, body: dict[str, Any]) -> str | None:
    """Apply writable fields to a record; returns a validation message or None."""
    for name, value in body.items():
        if name not in WRITABLE[kind]:
            continue  # Harvest ignores unknown parameters
        ref = name.removesuffix("_id")
        if name.endswith("_id") and ref in ("client", "project", "user"):
            if store.tables[ref + "s"].get(value) is None:
                return f"{ref.capitalize()} can't be blank"
            record[ref] = {"id": int(value)}
        elif name == "spent_date":
            try:
                date.fromisoformat(str(value))
            except ValueError:
                return "Spent date is not a valid date"
            record[name] = value
        else:
            record[name] = value
    return None


async def one(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    kind = request.path_params["kind"]
    record = store.tables[kind].get(request.path_params["id"]) if kind in KINDS else None
    if record is None:
        return error(404, "not_found", "The requested resource could not be found.")
    if request.method == "GET":
        return JSONResponse(store.present(kind, record))
    body = await json_body(request)
    if not isinstance(body, dict):
        return error(400, "invalid_request", "The request body must be a JSON object.")
    if kind == "clients" and _name_taken(store, body.get("name"), record["id"]):
        return _unprocessable("Name has already been taken")
    if message := _apply(store, kind, record, body):
        return _unprocessable(message)
    store.touch(record)
    return JSONResponse(store.present(kind, record))


def _name_taken(store: HarvestStore, name: Any, own_id: object = None) -> bool:
    """Client names are unique within a Harvest account."""
    return name is not None and any(
        r["name"] == name and r["id"] != own_id for r in store.tables["clients"].all()
    )


async def create(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    kind = request.path_params["kind"]
    if kind not in KINDS:
        return error(404, "not_found", "The requested resource could not be found.")
    body = await json_body(request)
    if not isinstance(body, dict):
        return error(400, "invalid_request", "The request body must be a JSON object.")
    missing = [f for f in REQUIRED[kind] if body.get(f) in (None, "")]
    if missing:
        return _unprocessable(f"{missing[0].replace('_', ' ').capitalize()} can't be blank")
    if kind == "clients" and _name_taken(store, body["name"]):
        return _unprocessable("Name has already been taken")
    record: Record = {"id": store.new_id(), "is_active": True}
    if kind == "time_entries":
        record.update(
            {"billable": True, "is_locked": False, "is_closed": False, "is_billed": False}
        )
    if message := _apply(store, kind, record, body):
        return _unprocessable(message)
    store.touch(record, created=True)
    store.tables[kind].add(record)
    return JSONResponse(store.present(kind, record), status_code=201)


def _throttled(retry_after: int) -> Response:
    return error(
        429,
        "rate_limit_exceeded",
        f"Too many requests: the API rate limit was exceeded. Retry in {retry_after} seconds.",
    )


def _server_error() -> Response:
    return error(500, "internal_server_error", "Something went wrong on Harvest's side.")


def create_app(
    store: HarvestStore | None = None, *, faults: FaultControl | None = None
) -> Starlette:
    routes = [
        Route("/v2/projects/{project_id}/user_assignments", project_assignments, methods=["GET"]),
        Route("/v2/{kind}", list_kind, methods=["GET"]),
        Route("/v2/{kind}", create, methods=["POST"]),
        Route("/v2/{kind}/{id}", one, methods=["GET", "PATCH"]),
    ]
    return build_app(
        routes,
        store=store or HarvestStore(),
        faults=faults,
        throttle=_throttled,
        server_error=_server_error,
    )
