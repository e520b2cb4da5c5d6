"""Emulated Salesforce REST API (CRM): Account, Contact, Opportunity and User, plus SOQL.

Endpoints (any `v{N}.0` API version; `Authorization: Bearer <token>` required):
    GET   /services/data/v60.0/query?q=SELECT ... FROM X [WHERE ...] [ORDER BY ...] [LIMIT n]
    GET   /services/data/v60.0/queryAll?q=...                 (also returns deleted records)
    GET   /services/data/v60.0/query/{locator}-{offset}      (the `nextRecordsUrl` of a query)
    GET   /services/data/v60.0/sobjects/{type}/{id}[?fields=A,B]
    PATCH /services/data/v60.0/sobjects/{type}/{id}          -> 204 (412 PRECONDITION_FAILED
          when `If-Unmodified-Since` is given and the record changed after it)
    PATCH /services/data/v60.0/sobjects/{type}/{extIdField}/{value}   upsert by an external-ID
          field: 201 {"id","success","errors","created": true} or 200 (..."created": false)
    DELETE /services/data/v60.0/sobjects/{type}/{id}         -> 204 (IsDeleted = true)
    POST  /services/data/v60.0/sobjects/{type}/              -> 201 {"id","success","errors"}
Errors are Salesforce's array `[{"message","errorCode","fields"}]`; unsupported SOQL gives
MALFORMED_QUERY, a bad token INVALID_SESSION_ID (401), throttling REQUEST_LIMIT_EXCEEDED (429).
"""

from __future__ import annotations

import email.utils
import functools
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox import _soql
from connectors.sandbox._app import bearer_token, build_app, json_body
from connectors.sandbox._ids import salesforce_id
from connectors.sandbox._store import Clock, Record, Sandbox, Table
from connectors.sandbox.faults import FaultControl

TOKEN = "sandbox-salesforce-token"
API_VERSION = "v60.0"
# A custom text field flagged External ID + Unique in the org: Crosswalk upserts by it.
CROSSWALK_KEY = "Crosswalk_Key__c"
EXTERNAL_ID_FIELDS: dict[str, set[str]] = {"Account": {CROSSWALK_KEY}}
PREFIXES = {"Account": "001", "Contact": "003", "Opportunity": "006", "User": "005"}
_SYSTEM_FIELDS = {"Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted"}
FIELDS: dict[str, set[str]] = {
    "Account": _SYSTEM_FIELDS
    | {
        "Name",
        "Type",
        "Industry",
        "Website",
        "Phone",
        "ParentId",
        "OwnerId",
        "AccountNumber",
        "BillingStreet",
        "BillingCity",
        "BillingState",
        "BillingPostalCode",
        "BillingCountry",
        "CurrencyIsoCode",
        "Description",
        CROSSWALK_KEY,
    },
    "Contact": _SYSTEM_FIELDS
    | {
        "AccountId",
        "FirstName",
        "LastName",
        "Name",
        "Email",
        "Phone",
        "Title",
        "Department",
        "ReportsToId",
        "OwnerId",
    },
    "Opportunity": _SYSTEM_FIELDS
    | {
        "AccountId",
        "Name",
        "StageName",
        "CloseDate",
        "Amount",
        "CurrencyIsoCode",
        "Type",
        "Probability",
        "IsClosed",
        "IsWon",
        "OwnerId",
        "Description",
    },
    "User": _SYSTEM_FIELDS
    | {"Username", "FirstName", "LastName", "Name", "Email", "Title", "Department", "IsActive"},
}
REQUIRED = {
    "Account": ["Name"],
    "Contact": ["LastName"],
    "Opportunity": ["Name", "StageName", "CloseDate"],
    "User": ["Username", "LastName", "Email"],
}
_READ_ONLY = _SYSTEM_FIELDS | {"IsClosed", "IsWon"}
_DEFAULT_BATCH = 2000


def sf_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


