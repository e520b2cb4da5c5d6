"""Emulated BambooHR API (HRIS): employees, the directory and changed-since.

Endpoints (HTTP Basic auth, the API key as user name and any password; `{domain}` is the
company's subdomain):
    GET  /api/gateway.php/{domain}/v1/employees/directory       active employees only
    GET  /api/gateway.php/{domain}/v1/employees/changed?since=<ISO 8601>[&type=inserted|
         updated|deleted]  -> {"latest", "employees": {"<id>": {"id","action","lastChanged"}}}
    GET  /api/gateway.php/{domain}/v1/employees/{id}?fields=firstName,lastName,...
    POST /api/gateway.php/{domain}/v1/employees/{id}           update fields -> 200
    POST /api/gateway.php/{domain}/v1/employees                create -> 201 + Location
    POST /api/gateway.php/{domain}/v1/reports/custom?format=JSON  body {"title","fields"}
         -> {"title", "fields", "employees": [...]} for every employee, current and former
Paths also answer with a trailing slash, as BambooHR's do.
Errors carry BambooHR's `X-BambooHR-Error-Message` header; throttling is 503 + Retry-After, as
BambooHR documents it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox._app import basic_user, build_app, json_body
from connectors.sandbox._soql import parse_datetime
from connectors.sandbox._store import Clock, Record, Sandbox, Table
from connectors.sandbox.faults import FaultControl

API_KEY = "sandbox-bamboohr-key"
COMPANY_DOMAIN = "acmeconsulting"
FIELDS = (
    "id",
    "employeeNumber",
    "firstName",
    "lastName",
    "preferredName",
    "displayName",
    "workEmail",
    "homeEmail",
    "jobTitle",
    "department",
    "division",
    "location",
    "status",
    "employmentHistoryStatus",
    "hireDate",
    "terminationDate",
    "dateOfBirth",
    "ssn",
    "supervisorEId",
    "supervisor",
    "address1",
    "address2",
    "city",
    "state",
    "zipcode",
    "country",
    "mobilePhone",
    "workPhone",
    "lastChanged",
)
_READ_ONLY = {"id", "displayName", "supervisor", "lastChanged"}
DIRECTORY_FIELDS = (
    ("displayName", "text", "Display name"),
    ("firstName", "text", "First name"),
    ("lastName", "text", "Last name"),
    ("preferredName", "text", "Preferred name"),
    ("jobTitle", "list", "Job title"),
    ("workPhone", "text", "Work Phone"),
    ("mobilePhone", "text", "Mobile Phone"),
    ("workEmail", "email", "Work Email"),
    ("department", "list", "Department"),
    ("location", "list", "Location"),
    ("division", "list", "Division"),
    ("supervisor", "employee", "Supervisor"),
)


def bamboo_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S+00:00")


class BambooStore(Sandbox):
    """One BambooHR company's employees, and when API-created ones were inserted."""

    def __init__(
        self,
        seed: dict[str, list[Record]] | None = None,
        *,
        clock: Clock | None = None,
        api_key: str = API_KEY,
        company_domain: str = COMPANY_DOMAIN,
    ) -> None:
        super().__init__(clock)
        self.employees = Table((seed or {}).get("employees", []))
        self.inserted: dict[str, str] = {}  # id -> when created through the API
        self.api_key = api_key
        self.company_domain = company_domain
        self._next_id = max([int(r["id"]) for r in self.employees.all()] or [100])

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def touch(self, record: Record) -> None:
        record["lastChanged"] = bamboo_datetime(self.now())
        self.derive(record)

    def derive(self, record: Record) -> None:
        first = record.get("preferredName") or record.get("firstName") or ""
        record["displayName"] = f"{first} {record.get('lastName') or ''}".strip()
        boss = self.employees.get(record.get("supervisorEId"))
        record["supervisor"] = (
            f"{boss.get('lastName')}, {boss.get('firstName')}" if boss is not None else None
        )


def error(status: int, message: str) -> Response:
    return Response(status_code=status, headers={"X-BambooHR-Error-Message": message})


def _store(request: Request) -> BambooStore:
    store: BambooStore = request.app.state.store
    return store


def _unauthorized(request: Request) -> Response | None:
    store = _store(request)
    if request.path_params.get("domain") != store.company_domain:
        return error(404, "Company not found")
    if basic_user(request) != store.api_key:
        response = error(401, "Invalid API key")
        response.headers["WWW-Authenticate"] = 'Basic realm="BambooHR API"'
        return response
    return None


