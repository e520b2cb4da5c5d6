"""Emulated source systems (Salesforce, Harvest, QuickBooks Online, BambooHR, Gusto).

`render_firm(generate_firm(seed, scale), seed)` gives each system's seed records and the answer
key; `create_sandbox_apps(data)` gives one Starlette app per system; `mount_sandbox(apps)` puts
them under one app at `/salesforce`, `/harvest`, `/quickbooks`, `/bamboohr` and `/gusto`.
"""

from connectors.sandbox.apps import (
    CREDENTIALS,
    SYSTEM_NAMES,
    SandboxClock,
    create_sandbox_apps,
    mount_sandbox,
)
from connectors.sandbox.faults import FaultControl, FaultPlan
from connectors.sandbox.render import AnswerKey, SandboxData, SourceRef, render_firm

__all__ = [
    "CREDENTIALS",
    "SYSTEM_NAMES",
    "AnswerKey",
    "FaultControl",
    "FaultPlan",
    "SandboxClock",
    "SandboxData",
    "SourceRef",
    "create_sandbox_apps",
    "mount_sandbox",
    "render_firm",
]