class SalesforceStore(Sandbox):
    """An org's records per sObject type, plus open query cursors."""

    def __init__(
        self,
        seed: dict[str, list[Record]] | None = None,
        *,
        clock: Clock | None = None,
        batch_size: int = _DEFAULT_BATCH,
        token: str = TOKEN,
    ) -> None:
        super().__init__(clock)
        seed = seed or {}
        self.tables = {name: Table(seed.get(name, []), key="Id") for name in FIELDS}
        self.batch_size = batch_size
        self.token = token
        self.cursors: dict[str, list[Record]] = {}
        self._next_id = 1 + sum(len(t) for t in self.tables.values()) + 10_000

    def new_id(self, sobject: str) -> str:
        self._next_id += 1
        return salesforce_id(PREFIXES[sobject], self._next_id)

    def touch(self, record: Record, *, created: bool = False) -> None:
        stamp = sf_datetime(self.now())
        if created:
            record["CreatedDate"] = stamp
        record["LastModifiedDate"] = stamp
        record["SystemModstamp"] = stamp


def errors(status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
    body: list[dict[str, Any]] = [{"message": message, "errorCode": code, "fields": fields or []}]
    return JSONResponse(body, status_code=status)


def _not_found() -> Response:
    return errors(404, "NOT_FOUND", "The requested resource does not exist")


def _store(request: Request) -> SalesforceStore:
    store: SalesforceStore = request.app.state.store
    return store


def _unauthorized(request: Request) -> Response | None:
    if bearer_token(request) != _store(request).token:
        return errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
    return None


def _with_attributes(sobject: str, record: Record, fields: list[str] | None) -> Record:
    out: Record = {
        "attributes": {
            "type": sobject,
            "url": f"/services/data/{API_VERSION}/sobjects/{sobject}/{record['Id']}",
        }
    }
    for name in fields or sorted(FIELDS[sobject]):
        out[name] = record.get(name)
    return out


def _canonical_field(sobject: str, name: str) -> str | None:
    for known in FIELDS[sobject]:
        if known.lower() == name.lower():
            return known
    return None


async def query(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    text = request.query_params.get("q", "")
    try:
        soql = _soql.parse_soql(text)
    except _soql.SoqlError as exc:
        return errors(400, "MALFORMED_QUERY", f"{text}\nERROR: {exc}")
    sobject = next((s for s in FIELDS if s.lower() == soql.sobject.lower()), None)
    if sobject is None:
        return errors(
            400,
            "INVALID_TYPE",
            f"sObject type '{soql.sobject}' is not supported. If you are attempting to use a "
            "custom object, be sure to append the '__c' after the entity name.",
        )
    names: list[str] = []
    for raw in [*soql.fields, *(c.field for c in soql.where), *(f for f, _ in soql.order_by)]:
        known = _canonical_field(sobject, raw)
        if known is None:
            return errors(400, "INVALID_FIELD", f"No such column '{raw}' on entity '{sobject}'.")
        names.append(known)
    fields = names[: len(soql.fields)]
    where = [
        _soql.Condition(_canonical_field(sobject, c.field) or c.field, c.op, c.value)
        for c in soql.where
    ]
    # /query skips the recycle bin; /queryAll includes deleted records (IsDeleted = true).
    include_deleted = request.url.path.rstrip("/").endswith("/queryAll")
    rows = [
        r
        for r in store.tables[sobject].all()
        if (include_deleted or not r.get("IsDeleted")) and _soql.matches(r, where)
    ]
    for name, descending in reversed(soql.order_by):
        known = _canonical_field(sobject, name) or name
        rows.sort(key=functools.partial(_soql.sort_value, name=known), reverse=descending)
    if soql.limit is not None:
        rows = rows[: soql.limit]
    results = [_with_attributes(sobject, r, fields) for r in rows]
    return _page(request, store, results, 0)


def _batch_size(request: Request, store: SalesforceStore) -> int:
    # Sforce-Query-Options: batchSize=n, honoured between 200 and 2000 as Salesforce does.
    options = request.headers.get("sforce-query-options", "")
    for part in options.split(","):
        key, _, value = part.strip().partition("=")
        if key == "batchSize" and value.isdigit():
            return max(200, min(2000, int(value)))
    return store.batch_size


def _page(request: Request, store: SalesforceStore, results: list[Record], start: int) -> Response:
    size = _batch_size(request, store)
    end = start + size
    body: Record = {"totalSize": len(results), "done": end >= len(results)}
    if end < len(results):
        locator = f"01g{len(store.cursors) + 1:012d}AAA"
        store.cursors[locator] = results
        body["nextRecordsUrl"] = f"/services/data/{API_VERSION}/query/{locator}-{end}"
    body["records"] = results[start:end]
    return JSONResponse(body)


async def query_more(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    locator, _, offset = request.path_params["locator"].rpartition("-")
    results = store.cursors.get(locator)
    if results is None or not offset.isdigit():
        return errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return _page(request, store, results, int(offset))


def _sobject(request: Request) -> str | None:
    raw = request.path_params["sobject"]
    return next((s for s in FIELDS if s.lower() == raw.lower()), None)


def _validate_fields(sobject: str, body: Any) -> Response | None:
    if not isinstance(body, dict):
        return errors(400, "JSON_PARSER_ERROR", "The request body is not a JSON object")
    for name in body:
        if _canonical_field(sobject, name) is None:
            return errors(
                400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}"
            )
        if name in _READ_ONLY:
            return errors(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {name}. Please check the security settings "
                "of this field and verify that it is read/write for your profile or permission "
                "set.",
                [name],
            )
    return None


def _derive(sobject: str, record: Record) -> None:
    if sobject in ("Contact", "User"):
        record["Name"] = " ".join(p for p in (record.get("FirstName"), record.get("LastName")) if p)
    if sobject == "Opportunity":
        stage = record.get("StageName") or ""
        record["IsClosed"] = stage.startswith("Closed")
        record["IsWon"] = stage == "Closed Won"


async def sobject_row(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    sobject = _sobject(request)
    if sobject is None:
        return _not_found()
    record = store.tables[sobject].get(request.path_params["id"])
    if record is None or record.get("IsDeleted"):
        return _not_found()
    if request.method == "GET":
        wanted = request.query_params.get("fields")
        fields = None
        if wanted:
            fields = []
            for raw in wanted.split(","):
                known = _canonical_field(sobject, raw.strip())
                if known is None:
                    return errors(
                        400, "INVALID_FIELD", f"No such column '{raw}' on entity '{sobject}'."
                    )
                fields.append(known)
        return JSONResponse(_with_attributes(sobject, record, fields))
    if request.method == "DELETE":
        record["IsDeleted"] = True  # to the recycle bin: still visible to queryAll
        store.touch(record)
        return Response(status_code=204)
    if refused := _precondition(request, record):
        return refused
    body = await json_body(request)
    if invalid := _validate_fields(sobject, body):
        return invalid
    _update(store, sobject, record, body)
    return Response(status_code=204)


def _update(store: SalesforceStore, sobject: str, record: Record, body: Record) -> None:
    record.update({_canonical_field(sobject, k) or k: v for k, v in body.items()})
    _derive(sobject, record)
    store.touch(record)


def _precondition(request: Request, record: Record) -> Response | None:
    """If-Unmodified-Since: a weak validator compared with LastModifiedDate, at the
    whole-second resolution of an HTTP date (as Salesforce does)."""
    header = request.headers.get("if-unmodified-since")
    if header is None:
        return None
    try:
        since = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        since = None
    if since is None or since.tzinfo is None:
        return errors(400, "INVALID_HEADER_TYPE", f"Invalid If-Unmodified-Since value: {header}")
    modified = _soql.parse_datetime(record["LastModifiedDate"]).astimezone(UTC)
    if modified.replace(microsecond=0) > since.astimezone(UTC):
        return errors(
            412,
            "PRECONDITION_FAILED",
            "The record was modified after the date in the If-Unmodified-Since header "
            f"({header}); it was last modified {record['LastModifiedDate']}.",
        )
    return None


async def sobject_upsert(request: Request) -> Response:
    """PATCH by external ID: creates the record when no record has that value, else updates
    the one that has it (several -> 300, as Salesforce answers an ambiguous upsert)."""
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    sobject = _sobject(request)
    if sobject is None:
        return _not_found()
    field = next(
        (
            f
            for f in EXTERNAL_ID_FIELDS.get(sobject, set())
            if f.lower() == request.path_params["field"].lower()
        ),
        None,
    )
    if field is None:
        return errors(
            404,
            "NOT_FOUND",
            "Provided external ID field does not exist or is not accessible: "
            f"{request.path_params['field']}",
        )
    value = request.path_params["value"]
    body = await json_body(request)
    if invalid := _validate_fields(sobject, body):
        return invalid
    if any(k.lower() == field.lower() for k in body):
        return errors(
            400,
            "INVALID_FIELD",
            f"The field {field} is used as the external ID in the URL; leave it out of the body",
            [field],
        )
    found = [
        r for r in store.tables[sobject].all() if r.get(field) == value and not r.get("IsDeleted")
    ]
    if len(found) > 1:
        urls = [_with_attributes(sobject, r, ["Id"])["attributes"]["url"] for r in found]
        return JSONResponse(urls, status_code=300)
    if found:
        record = found[0]
        if refused := _precondition(request, record):
            return refused
        _update(store, sobject, record, body)
        return JSONResponse({"id": record["Id"], "success": True, "errors": [], "created": False})
    created = _insert(store, sobject, {**body, field: value})
    if isinstance(created, Response):
        return created
    return JSONResponse(
        {"id": created["Id"], "success": True, "errors": [], "created": True}, status_code=201
    )


async def sobject_create(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    sobject = _sobject(request)
    if sobject is None:
        return _not_found()
    body = await json_body(request)
    if invalid := _validate_fields(sobject, body):
        return invalid
    created = _insert(store, sobject, body)
    if isinstance(created, Response):
        return created
    return JSONResponse({"id": created["Id"], "success": True, "errors": []}, status_code=201)


def _insert(store: SalesforceStore, sobject: str, body: Record) -> Record | Response:
    values = {_canonical_field(sobject, k) or k: v for k, v in body.items()}
    missing = [f for f in REQUIRED[sobject] if not values.get(f)]
    if missing:
        return errors(
            400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", missing
        )
    record: Record = {name: None for name in FIELDS[sobject]}
    record.update(values)
    record["Id"] = store.new_id(sobject)
    record["IsDeleted"] = False
    _derive(sobject, record)
    store.touch(record, created=True)
    store.tables[sobject].add(record)
    return record


def _throttled(retry_after: int) -> Response:
    return errors(429, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


def _server_error() -> Response:
    return errors(
        500,
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        "1185203211-96853 (-1431104183)",
    )


def create_app(
    store: SalesforceStore | None = None, *, faults: FaultControl | None = None
) -> Starlette:
    base = "/services/data/{version}"
    routes = [
        Route(base + "/query", query, methods=["GET"]),
        Route(base + "/query/", query, methods=["GET"]),
        Route(base + "/query/{locator}", query_more, methods=["GET"]),
        Route(base + "/queryAll", query, methods=["GET"]),
        Route(base + "/queryAll/", query, methods=["GET"]),
        Route(base + "/queryAll/{locator}", query_more, methods=["GET"]),
        Route(base + "/sobjects/{sobject}", sobject_create, methods=["POST"]),
        Route(base + "/sobjects/{sobject}/", sobject_create, methods=["POST"]),
        Route(base + "/sobjects/{sobject}/{id}", sobject_row, methods=["GET", "PATCH", "DELETE"]),
        Route(base + "/sobjects/{sobject}/{field}/{value}", sobject_upsert, methods=["PATCH"]),
    ]
    return build_app(
        routes,
        store=store or SalesforceStore(),
        faults=faults,
        throttle=_throttled,
        server_error=_server_error,
    )
