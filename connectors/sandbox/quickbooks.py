"""Emulated QuickBooks Online Accounting API (ERP): Customer, Invoice, Payment, query and CDC.

Endpoints (`Authorization: Bearer <token>`; `{realm}` is the company's realm ID):
    GET|POST /v3/company/{realm}/query?query=select * from Customer where
             Metadata.LastUpdatedTime > '...' orderby Id STARTPOSITION 1 MAXRESULTS 100
    GET      /v3/company/{realm}/{customer|invoice|payment|term}/{id}
    POST     /v3/company/{realm}/{customer|invoice|payment}   create, or update when the body
             has `Id` + `SyncToken` (`"sparse": true` merges, otherwise full update);
             `?operation=delete` deletes an invoice or payment; `?requestid=` makes the call
             idempotent: a request ID seen before gets the original response again
    GET      /v3/company/{realm}/cdc?entities=Customer,Invoice&changedSince=<ISO datetime>
Objects carry `Id`, `SyncToken` and `MetaData{CreateTime,LastUpdatedTime}` (queries spell it
`Metadata.LastUpdatedTime`; field names are case-insensitive there); as in QuickBooks, a
Customer query without a condition on `Active` returns active customers only; a stale SyncToken
gives the Stale Object Error fault (code 5010). A customer's currency cannot change once set;
a sub-customer (job) takes its parent's. Errors are `{"Fault":{"Error":[...],"type"}}`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox import _qbql
from connectors.sandbox._app import bearer_token, build_app, json_body
from connectors.sandbox._soql import parse_datetime
from connectors.sandbox._store import Clock, Record, Sandbox, Table
from connectors.sandbox.faults import FaultControl

TOKEN = "sandbox-quickbooks-token"
REALM_ID = "9341452311712345"
ENTITIES = {"customer": "Customer", "invoice": "Invoice", "payment": "Payment", "term": "Term"}
_WRITABLE = {"Customer", "Invoice", "Payment"}
# Every company has these sales terms (QuickBooks' defaults).
DEFAULT_TERMS = (
    ("1", "Due on receipt", 0),
    ("2", "Net 15", 15),
    ("3", "Net 30", 30),
    ("4", "Net 45", 45),
    ("5", "Net 60", 60),
)
_DELETABLE = {"Invoice", "Payment"}
_SYSTEM = {"Id", "SyncToken", "MetaData", "domain", "sparse"}
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")
CDC_WINDOW = timedelta(days=30)


def qbo_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


class QuickBooksStore(Sandbox):
    """One QuickBooks company (realm)."""

    def __init__(
        self,
        seed: dict[str, list[Record]] | None = None,
        *,
        clock: Clock | None = None,
        token: str = TOKEN,
        realm_id: str = REALM_ID,
    ) -> None:
        super().__init__(clock)
        seed = seed or {}
        self.tables = {name: Table(seed.get(name, []), key="Id") for name in ENTITIES.values()}
        if not len(self.tables["Term"]):
            for term_id, name, days in DEFAULT_TERMS:
                self.tables["Term"].add(_term(term_id, name, days))
        self.deleted: dict[str, list[Record]] = {name: [] for name in ENTITIES.values()}
        self.token = token
        self.realm_id = realm_id
        # requestid -> the (status, body) first sent for it
        self.replies: dict[str, tuple[int, Record]] = {}
        self._next_id = max([int(r["Id"]) for t in self.tables.values() for r in t.all()] or [0])

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def touch(self, record: Record, *, created: bool = False) -> None:
        stamp = qbo_datetime(self.now())
        meta = record.setdefault("MetaData", {})
        if created:
            meta["CreateTime"] = stamp
            record["SyncToken"] = "0"
        else:
            record["SyncToken"] = str(int(record.get("SyncToken", "0")) + 1)
        meta["LastUpdatedTime"] = stamp
        record["domain"] = "QBO"
        record["sparse"] = False


def _term(term_id: str, name: str, days: int) -> Record:
    return {
        "Id": term_id,
        "Name": name,
        "Active": True,
        "Type": "STANDARD",
        "DueDays": days,
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": {
            "CreateTime": "2015-01-01T00:00:00-00:00",
            "LastUpdatedTime": "2015-01-01T00:00:00-00:00",
        },
    }


def fault(
    status: int, code: str, message: str, detail: str, kind: str = "ValidationFault"
) -> Response:
    return JSONResponse(
        {
            "Fault": {
                "Error": [{"Message": message, "Detail": detail, "code": code, "element": ""}],
                "type": kind,
            },
            "time": _time(),
        },
        status_code=status,
    )


def _time() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def _store(request: Request) -> QuickBooksStore:
    store: QuickBooksStore = request.app.state.store
    return store


def _unauthorized(request: Request) -> Response | None:
    store = _store(request)
    if bearer_token(request) != store.token:
        # QuickBooks sends its 401 body in lower case, unlike every other fault.
        return JSONResponse(
            {
                "fault": {
                    "error": [
                        {
                            "message": "message=AuthenticationFailed; errorCode=003200; "
                            "statusCode=401",
                            "detail": "Token expired or invalid",
                            "code": "3200",
                        }
                    ],
                    "type": "AUTHENTICATION",
                },
                "time": _time(),
            },
            status_code=401,
        )
    if request.path_params.get("realm") != store.realm_id:
        return fault(
            403,
            "3100",
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            "The token is not valid for this company (realm).",
            "SECURITY",
        )
    return None


def _not_found(entity: str, record_id: str) -> Response:
    return fault(
        400,
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"Check the fields with accounts, customers, items, vendors or employees. "
        f"({entity} {record_id})",
    )


def _compare(value: Any, cond: _qbql.Cond) -> bool:
    if isinstance(value, bool):
        value = str(value).lower()
    if cond.op == "in":
        return str(value) in cond.value
    if cond.op == "like":
        pattern = "^" + re.escape(cond.value).replace("%", ".*") + "$"
        return value is not None and re.match(pattern, str(value), re.IGNORECASE) is not None
    left: Any = value
    right: Any = cond.value
    if isinstance(value, str) and _DATETIME.match(value) and _DATETIME.match(right):
        left, right = parse_datetime(value), parse_datetime(right)
    elif isinstance(value, int | float):
        right = float(right)
    if left is None:
        return False
    return {
        "=": left == right,
        "!=": left != right,
        "<": left < right,
        ">": left > right,
        "<=": left <= right,
        ">=": left >= right,
    }[cond.op]


def _sort_value(record: Record, path: str) -> tuple[int, Any]:
    value = _qbql.lookup(record, path)
    if path.lower() == "id":
        return (0, int(value))
    return (value is None, "" if value is None else str(value))


async def query(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    text = request.query_params.get("query")
    if text is None and request.method == "POST":
        text = (await request.body()).decode()
    try:
        parsed = _qbql.parse_query(text or "")
    except _qbql.QueryError as exc:
        return fault(400, "4000", "Error parsing query", f"QueryParserError: {exc}")
    entity = next((e for e in ENTITIES.values() if e.lower() == parsed.entity.lower()), None)
    if entity is None:
        return fault(
            400,
            "4001",
            "Invalid query",
            f"QueryValidationError: Unsupported entity {parsed.entity}",
        )
    where = list(parsed.where)
    if entity == "Customer" and not any(c.path.lower() == "active" for c in where):
        where.append(_qbql.Cond("Active", "=", "true"))  # QuickBooks hides inactive ones
    rows = [
        r
        for r in store.tables[entity].all()
        if all(_compare(_qbql.lookup(r, c.path), c) for c in where)
    ]
    if parsed.count:
        return JSONResponse({"QueryResponse": {"totalCount": len(rows)}, "time": _time()})
    path, descending = parsed.order_by or ("Id", False)
    rows.sort(key=lambda r: _sort_value(r, path), reverse=descending)
    start = max(parsed.start_position, 1) - 1
    page = rows[start : start + parsed.max_results]
    body: Record = {}
    if page:  # QuickBooks answers an empty result with an empty QueryResponse
        body = {entity: page, "startPosition": start + 1, "maxResults": len(page)}
    return JSONResponse({"QueryResponse": body, "time": _time()})


async def read(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    entity = ENTITIES.get(request.path_params["entity"].lower())
    if entity is None:
        return fault(400, "4001", "Invalid entity", "Unsupported entity")
    record = _store(request).tables[entity].get(request.path_params["id"])
    if record is None:
        return _not_found(entity, request.path_params["id"])
    return JSONResponse({entity: record, "time": _time()})


def _duplicate_name(name: str) -> Response:
    return fault(
        400,
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another customer, vendor or employee "
        f"is already using this name. Please use a different name. ({name})",
    )


def _validate_new(store: QuickBooksStore, entity: str, body: Record) -> Response | None:
    if entity == "Customer":
        name = body.get("DisplayName") or body.get("CompanyName")
        if not name:
            return fault(
                400,
                "2020",
                "Required param missing, need to supply the required value for the API",
                "Required parameter DisplayName is missing in the request",
            )
        if any(r["DisplayName"] == name for r in store.tables["Customer"].all()):
            return _duplicate_name(name)
        body.setdefault("DisplayName", name)
        parent_id = (body.get("ParentRef") or {}).get("value")
        if parent_id is not None:
            parent = store.tables["Customer"].get(parent_id)
            if parent is None:
                return fault(
                    400, "2500", "Invalid Reference Id", "Invalid Reference Id : ParentRef"
                )
            # A sub-customer bills in its parent's currency and sits one level below it.
            body.setdefault("CurrencyRef", parent.get("CurrencyRef"))
            body["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{body['DisplayName']}"
            body["Level"] = int(parent.get("Level") or 0) + 1
    else:
        ref = (body.get("CustomerRef") or {}).get("value")
        if ref is None or store.tables["Customer"].get(ref) is None:
            return fault(400, "2500", "Invalid Reference Id", "Invalid Reference Id : CustomerRef")
    return None


async def write(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    request_id = request.query_params.get("requestid")
    if request_id is not None and request_id in store.replies:
        status, reply = store.replies[request_id]
        return JSONResponse(reply, status_code=status)
    response = await _write(request, store)
    if request_id is not None and response.status_code == 200:
        store.replies[request_id] = (200, json.loads(bytes(response.body)))
    return response


async def _write(request: Request, store: QuickBooksStore) -> Response:
    entity = ENTITIES.get(request.path_params["entity"].lower())
    if entity not in _WRITABLE:
        return fault(400, "4001", "Invalid entity", "Unsupported entity")
    body = await json_body(request)
    if not isinstance(body, dict):
        return fault(400, "2310", "Invalid Request", "Request has invalid or unsupported JSON")
    if "Id" not in body:
        if invalid := _validate_new(store, entity, body):
            return invalid
        record = {k: v for k, v in body.items() if k not in _SYSTEM}
        record["Id"] = store.new_id()
        if entity == "Customer":
            record.setdefault("Active", True)
            record.setdefault("FullyQualifiedName", record["DisplayName"])
            record.setdefault("Balance", 0)
        if entity == "Invoice":
            record.setdefault("Balance", record.get("TotalAmt", 0))
        store.touch(record, created=True)
        store.tables[entity].add(record)
        return JSONResponse({entity: record, "time": _time()})
    record_id = str(body["Id"])
    current = store.tables[entity].get(record_id)
    if current is None:
        return _not_found(entity, record_id)
    if str(body.get("SyncToken")) != current["SyncToken"]:
        return fault(
            400,
            "5010",
            "Stale Object Error",
            f"Stale Object Error : You and sandbox were working on this at the same time. "
            f"sandbox finished before you did, so your work was not saved. "
            f"(SyncToken {body.get('SyncToken')} is not the current {current['SyncToken']})",
        )
    if request.query_params.get("operation") == "delete":
        if entity not in _DELETABLE:
            return fault(
                400,
                "6000",
                "A business validation error has occurred",
                f"{entity} cannot be deleted; make it inactive instead",
            )
        del store.tables[entity].rows[record_id]
        stub = {"Id": record_id, "status": "Deleted", "domain": "QBO"}
        store.touch(stub)
        store.deleted[entity].append(stub)
        return JSONResponse({entity: stub, "time": _time()})
    changes = {k: v for k, v in body.items() if k not in _SYSTEM}
    name = changes.get("DisplayName")
    if (
        entity == "Customer"
        and name is not None
        and any(
            r["DisplayName"] == name and r["Id"] != record_id
            for r in store.tables["Customer"].all()
        )
    ):
        return _duplicate_name(name)
    if entity == "Customer" and _currency(changes) not in (None, _currency(current)):
        return fault(
            400,
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: You can't change the currency of a customer once it "
            "is set.",
        )
    if not body.get("sparse"):
        # A full update replaces the object: fields left out are cleared.
        keep: Record = {k: current[k] for k in ("Id", "SyncToken", "MetaData") if k in current}
        current.clear()
        current.update(keep)
    current.update(changes)
    if entity == "Customer" and ("DisplayName" in changes or "ParentRef" in changes):
        _place(store, current)
    store.touch(current)
    return JSONResponse({entity: current, "time": _time()})


def _place(store: QuickBooksStore, customer: Record) -> None:
    """FullyQualifiedName and Level follow the name and the parent, as QuickBooks keeps them."""
    parent = store.tables["Customer"].get((customer.get("ParentRef") or {}).get("value"))
    if parent is None:
        customer["FullyQualifiedName"] = customer.get("DisplayName")
        customer.pop("Level", None)
    else:
        customer["FullyQualifiedName"] = (
            f"{parent.get('FullyQualifiedName')}:{customer.get('DisplayName')}"
        )
        customer["Level"] = int(parent.get("Level") or 0) + 1


def _currency(record: Record) -> str | None:
    value = (record.get("CurrencyRef") or {}).get("value")
    return None if value is None else str(value)


async def cdc(request: Request) -> Response:
    if denied := _unauthorized(request):
        return denied
    store = _store(request)
    names = [n.strip() for n in request.query_params.get("entities", "").split(",") if n.strip()]
    entities = [next((e for e in ENTITIES.values() if e.lower() == n.lower()), n) for n in names]
    if not entities or any(e not in store.tables for e in entities):
        return fault(400, "4001", "Invalid query", "entities must list supported entities")
    try:
        since = parse_datetime(request.query_params.get("changedSince", ""))
    except ValueError:
        return fault(
            400,
            "2010",
            "Request has invalid or unsupported property",
            "changedSince must be an ISO 8601 date and time",
        )
    if since < store.now() - CDC_WINDOW:
        return fault(
            400,
            "2010",
            "Request has invalid or unsupported property",
            "changedSince must be within the last 30 days",
        )
    responses: list[Record] = []
    for entity in entities:
        changed = [
            r
            for r in [*store.tables[entity].all(), *store.deleted[entity]]
            if parse_datetime(r["MetaData"]["LastUpdatedTime"]) > since
        ][:1000]
        block: Record = {"startPosition": 1, "maxResults": len(changed), "totalCount": len(changed)}
        if changed:
            block[entity] = changed
        responses.append(block)
    return JSONResponse({"CDCResponse": [{"QueryResponse": responses}], "time": _time()})


def _throttled(retry_after: int) -> Response:
    return fault(
        429,
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.",
        "SERVICE",
    )


def _server_error() -> Response:
    return fault(
        500,
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred",
        "SystemFault",
    )


def create_app(
    store: QuickBooksStore | None = None, *, faults: FaultControl | None = None
) -> Starlette:
    base = "/v3/company/{realm}"
    routes = [
        Route(base + "/query", query, methods=["GET", "POST"]),
        Route(base + "/cdc", cdc, methods=["GET"]),
        Route(base + "/{entity}", write, methods=["POST"]),
        Route(base + "/{entity}/{id}", read, methods=["GET"]),
    ]
    return build_app(
        routes,
        store=store or QuickBooksStore(),
        faults=faults,
        throttle=_throttled,
        server_error=_server_error,
    )
