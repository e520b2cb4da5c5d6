"""`crosswalk keys ...` and `crosswalk audit ...`: API key management and audit retention.

Mounted by `hub.cli`: `app.add_typer(keys_app, name="keys")`, `app.add_typer(audit_app,
name="audit")`. The database comes from `hub.settings.get_settings()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from golden_records.errors import CrosswalkError, NotFound, ValidationFailed
from golden_records.models import Tenant
from hub import audit
from hub.auth import api_keys
from hub.auth.roles import Role
from hub.console import err, out
from hub.db import create_engine, session_maker
from hub.settings import get_settings
from hub.tenants import load_tenants

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log maintenance.", no_args_is_help=True)

T = TypeVar("T")

TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant the key belongs to.")]
RoleOption = Annotated[str, typer.Option("--role", help="viewer, analyst, app, steward or admin.")]


def _run(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """Run `work` against the configured database; CrosswalkErrors end the command cleanly."""

    async def main() -> T:
        settings = get_settings()
        engine = create_engine(settings.database_url, echo=settings.echo_sql)
        try:
            return await work(session_maker(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except CrosswalkError as exc:
        err.print(f"[red]Error:[/red] {exc.message}")
        raise typer.Exit(1) from None


async def _ensure_known_tenant(sessions: async_sessionmaker[AsyncSession], tenant: str) -> None:
    """A tenant must exist, or be configured (default tenant or a config file) to be created.

    This keeps a typo in `--tenant` from silently creating an empty tenant.
    """
    async with sessions() as session, session.begin():
        if await session.get(Tenant, tenant) is not None:
            return
        settings = get_settings()
        configs = load_tenants(settings.config_dir)
        if tenant in configs:
            session.add(Tenant(id=tenant, name=configs[tenant].display_name))
        elif tenant == settings.default_tenant:
            session.add(Tenant(id=tenant, name=tenant))
        else:
            known = sorted(configs) or [settings.default_tenant]
            raise NotFound(
                f"Unknown tenant {tenant!r}: add {settings.config_dir}/tenants/{tenant}.yaml "
                f"first (configured: {', '.join(known)})."
            )


@keys_app.command("create")
def create(
    tenant: TenantOption,
    role: RoleOption,
    name: Annotated[str | None, typer.Option("--name", help="What the key is for.")] = None,
) -> None:
    """Create a key and print it once: it is stored hashed and cannot be shown again."""
    try:
        parsed = Role.parse(role)
    except ValidationFailed as exc:
        raise typer.BadParameter(exc.message, param_hint="--role") from None

    async def work(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, str]:
        await _ensure_known_tenant(sessions, tenant)
        key, plaintext = await api_keys.create_key(sessions, tenant, parsed, name)
        return key.id, plaintext

    key_id, plaintext = _run(work)
    err.print(
        f"Created {parsed.value} key {key_id} for tenant {tenant!r}. "
        "Store it now: it will not be shown again."
    )
    # The key alone on stdout, so scripts can capture it: KEY=$(crosswalk keys create ...)
    print(plaintext)


@keys_app.command("list")
def list_(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant.")] = None,
) -> None:
    """List keys (never their secrets)."""
    keys = _run(lambda sessions: api_keys.list_keys(sessions, tenant))
    table = Table("id", "tenant", "name", "role", "key", "created", "last used", "status")
    for key in keys:
        table.add_row(
            str(key.id),
            key.tenant_id,
            key.name,
            key.role,
            f"cwk_{key.prefix}_…" if not key.prefix.startswith("x") else "(custom)",
            _when(key.created_at),
            _when(key.last_used_at),
            "[red]revoked[/red]" if key.revoked_at else "[green]active[/green]",
        )
    out.print(table if keys else "No API keys.")


@keys_app.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `keys list`).")]) -> None:
    """Revoke a key: it stops working on the next request."""
    key = _run(lambda sessions: api_keys.revoke_key(sessions, key_id))
    out.print(f"Revoked key {key.id} ({key.name}, tenant {key.tenant_id}).")


@audit_app.command("purge")
def purge(
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            help="Age like 90d, 12h, 2w [default: CROSSWALK_AUDIT_RETENTION_DAYS days].",
        ),
    ] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant.")] = None,
) -> None:
    """Delete audit entries older than the retention period and say how many went."""
    text = older_than or f"{get_settings().audit_retention_days}d"
    try:
        age = audit.parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--older-than") from None
    removed = _run(lambda sessions: audit.purge(sessions, age, tenant_id=tenant))
    noun = "entry" if removed == 1 else "entries"
    out.print(f"Removed {removed} audit {noun} older than {text}.")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"
