"""What every connector shares: the retrying HTTP client, streams, pagination and sync state.

Written once in the Meltano-SDK manner: a system's client subclasses `SourceClient` for its
auth header and error bodies, and describes each object it syncs as a `Stream`.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from golden_records.canonical import EntityType
from golden_records.errors import CrosswalkError

Json = dict[str, Any]


# --- errors -----------------------------------------------------------------------------------


class ConnectorError(CrosswalkError):
    """A source system refused or failed a call. `source_code` is the system's own error code."""

    code = "CONNECTOR"

    def __init__(
        self,
        message: str,
        *,
        system: str,
        status: int | None = None,
        source_code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.status = status
        self.source_code = source_code
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """Worth retrying: 5xx, dropped connections, timeouts."""

    code = "CONNECTOR_TRANSIENT"


class RateLimited(TransientError):
    """The system asked us to slow down (429, or 503 with Retry-After)."""

    code = "CONNECTOR_RATE_LIMITED"


class PermanentError(ConnectorError):
    """Retrying the same call cannot succeed: bad request, bad credentials, not found."""

    code = "CONNECTOR_PERMANENT"


class StaleToken(ConnectorError):
    """The concurrency token we sent (SyncToken, version, ...) is no longer current."""

    code = "CONNECTOR_STALE_TOKEN"


# --- mapped records and streams ---------------------------------------------------------------


@dataclass(slots=True)
class Ref:
    """A reference to another record of the same system, by that system's ID."""

    entity_type: EntityType
    external_id: str


@dataclass(slots=True)
class MappedRecord:
    """One source record in canonical terms: what `mapping.py` functions return."""

    external_id: str
    attributes: dict[str, Any]
    # canonical column (e.g. "client_id") -> the referenced record's ID in this system
    refs: dict[str, Ref] = field(default_factory=dict)
    source_updated_at: datetime | None = None
    concurrency_token: str | None = None
    deleted: bool = False


Mapper = Callable[[Json], MappedRecord]


@dataclass(frozen=True, slots=True)
class Stream:
    """One object a connector syncs: where it lives and how it becomes canonical."""

    name: str
    entity_type: EntityType
    path: str
    map: Mapper
    primary_key: str = "id"
    replication_key: str | None = None


@dataclass(slots=True)
class Page:
    """One page of raw records as the system returned them."""

    records: list[Json]


@dataclass(slots=True)
class SyncState:
    """Bookmarks per stream: the newest source modification time already synced."""

    bookmarks: dict[str, datetime] = field(default_factory=dict)

    def get(self, stream: str) -> datetime | None:
        return self.bookmarks.get(stream)

    def advance(self, stream: str, seen: datetime | None) -> None:
        if seen is None:
            return
        current = self.bookmarks.get(stream)
        if current is None or seen > current:
            self.bookmarks[stream] = seen


# --- the retrying client ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 0.5  # seconds; full jitter draws from [0, min(cap, base * 2**attempt)]
    max_delay: float = 30.0
    max_retry_after: float = 120.0  # never sleep longer than this, whatever the server says

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class SourceClient:
    """An async client for one system: auth, timeouts, retries, error mapping, pagination."""

    system: str = "source"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._sleep = sleep

    # Subclasses override these two.
    def auth_headers(self) -> dict[str, str]:
        return {}

    def error_detail(self, response: httpx.Response) -> tuple[str, str | None]:
        """(message, the system's own error code) from an error response's body."""
        return (response.text[:500] or response.reason_phrase, None)

    def is_stale_token(self, response: httpx.Response, source_code: str | None) -> bool:
        return response.status_code in (409, 412)

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise a `ConnectorError`."""
        method = method.upper()
        all_headers = {"Accept": "application/json", **self.auth_headers(), **(headers or {})}
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.http.request(
                    method,
                    self.url(path),
                    params=params,
                    json=json,
                    headers=all_headers,
                    timeout=self.timeout,
                )
            except httpx.TransportError as exc:
                # A POST whose connection dropped mid-way may have been applied: only retry it
                # when the request provably never left (connect failures).
                retryable = method in _IDEMPOTENT or isinstance(exc, httpx.ConnectError)
                error: ConnectorError = TransientError(
                    f"{type(exc).__name__}: {exc}", system=self.system
                )
                if not retryable or attempt >= self.retry.max_attempts:
                    raise error from exc
                await self._sleep(self.retry.backoff(attempt))
                continue
            if response.is_success:
                return response
            error = self.classify(response)
            retryable = isinstance(error, RateLimited) or (
                isinstance(error, TransientError) and method in _IDEMPOTENT
            )
            if not retryable or attempt >= self.retry.max_attempts:
                raise error
            delay = self.retry.backoff(attempt)
            if error.retry_after is not None:
                delay = max(delay, min(error.retry_after, self.retry.max_retry_after))
            await self._sleep(delay)

    def classify(self, response: httpx.Response) -> ConnectorError:
        message, source_code = self.error_detail(response)
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        kwargs: dict[str, Any] = {
            "system": self.system,
            "status": status,
            "source_code": source_code,
            "retry_after": retry_after,
        }
        if status == 429 or (status == 503 and retry_after is not None):
            return RateLimited(message, **kwargs)
        if status >= 500 or status == 408:
            return TransientError(message, **kwargs)
        if self.is_stale_token(response, source_code):
            return StaleToken(message, **kwargs)
        return PermanentError(message, **kwargs)

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return (await self.request("GET", path, params=params)).json()

    # --- pagination, one per style ---

    async def paginate_next_url(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        *,
        records: Callable[[Json], list[Json]],
        next_url: Callable[[Json], str | None],
    ) -> AsyncIterator[Page]:
        """Follow a "next" link in each body (Salesforce nextRecordsUrl, Harvest links.next)."""
        body = await self.get_json(path, params)
        while True:
            yield Page(records(body))
            link = next_url(body)
            if not link:
                return
            body = await self.get_json(link)

    async def paginate_offset(
        self,
        fetch: Callable[[int, int], Awaitable[list[Json]]],
        *,
        page_size: int,
        first: int = 1,
    ) -> AsyncIterator[Page]:
        """Offset paging (QuickBooks STARTPOSITION/MAXRESULTS): stop at a short page."""
        start = first
        while True:
            rows = await fetch(start, page_size)
            if rows:
                yield Page(rows)
            if len(rows) < page_size:
                return
            start += page_size

    async def paginate_page_number(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        *,
        page_size: int,
        page_param: str = "page",
        size_param: str = "per",
    ) -> AsyncIterator[Page]:
        """Numbered pages returning a JSON array (Gusto page/per): stop at a short page."""
        page = 1
        while True:
            rows = await self.get_json(
                path, {**(params or {}), page_param: page, size_param: page_size}
            )
            if rows:
                yield Page(list(rows))
            if len(rows) < page_size:
                return
            page += 1


class Connector:
    """A system's client plus its streams: what `hub.sync` drives. One subclass per system."""

    system: str = "source"
    streams: Sequence[Stream] = ()

    def pages(self, stream: Stream, since: datetime | None) -> AsyncIterator[Page]:
        raise NotImplementedError

    def stream(self, name: str) -> Stream:
        for s in self.streams:
            if s.name == name:
                return s
        raise KeyError(name)


# --- small parsing helpers the mappings share ------------------------------------------------


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 as the systems send it ("Z", "+0000" or "-07:00"), always timezone-aware UTC."""
    if not value:
        return None
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"  # Salesforce's "+0000"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: Any) -> date | None:
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])


def iso_date(value: Any) -> str | None:
    """Dates are kept as ISO strings in mapped attributes so they survive JSON storage."""
    parsed = parse_date(value)
    return parsed.isoformat() if parsed else None


def decimal_str(value: Any) -> str | None:
    """Money and hours as decimal strings: exact, and JSON-safe."""
    if value is None or value == "":
        return None
    try:
        # Fixed-point: normalize() alone would turn 200 into "2E+2".
        return format(Decimal(str(value)).normalize(), "f")
    except InvalidOperation:
        return None


def clean(value: Any) -> Any:
    """Blank strings are absent values."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def domain_of(website: str | None) -> str | None:
    if not website:
        return None
    host = website.strip().lower()
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    host = host.split("/", 1)[0].split(":", 1)[0]
    if host.startswith("www."):
        host = host[4:]
    return host or None


def to_utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
