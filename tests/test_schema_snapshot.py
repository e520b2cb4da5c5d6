"""The committed `schema.graphql` is exactly what the code declares."""

from __future__ import annotations

from pathlib import Path

from schema import schema_sdl

COMMITTED = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_graphql_matches_the_code() -> None:
    assert COMMITTED.read_text() == schema_sdl(), (
        "schema.graphql is out of date with the code; regenerate it with "
        "`.venv/bin/python -m schema > schema.graphql` and review the diff."
    )
