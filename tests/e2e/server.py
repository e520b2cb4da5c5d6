"""Starting a real `crosswalk` server process on a free port, for HTTP-level tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CROSSWALK = str(Path(sys.executable).with_name("crosswalk"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DEMO_KEY = "cwk_e2etest00000_" + "k" * 43


@dataclass
class Server:
    base_url: str
    env: dict[str, str]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {DEMO_KEY}"}


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CROSSWALK, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["CROSSWALK_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
    env["CROSSWALK_PORT"] = str(free_port())
    env["CROSSWALK_CONFIG_DIR"] = str(tmp_path / "config")
    env["CROSSWALK_DEMO_API_KEY"] = DEMO_KEY  # `demo` creates this admin key
    return env


def start_server(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], Server]:
    proc = subprocess.Popen(
        [CROSSWALK, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{env['CROSSWALK_PORT']}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"server exited early ({proc.returncode}):\n{output}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, Server(base, env)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not become healthy in time")


@pytest.fixture
def serve(server_env: dict[str, str]) -> Iterator[Server]:
    """A migrated, seeded database served by `crosswalk serve` on a free port."""
    seeded = run_cli(["demo", "--no-serve", "--scale", "0.05"], server_env)
    assert seeded.returncode == 0, seeded.stderr
    proc, server = start_server(["serve"], server_env)
    try:
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=20)
