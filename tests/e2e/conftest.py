"""Fixtures for tests that start a real server process and talk to it over HTTP."""

from tests.e2e.server import serve, server_env

__all__ = ["serve", "server_env"]
