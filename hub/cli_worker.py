"""`crosswalk worker`: send accepted write-backs to the source systems (production's outbox worker).

Run any number beside stateless API processes (`CROSSWALK_OUTBOX_WORKER=false` on those): on
PostgreSQL they share the queue with `FOR UPDATE SKIP LOCKED`; a killed worker's rows return to
the queue when its lease ends. `--once` drains what is due and exits (cron, tests).
"""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from hub.console import err
from hub.settings import get_settings


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Send what is due now, then exit (0 when drained).")
    ] = False,
    within: Annotated[
        float, typer.Option(help="With --once: give up waiting for retries after this long (s).")
    ] = 60.0,
) -> None:
    """Send accepted write-backs from the outbox to the systems that own each field."""
    from hub.db import create_engine, session_maker
    from hub.logging import configure_logging
    from hub.outbox_worker import OutboxWorker, WorkerOptions
    from hub.tenants import TenantRegistry

    settings = get_settings()
    configure_logging(settings.log_level)
    tenants = TenantRegistry.load(settings.config_dir)  # invalid configuration fails start-up

    async def main() -> int:
        engine = create_engine(settings.database_url)
        runner = OutboxWorker(
            session_maker(engine),
            tenants,
            options=WorkerOptions.from_env(),
        )
        try:
            if once:
                handled = await runner.drain(within=within)
                err.print(f"Handled {handled} write-back(s); {runner.applied} applied.")
                return 0
            err.print(f"Outbox worker {runner.name} started; Ctrl-C stops it.")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            runner.start()
            await stop.wait()
            return 0
        finally:
            await runner.stop()
            await engine.dispose()

    raise typer.Exit(asyncio.run(main()))
