"""Schemathesis fuzzes every root field of the GraphQL API served by `hub.app.create_app`.

Per operation it sends CROSSWALK_FUZZ_EXAMPLES generated queries/mutations (default 8, so CI
stays fast; `make fuzz` runs 500) and asserts: no 5xx, every error is a GraphQL error with an
`extensions.code`, and no response slower than CROSSWALK_FUZZ_MAX_SECONDS (default 10).
Runs are reproducible (derandomized) unless CROSSWALK_FUZZ_RANDOM=1.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("CROSSWALK_FUZZ_EXAMPLES", "8"))
MAX_SECONDS = float(os.environ.get("CROSSWALK_FUZZ_MAX_SECONDS", "10"))
RANDOM = os.environ.get("CROSSWALK_FUZZ_RANDOM") == "1"


async def _prepare(url: str) -> str | None:
    """Tables, the tenant, a small firm when the loader exists, and an admin API key."""
    from golden_records.models import DEFAULT_TENANT, Tenant
    from hub.db import create_all, create_engine, session_maker

    engine = create_engine(url)
    try:
        await create_all(engine)
        sessions = session_maker(engine)
        async with sessions() as session, session.begin():
            session.add(Tenant(id=DEFAULT_TENANT, name="Fuzzed firm"))
        try:
            from connectors.sandbox.firm import generate_firm
            from hub.seed import load_firm
        except ImportError:
            pass
        else:
            await load_firm(sessions, generate_firm(seed=3, scale=0.03), DEFAULT_TENANT)
        try:
            from hub.auth.api_keys import create_key
        except ImportError:
            return None
        _key, token = await create_key(sessions, DEFAULT_TENANT, "admin", "fuzz")
        return token
    finally:
        await engine.dispose()


@pytest.fixture
def fuzz_app(tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    hub_app = pytest.importorskip("hub.app")
    from hub.settings import Settings

    url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    token = asyncio.run(_prepare(url))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    app = hub_app.create_app(Settings(database_url=url, config_dir=tmp_path / "config"))
    yield app, headers


def _problems(response: Any, elapsed: float) -> list[str]:
    problems = []
    if response.status_code >= 500:
        problems.append(f"HTTP {response.status_code}: {response.text[:500]}")
    if elapsed > MAX_SECONDS:
        problems.append(f"took {elapsed:.1f}s (bound {MAX_SECONDS}s)")
    try:
        body = response.json()
    except ValueError:
        return [*problems, f"not JSON (HTTP {response.status_code}): {response.text[:200]}"]
    if not isinstance(body, dict):
        return [*problems, f"not a GraphQL response: {body!r:.200}"]
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            problems.append(f"error is not a GraphQL error: {error!r:.300}")
        elif not isinstance(code, str) or not code:
            problems.append(f"error without extensions.code: {error!r:.300}")
    return problems


def test_fuzzed_operations_never_crash(fuzz_app: tuple[Any, dict[str, str]]) -> None:
    app, headers = fuzz_app
    schema = schemathesis.graphql.from_asgi("/graphql", app, headers=headers)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=not RANDOM,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            started = time.perf_counter()
            response = case.call(headers=headers)
            problems = _problems(response, time.perf_counter() - started)
            assert not problems, f"{case.body!r:.1000}\n" + "\n".join(problems)

        try:
            fuzz()
        except AssertionError as exc:  # keep going: one report for every broken operation
            failures[operation.label] = str(exc)[:2000]
    assert operations, "the schema exposes no operations"
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_shapes_are_checked() -> None:
    """The checks above can fail: a 500, a code-less error and a slow answer are all caught."""

    class Fake:
        def __init__(self, status: int, body: Any) -> None:
            self.status_code, self._body, self.text = status, body, str(body)

        def json(self) -> Any:
            return self._body

    assert _problems(Fake(200, {"data": {"x": 1}}), 0.1) == []
    assert (
        _problems(Fake(200, {"errors": [{"message": "m", "extensions": {"code": "X"}}]}), 0.1) == []
    )
    assert _problems(Fake(500, {"errors": []}), 0.1)
    assert _problems(Fake(200, {"errors": [{"message": "m"}]}), 0.1)
    assert _problems(Fake(200, {"data": None}), MAX_SECONDS + 1)
