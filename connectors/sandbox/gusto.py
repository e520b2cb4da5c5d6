"""Emulated Gusto API (payroll): employees, jobs and compensations with optimistic versions.

Endpoints (`Authorization: Bearer <token>`):
    GET  /v1/companies/{company_uuid}/employees?page=&per=&terminated=&include=all_compensations
         -> JSON array; X-Page, X-Per-Page, X-Total-Count, X-Total-Pages and Link headers
    GET  /v1/employees/{employee_uuid}
    PUT  /v1/employees/{employee_uuid}            body must carry the current `version`
    GET  /v1/employees/{employee_uuid}/jobs
    GET  /v1/jobs/{job_uuid}
    GET  /v1/jobs/{job_uuid}/compensations
    POST /v1/jobs/{job_uuid}/compensations        a new effective-dated compensation -> 201
    GET  /v1/compensations/{compensation_uuid}
    PUT  /v1/compensations/{compensation_uuid}    body must carry the current `version`
A stale `version` gives 409; errors are `{"errors": [{"error_key","category","message"}]}`.
"""

from __future__ import annotations

import hashlib
import math
import random
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox._app import bearer_token, build_app, json_body
from connectors.sandbox._ids import gusto_uuid
from connectors.sandbox._store import Clock, Record, Sandbox, Table
from connectors.sandbox.faults import FaultControl

TOKEN = "sandbox-gusto-token"
COMPANY_UUID = "c1f2a3b4-5d6e-4f70-8a9b-0c1d2e3f4a5b"
DEFAULT_PER = 25
EMPLOYEE_WRITABLE = {
    "first_name",
    "middle_initial",
    "last_name",
    "preferred_first_name",
    "email",
    "work_email",
    "date_of_birth",
    "ssn",
    "phone",
    "two_percent_shareholder",
}
COMPENSATION_WRITABLE = {
    "rate",
    "payment_unit",
    "flsa_status",
    "effective_date",
    "adjust_for_minimum_wage",
}
PAYMENT_UNITS = {"Hour", "Week", "Month", "Year", "Paycheck"}
FLSA_STATUSES = {
    "Exempt",
    "Salaried Nonexempt",
    "Nonexempt",
    "Owner",
    "Commission Only Exempt",
    "Commission Only Nonexempt",
}


def new_version(uuid: str, counter: int) -> str:
    return hashlib.md5(f"{uuid}:{counter}".encode(), usedforsecurity=False).hexdigest()


class GustoStore(Sandbox):
    """One Gusto company: employees, their jobs, and each job's compensations."""

    def __init__(
        self,
        seed: dict[str, list[Record]] | None = None,
        *,
        clock: Clock | None = None,
        token: str = TOKEN,
        company_uuid: str = COMPANY_UUID,
    ) -> None:
        super().__init__(clock)
        seed = seed or {}
        self.employees = Table(seed.get("employees", []), key="uuid")
        self.jobs = Table(seed.get("jobs", []), key="uuid")
        self.compensations = Table(seed.get("compensations", []), key="uuid")
        self.token = token
        self.company_uuid = company_uuid
        self._rng = random.Random(company_uuid)
        self._writes = 0

    def bump(self, record: Record) -> None:
        self._writes += 1
        record["version"] = new_version(record["uuid"], self._writes)

    def new_uuid(self) -> str:
        return gusto_uuid(self._rng)

    def job_view(self, job: Record, *, all_compensations: bool = True) -> Record:
        comps = sorted(
            (c for c in self.compensations.all() if c["job_uuid"] == job["uuid"]),
            key=lambda c: c["effective_date"],
        )
        today = self.now().date().isoformat()
        current = [c for c in comps if c["effective_date"] <= today] or comps
        out = dict(job)
        if current:
            out["current_compensation_uuid"] = current[-1]["uuid"]
            out["rate"] = current[-1]["rate"]
            out["payment_unit"] = current[-1]["payment_unit"]
        # Like Gusto, only the current compensation unless all of them are asked for.
        out["compensations"] = comps if all_compensations else current[-1:]
        return out

    def employee_view(self, employee: Record, *, all_compensations: bool = False) -> Record:
        jobs = [j for j in self.jobs.all() if j["employee_uuid"] == employee["uuid"]]
        views = [self.job_view(j, all_compensations=all_compensations) for j in jobs]
        return {**employee, "jobs": views}


def errors(status: int, key: str, category: str, message: str) -> Response:
    body = {"errors": [{"error_key": key, "category": category, "message": message}]}
    return JSONResponse(body, status_code=status)


def _not_found() -> Response:
    return errors(404, "request", "not_found", "Resource not found")


def _store(request: Request) -> GustoStore:
    store: GustoStore = request.app.state.store
    return store


def _unauthorized(request: Request) -> Response | None:
    if bearer_token(request) != _store(request).token:
        return errors(
            401, "request", "invalid_token", "The access token is invalid, expired, or missing."
        )
    return None


async def list_employees(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    if request.path_params["company_uuid"] != store.company_uuid:
        return _not_found()
    params = request.query_params
    try:
        page = max(1, int(params.get("page", "1")))
        per = max(1, min(100, int(params.get("per", str(DEFAULT_PER)))))
    except ValueError:
        return errors(422, "page", "invalid_attribute_value", "page and per must be integers")
    rows = store.employees.all()
    if "terminated" in params:
        wanted = params["terminated"].lower() == "true"
        rows = [r for r in rows if bool(r.get("terminated")) == wanted]
    total = len(rows)
    pages = max(1, math.ceil(total / per))
    chunk = rows[(page - 1) * per : page * per]
    links = []
    for rel, number in (("first", 1), ("prev", page - 1), ("next", page + 1), ("last", pages)):
        if 1 <= number <= pages and not (rel in ("prev", "next") and number == page):
            links.append(f'<{request.url.include_query_params(page=number, per=per)}>; rel="{rel}"')
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per),
        "X-Total-Count": str(total),
        "X-Total-Pages": str(pages),
    }
    if links:
        headers["Link"] = ", ".join(links)
    every = params.get("include") == "all_compensations"
    views = [store.employee_view(r, all_compensations=every) for r in chunk]
    return JSONResponse(views, headers=headers)


