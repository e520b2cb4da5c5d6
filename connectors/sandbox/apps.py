"""Builds the five emulators from rendered data, and mounts them side by side for the demo."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from starlette.applications import Starlette
from starlette.routing import Mount

from connectors.sandbox import bamboohr, gusto, harvest, quickbooks, salesforce
from connectors.sandbox._store import Clock
from connectors.sandbox.faults import FaultControl
from connectors.sandbox.render import SandboxData

SYSTEM_NAMES = ("salesforce", "harvest", "quickbooks", "bamboohr", "gusto")

# What a connector needs to reach each emulator; paths are relative to the mount prefix.
CREDENTIALS: dict[str, dict[str, str]] = {
    "salesforce": {"access_token": salesforce.TOKEN, "api_version": salesforce.API_VERSION},
    "harvest": {"access_token": harvest.TOKEN, "account_id": harvest.ACCOUNT_ID},
    "quickbooks": {"access_token": quickbooks.TOKEN, "realm_id": quickbooks.REALM_ID},
    "bamboohr": {"api_key": bamboohr.API_KEY, "company_domain": bamboohr.COMPANY_DOMAIN},
    "gusto": {"access_token": gusto.TOKEN, "company_uuid": gusto.COMPANY_UUID},
}


class SandboxClock:
    """Wall-clock time shifted to start at `start`, so API writes always postdate the seed."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin)


def create_sandbox_apps(
    data: SandboxData,
    *,
    clock: Clock | None = None,
    faults: dict[str, FaultControl] | None = None,
) -> dict[str, Starlette]:
    """One fresh Starlette app per system (keyed by system name), each with its own store."""
    # One second past the seed: systems stamp whole seconds, and a write in the seed's last
    # second would look no newer than a bookmark taken from the seed.
    tick = clock or SandboxClock(data.as_of + timedelta(seconds=1))
    faults = faults or {}
    seed = data.records
    return {
        "salesforce": salesforce.create_app(
            salesforce.SalesforceStore(seed.get("salesforce"), clock=tick),
            faults=faults.get("salesforce"),
        ),
        "harvest": harvest.create_app(
            harvest.HarvestStore(seed.get("harvest"), clock=tick), faults=faults.get("harvest")
        ),
        "quickbooks": quickbooks.create_app(
            quickbooks.QuickBooksStore(seed.get("quickbooks"), clock=tick),
            faults=faults.get("quickbooks"),
        ),
        "bamboohr": bamboohr.create_app(
            bamboohr.BambooStore(seed.get("bamboohr"), clock=tick), faults=faults.get("bamboohr")
        ),
        "gusto": gusto.create_app(
            gusto.GustoStore(seed.get("gusto"), clock=tick), faults=faults.get("gusto")
        ),
    }


def mount_sandbox(apps: dict[str, Starlette]) -> Starlette:
    """All emulators under one app, each at `/{system}` (e.g. `/salesforce/services/...`)."""
    return Starlette(routes=[Mount(f"/{name}", app=app, name=name) for name, app in apps.items()])
