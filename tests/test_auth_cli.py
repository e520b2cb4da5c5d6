"""`crosswalk keys` and `crosswalk audit` commands, run against a temporary SQLite database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from golden_records.models import Tenant
from hub.auth.api_keys import authenticate_key
from hub.cli_security import audit_app, keys_app
from hub.db import create_all, create_engine, session_maker
from hub.models import AuditEntry

app = typer.Typer()
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
runner = CliRunner()


@pytest.fixture
def database(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CROSSWALK_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("CROSSWALK_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config" / "tenants").mkdir(parents=True)
    (tmp_path / "config" / "tenants" / "acme.yaml").write_text("display_name: Acme\n")

    async def setup() -> None:
        engine = create_engine(sqlite_url)
        await create_all(engine)
        await engine.dispose()

    asyncio.run(setup())
    yield sqlite_url


def authenticate(url: str, token: str) -> str | None:
    async def check() -> str | None:
        engine = create_engine(url)
        try:
            principal = await authenticate_key(session_maker(engine), token)
        finally:
            await engine.dispose()
        return None if principal is None else f"{principal.tenant_id}/{principal.role.value}"

    return asyncio.run(check())


def test_create_list_revoke(database: str) -> None:
    created = runner.invoke(app, ["keys", "create", "--tenant", "acme", "--role", "Steward"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("cwk_")
    assert authenticate(database, token) == "acme/steward"

    listed = runner.invoke(app, ["keys", "list"])
    assert listed.exit_code == 0
    assert "acme" in listed.stdout and "steward" in listed.stdout and "active" in listed.stdout
    assert token.split("_", 2)[2] not in listed.stdout

    revoked = runner.invoke(app, ["keys", "revoke", "1"])
    assert revoked.exit_code == 0 and "Revoked key 1" in revoked.stdout
    assert authenticate(database, token) is None
    assert "revoked" in runner.invoke(app, ["keys", "list", "--tenant", "acme"]).stdout


def test_bad_role_tenant_or_id_fail_clearly(database: str) -> None:
    bad_role = runner.invoke(app, ["keys", "create", "--tenant", "acme", "--role", "root"])
    assert bad_role.exit_code != 0 and "Unknown role" in bad_role.output
    bad_tenant = runner.invoke(app, ["keys", "create", "--tenant", "acmee", "--role", "viewer"])
    assert bad_tenant.exit_code == 1 and "Unknown tenant 'acmee'" in bad_tenant.output
    missing = runner.invoke(app, ["keys", "revoke", "99"])
    assert missing.exit_code == 1 and "No API key with id 99" in missing.output


def test_audit_purge_says_how_many(database: str) -> None:
    async def seed() -> None:
        engine = create_engine(database)
        sessions = session_maker(engine)
        now = datetime.now(UTC)
        async with sessions() as session, session.begin():
            session.add(Tenant(id="acme", name="Acme"))
        async with sessions() as session, session.begin():
            for days in (200, 100, 10):
                session.add(
                    AuditEntry(
                        tenant_id="acme",
                        at=now - timedelta(days=days),
                        actor="x",
                        actor_role="admin",
                        action="client.update",
                    )
                )
        await engine.dispose()

    asyncio.run(seed())
    result = runner.invoke(app, ["audit", "purge", "--older-than", "90d"])
    assert result.exit_code == 0, result.output
    assert "Removed 2 audit entries older than 90d" in result.stdout
    bad = runner.invoke(app, ["audit", "purge", "--older-than", "soon"])
    assert bad.exit_code != 0 and "Not a duration" in bad.output

    async def remaining() -> int:
        engine = create_engine(database)
        async with engine.connect() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()
        await engine.dispose()
        return int(count)

    assert asyncio.run(remaining()) == 1
