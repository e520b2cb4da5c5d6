"""`crosswalk sync` against the sandbox systems served over real HTTP (uvicorn, a free port),
and the tenant file `crosswalk demo` writes for them."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from connectors.sandbox.apps import CREDENTIALS, create_sandbox_apps, mount_sandbox
from connectors.sandbox.firm import generate_firm
from connectors.sandbox.render import render_firm
from golden_records.errors import ConfigurationError
from hub.cli import app
from hub.db import create_all, create_engine, session_maker
from hub.demo import write_demo_tenant
from hub.sync_models import SyncRun
from hub.tenants import load_tenant_config

runner = CliRunner()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    data = render_firm(generate_firm(4, 0.03), 4)
    port = free_port()
    config = uvicorn.Config(
        mount_sandbox(create_sandbox_apps(data)), host="127.0.0.1", port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def env(tmp_path: Path, sqlite_url: str) -> Iterator[dict[str, str]]:
    async def create() -> None:
        engine = create_engine(sqlite_url)
        await create_all(engine)
        await engine.dispose()

    asyncio.run(create())
    yield {
        "CROSSWALK_DATABASE_URL": sqlite_url,
        "CROSSWALK_CONFIG_DIR": str(tmp_path / "config"),
        "COLUMNS": "200",
    }


def configure(env: dict[str, str], tenant: str, systems: dict[str, str]) -> None:
    path = Path(env["CROSSWALK_CONFIG_DIR"]) / "tenants" / f"{tenant}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "systems": {
            name: {"base_url": url, "credentials": CREDENTIALS[name]}
            for name, url in systems.items()
        }
    }
    path.write_text(yaml.safe_dump(body))


def stored_runs(env: dict[str, str]) -> list[SyncRun]:
    async def load() -> list[SyncRun]:
        engine = create_engine(env["CROSSWALK_DATABASE_URL"])
        try:
            async with session_maker(engine)() as session:
                return list((await session.scalars(select(SyncRun).order_by(SyncRun.id))).all())
        finally:
            await engine.dispose()

    return asyncio.run(load())


def rows(output: str, system: str) -> list[list[str]]:
    """The summary table's rows of `system`, split into cells."""
    return [line.split() for line in output.splitlines() if line.strip().startswith(system)]


def test_without_configuration_it_says_how_to_configure(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["sync"], env=env)
    assert result.exit_code == 2
    assert "has no source systems configured" in result.output
    assert "tenants/default.yaml" in result.output.replace("\n", "")
    assert "crosswalk demo" in result.output


def test_sync_prints_a_summary_and_a_rerun_changes_nothing(
    env: dict[str, str], sandbox_url: str
) -> None:
    configure(env, "default", {s: f"{sandbox_url}/{s}" for s in ("salesforce", "quickbooks")})
    first = runner.invoke(app, ["sync"], env=env)
    assert first.exit_code == 0, first.output
    accounts = next(r for r in rows(first.stdout, "salesforce") if r[1] == "Account")
    # system stream status fetched created updated unchanged deleted skipped
    assert accounts[2] == "ok"
    fetched, created = int(accounts[3]), int(accounts[4])
    assert fetched > 0 and created == fetched
    assert rows(first.stdout, "quickbooks")

    again = runner.invoke(app, ["sync", "--full"], env=env)
    assert again.exit_code == 0, again.output
    for row in rows(again.stdout, "salesforce") + rows(again.stdout, "quickbooks"):
        assert row[4:6] == ["0", "0"], row  # nothing created or updated
        assert int(row[6]) == int(row[3])  # everything fetched was unchanged
    stored = stored_runs(env)
    half = len(stored) // 2
    assert [r.full for r in stored] == [False] * half + [True] * half


def test_system_option_syncs_only_that_system(env: dict[str, str], sandbox_url: str) -> None:
    configure(env, "default", {s: f"{sandbox_url}/{s}" for s in ("salesforce", "quickbooks")})
    result = runner.invoke(app, ["sync", "--system", "crm"], env=env)
    assert result.exit_code == 0, result.output
    assert rows(result.stdout, "salesforce")
    assert not rows(result.stdout, "quickbooks")
    assert {r.system for r in stored_runs(env)} == {"salesforce"}


@pytest.mark.parametrize(
    ("option", "message"),
    [("sap", "Unknown source system 'sap'"), ("harvest", "harvest is not configured")],
)
def test_a_bad_system_option_is_a_usage_error(
    env: dict[str, str], sandbox_url: str, option: str, message: str
) -> None:
    configure(env, "default", {"salesforce": f"{sandbox_url}/salesforce"})
    result = runner.invoke(app, ["sync", "--system", option], env=env)
    assert result.exit_code == 2
    assert message in result.output
    assert stored_runs(env) == []


def test_a_failing_stream_gives_a_non_zero_exit_and_the_others_still_sync(
    env: dict[str, str], sandbox_url: str
) -> None:
    configure(
        env,
        "default",
        {"salesforce": f"{sandbox_url}/salesforce", "quickbooks": f"{sandbox_url}/missing"},
    )
    result = runner.invoke(app, ["sync"], env=env)
    assert result.exit_code == 1
    assert "failed" in result.stderr
    assert all(row[2] == "failed" for row in rows(result.stdout, "quickbooks"))
    assert all(row[2] == "ok" for row in rows(result.stdout, "salesforce"))
    statuses = {(r.system, r.status) for r in stored_runs(env)}
    assert statuses == {("salesforce", "succeeded"), ("quickbooks", "failed")}


def test_tenant_option_syncs_that_tenants_systems(env: dict[str, str], sandbox_url: str) -> None:
    configure(env, "acme", {"salesforce": f"{sandbox_url}/salesforce"})
    result = runner.invoke(app, ["sync", "--tenant", "acme"], env=env)
    assert result.exit_code == 0, result.output
    assert {r.tenant_id for r in stored_runs(env)} == {"acme"}
    missing = runner.invoke(app, ["sync"], env=env)  # the default tenant has no file
    assert missing.exit_code == 2


def test_an_unmigrated_database_is_a_clear_error(tmp_path: Path, sandbox_url: str) -> None:
    env = {
        "CROSSWALK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
        "CROSSWALK_CONFIG_DIR": str(tmp_path / "config"),
    }
    configure(env, "default", {"salesforce": f"{sandbox_url}/salesforce"})
    result = runner.invoke(app, ["sync"], env=env)
    assert result.exit_code == 2
    assert "crosswalk db upgrade" in result.output


def test_the_demo_never_overwrites_a_tenant_file_it_did_not_write(tmp_path: Path) -> None:
    ours = write_demo_tenant(tmp_path, "default", "http://127.0.0.1:9")
    config = load_tenant_config(ours)
    assert config.systems["quickbooks"].base_url is not None
    assert str(config.systems["quickbooks"].base_url) == "http://127.0.0.1:9/quickbooks"
    write_demo_tenant(tmp_path, "default", "http://127.0.0.1:10")  # its own file: rewritten
    assert "127.0.0.1:10/" in ours.read_text()
    ours.write_text("display_name: Real firm\n")
    with pytest.raises(ConfigurationError, match="not written by the demo"):
        write_demo_tenant(tmp_path, "default", "http://127.0.0.1:11")
    assert ours.read_text() == "display_name: Real firm\n"