def _version_conflict(record: Record, body: dict[str, Any]) -> Response | None:
    if "version" not in body:
        return errors(422, "version", "invalid_attribute_value", "version is required")
    if body["version"] != record["version"]:
        return errors(
            409,
            "version",
            "invalid_operation",
            "The resource you are trying to update has been changed since you fetched it "
            "(version mismatch). Fetch the latest version and try again.",
        )
    return None


async def employee(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    record = store.employees.get(request.path_params["uuid"])
    if record is None:
        return _not_found()
    if request.method == "GET":
        every = request.query_params.get("include") == "all_compensations"
        return JSONResponse(store.employee_view(record, all_compensations=every))
    body = await json_body(request)
    if not isinstance(body, dict):
        return errors(400, "request", "invalid_request", "Body must be a JSON object")
    if conflict := _version_conflict(record, body):
        return conflict
    record.update({k: v for k, v in body.items() if k in EMPLOYEE_WRITABLE})
    store.bump(record)
    return JSONResponse(store.employee_view(record))


async def employee_jobs(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    uuid = request.path_params["uuid"]
    if store.employees.get(uuid) is None:
        return _not_found()
    jobs = [store.job_view(j) for j in store.jobs.all() if j["employee_uuid"] == uuid]
    return JSONResponse(jobs)


async def job(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    record = store.jobs.get(request.path_params["uuid"])
    if record is None:
        return _not_found()
    return JSONResponse(store.job_view(record))


def _compensation_invalid(body: dict[str, Any]) -> Response | None:
    if "payment_unit" in body and body["payment_unit"] not in PAYMENT_UNITS:
        return errors(
            422,
            "payment_unit",
            "invalid_attribute_value",
            f"payment_unit must be one of {sorted(PAYMENT_UNITS)}",
        )
    if "flsa_status" in body and body["flsa_status"] not in FLSA_STATUSES:
        return errors(
            422,
            "flsa_status",
            "invalid_attribute_value",
            f"flsa_status must be one of {sorted(FLSA_STATUSES)}",
        )
    if "rate" in body:
        try:
            float(body["rate"])
        except (TypeError, ValueError):
            return errors(422, "rate", "invalid_attribute_value", "rate must be a decimal")
    return None


async def job_compensations(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    record = store.jobs.get(request.path_params["uuid"])
    if record is None:
        return _not_found()
    if request.method == "GET":
        return JSONResponse(store.job_view(record)["compensations"])
    body = await json_body(request)
    if not isinstance(body, dict):
        return errors(400, "request", "invalid_request", "Body must be a JSON object")
    if invalid := _compensation_invalid(body):
        return invalid
    missing = [k for k in ("rate", "payment_unit", "flsa_status") if k not in body]
    if missing:
        return errors(422, missing[0], "invalid_attribute_value", f"{missing[0]} is required")
    comp: Record = {
        "uuid": store.new_uuid(),
        "job_uuid": record["uuid"],
        "effective_date": store.now().date().isoformat(),
        "adjust_for_minimum_wage": False,
    }
    comp.update({k: v for k, v in body.items() if k in COMPENSATION_WRITABLE})
    comp["rate"] = f"{float(comp['rate']):.2f}"
    store.bump(comp)
    store.compensations.add(comp)
    return JSONResponse(comp, status_code=201)


async def compensation(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    record = store.compensations.get(request.path_params["uuid"])
    if record is None:
        return _not_found()
    if request.method == "GET":
        return JSONResponse(record)
    body = await json_body(request)
    if not isinstance(body, dict):
        return errors(400, "request", "invalid_request", "Body must be a JSON object")
    if conflict := _version_conflict(record, body):
        return conflict
    if invalid := _compensation_invalid(body):
        return invalid
    record.update({k: v for k, v in body.items() if k in COMPENSATION_WRITABLE})
    record["rate"] = f"{float(record['rate']):.2f}"
    store.bump(record)
    return JSONResponse(record)


def _throttled(retry_after: int) -> Response:
    return errors(
        429,
        "request",
        "rate_limit_exceeded",
        f"Too many requests. Retry after {retry_after} seconds.",
    )


def _server_error() -> Response:
    return errors(500, "request", "internal_error", "An unexpected error has occurred.")


def create_app(store: GustoStore | None = None, *, faults: FaultControl | None = None) -> Starlette:
    routes = [
        Route("/v1/companies/{company_uuid}/employees", list_employees, methods=["GET"]),
        Route("/v1/employees/{uuid}", employee, methods=["GET", "PUT"]),
        Route("/v1/employees/{uuid}/jobs", employee_jobs, methods=["GET"]),
        Route("/v1/jobs/{uuid}", job, methods=["GET"]),
        Route("/v1/jobs/{uuid}/compensations", job_compensations, methods=["GET", "POST"]),
        Route("/v1/compensations/{uuid}", compensation, methods=["GET", "PUT"]),
    ]
    return build_app(
        routes,
        store=store or GustoStore(),
        faults=faults,
        throttle=_throttled,
        server_error=_server_error,
    )