async def directory(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    active = [e for e in _store(request).employees.all() if e.get("status") == "Active"]
    fields = [{"id": f, "type": t, "name": n} for f, t, n in DIRECTORY_FIELDS]
    employees = [
        {"id": e["id"], **{f: e.get(f) for f, _, _ in DIRECTORY_FIELDS}, "photoUploaded": False}
        for e in active
    ]
    return JSONResponse({"fields": fields, "employees": employees})


async def changed(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    try:
        since = parse_datetime(request.query_params.get("since", ""))
    except ValueError:
        return error(400, "The 'since' parameter must be an ISO 8601 timestamp")
    wanted = request.query_params.get("type", "").lower()
    changes: dict[str, Record] = {}
    for employee in store.employees.all():
        last = employee["lastChanged"]
        if parse_datetime(last) <= since:
            continue
        created = store.inserted.get(employee["id"])
        action = "Inserted" if created and parse_datetime(created) > since else "Updated"
        if wanted and action.lower() != wanted:
            continue
        changes[employee["id"]] = {"id": employee["id"], "action": action, "lastChanged": last}
    return JSONResponse({"latest": bamboo_datetime(store.now()), "employees": changes})


def _check_fields(body: Any) -> Response | None:
    if not isinstance(body, dict):
        return error(400, "Request body must be a JSON object of field values")
    for name in body:
        if name not in FIELDS:
            return error(400, f"Invalid field: {name}")
        if name in _READ_ONLY:
            return error(400, f"Field is read-only: {name}")
    return None


async def employee(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    record = store.employees.get(request.path_params["id"])
    if record is None:
        return error(404, "Employee not found")
    if request.method == "GET":
        wanted = request.query_params.get("fields", "firstName,lastName")
        out: Record = {"id": record["id"]}
        for name in (f.strip() for f in wanted.split(",") if f.strip()):
            out[name] = record.get(name)  # BambooHR answers unknown fields with null
        return JSONResponse(out)
    body = await json_body(request)
    if invalid := _check_fields(body):
        return invalid
    record.update(body)
    store.touch(record)
    return Response(status_code=200)


async def create(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    body = await json_body(request)
    if invalid := _check_fields(body):
        return invalid
    if not body.get("firstName") or not body.get("lastName"):
        return error(400, "firstName and lastName are required")
    record: Record = dict.fromkeys(FIELDS)
    record.update({"status": "Active", "terminationDate": "0000-00-00"})
    record.update(body)
    record["id"] = store.new_id()
    store.touch(record)
    store.inserted[record["id"]] = record["lastChanged"]
    store.employees.add(record)
    # The new employee's URL is the collection's URL plus the ID (works under a mount prefix).
    location = f"{str(request.url.replace(query='')).rstrip('/')}/{record['id']}"
    return Response(status_code=201, headers={"Location": location})


async def custom_report(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    if request.query_params.get("format", "").upper() != "JSON":
        return error(400, "Only format=JSON is supported by this sandbox")
    body = await json_body(request)
    wanted = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(wanted, list) or not wanted:
        return error(400, "The report must list its fields")
    unknown = [f for f in wanted if f not in FIELDS]
    if unknown:
        return error(400, f"Invalid field: {unknown[0]}")
    employees = [
        {"id": e["id"], **{f: e.get(f) for f in wanted}} for e in _store(request).employees.all()
    ]
    return JSONResponse(
        {
            "title": body.get("title", "Report"),
            "fields": [{"id": f, "type": "text", "name": f} for f in wanted],
            "employees": employees,
        }
    )


def _throttled(retry_after: int) -> Response:
    return error(503, "Service Unavailable: API rate limit exceeded")


def _server_error() -> Response:
    return error(500, "Internal Server Error")


def create_app(
    store: BambooStore | None = None, *, faults: FaultControl | None = None
) -> Starlette:
    base = "/api/gateway.php/{domain}/v1/employees"
    routes = [
        Route(base + "/directory", directory, methods=["GET"]),
        Route(base + "/directory/", directory, methods=["GET"]),
        Route(base + "/changed", changed, methods=["GET"]),
        Route(base + "/changed/", changed, methods=["GET"]),
        Route(base, create, methods=["POST"]),
        Route(base + "/", create, methods=["POST"]),
        Route(base + "/{id}", employee, methods=["GET", "POST"]),
        Route(base + "/{id}/", employee, methods=["GET", "POST"]),
        Route("/api/gateway.php/{domain}/v1/reports/custom", custom_report, methods=["POST"]),
    ]
    return build_app(
        routes,
        store=store or BambooStore(),
        faults=faults,
        throttle=_throttled,
        server_error=_server_error,
    )
