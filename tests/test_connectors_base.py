"""The shared client: retries with backoff, Retry-After, attempt bounds and error mapping."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from connectors.base import (
    PermanentError,
    RateLimited,
    RetryPolicy,
    SourceClient,
    StaleToken,
    TransientError,
    parse_retry_after,
)
from connectors.gusto import GustoClient
from connectors.quickbooks import QuickBooksClient
from connectors.salesforce import SalesforceClient

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self, responses: list[httpx.Response | Exception]) -> None:
        self.responses = responses
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return item

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def client(
    recorder: Recorder, cls: type[SourceClient] = SourceClient, **kwargs: object
) -> SourceClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder.handler))
    policy = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=4, max_retry_after=60)
    return cls(http, "https://api.example", retry=policy, sleep=recorder.sleep, **kwargs)  # type: ignore[arg-type]


async def test_retries_server_errors_then_succeeds() -> None:
    rec = Recorder([httpx.Response(500), httpx.Response(502), httpx.Response(200, json={"ok": 1})])
    assert await client(rec).get_json("/things") == {"ok": 1}
    assert len(rec.requests) == 3
    assert len(rec.sleeps) == 2 and all(0 <= s <= 4 for s in rec.sleeps)


async def test_honours_retry_after_on_429() -> None:
    rec = Recorder([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)])
    await client(rec).request("GET", "/things")
    assert rec.sleeps[0] >= 7


async def test_503_with_retry_after_is_rate_limiting() -> None:
    rec = Recorder([httpx.Response(503, headers={"Retry-After": "3"})])
    with pytest.raises(RateLimited) as info:
        await client(rec).request("GET", "/things")
    assert info.value.retry_after == 3
    assert len(rec.requests) == 4  # the max-attempts bound
    assert all(s >= 3 for s in rec.sleeps)


async def test_gives_up_after_max_attempts() -> None:
    rec = Recorder([httpx.Response(500, text="boom")])
    with pytest.raises(TransientError):
        await client(rec).request("GET", "/things")
    assert len(rec.requests) == 4


async def test_dropped_connections_are_retried_for_reads() -> None:
    rec = Recorder([httpx.RemoteProtocolError("peer closed"), httpx.Response(200, json=[])])
    assert await client(rec).get_json("/things") == []


async def test_post_is_not_replayed_after_a_dropped_connection() -> None:
    # The server may have applied it; replaying could create a duplicate.
    rec = Recorder([httpx.RemoteProtocolError("peer closed"), httpx.Response(201)])
    with pytest.raises(TransientError):
        await client(rec).request("POST", "/things", json={})
    assert len(rec.requests) == 1


async def test_post_is_retried_when_the_connection_never_opened() -> None:
    rec = Recorder([httpx.ConnectError("refused"), httpx.Response(201, json={})])
    await client(rec).request("POST", "/things", json={})
    assert len(rec.requests) == 2


async def test_client_errors_are_permanent_and_not_retried() -> None:
    rec = Recorder([httpx.Response(404, text="nope")])
    with pytest.raises(PermanentError):
        await client(rec).request("GET", "/things")
    assert len(rec.requests) == 1


async def test_quickbooks_stale_sync_token() -> None:
    body = {
        "Fault": {
            "Error": [
                {
                    "Message": "Stale Object Error",
                    "Detail": "Stale Object Error : You and seanmcc edited the same information.",
                    "code": "5010",
                }
            ],
            "type": "ValidationFault",
        },
        "time": "2015-09-17T12:35:09.473-07:00",
    }
    rec = Recorder([httpx.Response(400, json=body)])
    qbo = client(rec, QuickBooksClient, access_token="t", realm_id="1")
    with pytest.raises(StaleToken) as info:
        await qbo.request("POST", "/v3/company/1/customer", json={})
    assert info.value.source_code == "5010"
    assert "edited the same" in info.value.message


async def test_gusto_version_conflict_is_a_stale_token() -> None:
    body = {
        "errors": [
            {
                "error_key": "version",
                "category": "invalid_operation",
                "message": "The resource you are attempting to update has changed",
            }
        ]
    }
    rec = Recorder([httpx.Response(409, json=body)])
    with pytest.raises(StaleToken):
        await client(rec, GustoClient, access_token="t", company_uuid="c").request(
            "PUT", "/v1/employees/x", json={}
        )


async def test_salesforce_errors_and_limits() -> None:
    limit = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    bad = [{"message": "No such column 'Foo' on entity 'Account'.", "errorCode": "INVALID_FIELD"}]
    rec = Recorder([httpx.Response(403, json=limit), httpx.Response(400, json=bad)])
    sf = client(rec, SalesforceClient, access_token="t")
    with pytest.raises(PermanentError) as info:
        await sf.request("GET", "/services/data/v59.0/query")
    assert info.value.source_code == "INVALID_FIELD"
    assert len(rec.requests) == 2  # the rate limit was retried, the bad query was not
    assert rec.requests[0].headers["Authorization"] == "Bearer t"


def test_retry_after_as_http_date() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past
    assert parse_retry_after("soon") is None
