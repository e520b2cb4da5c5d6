"""`crosswalk dedupe`: CSV in, clusters or scored pairs out, clear errors on bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli_dedupe import app

runner = CliRunner()

CLIENTS = """id,name,website,tax_id
sf-1,"Acme, Inc.",https://www.acme.com,12-3456789
qb-7,ACME Corporation,acme.com,123456789
sf-2,Globex,globex.com,
qb-8,Initech LLC,,98-7654321
"""


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_writes_a_cluster_id_for_every_row(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--entity", "client", str(write(tmp_path, CLIENTS))])
    assert result.exit_code == 0, result.output
    assert rows(result.stdout) == [
        {"id": "sf-1", "cluster_id": "sf-1"},
        {"id": "qb-7", "cluster_id": "sf-1"},
        {"id": "sf-2", "cluster_id": "sf-2"},
        {"id": "qb-8", "cluster_id": "qb-8"},
    ]


def test_output_option_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app, ["--entity", "client", str(write(tmp_path, CLIENTS)), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert len(rows(out.read_text())) == 4


def test_pairs_lists_scored_pairs_with_their_explanation(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--entity", "client", "--pairs", str(write(tmp_path, CLIENTS))])
    assert result.exit_code == 0, result.output
    [pair] = rows(result.stdout)
    assert (pair["id_a"], pair["id_b"], pair["decision"]) == ("sf-1", "qb-7", "merge")
    assert float(pair["score"]) > 0.9
    features = {e["feature"]: e for e in json.loads(pair["explanation"])}
    assert features["tax_id"]["similarity"] == 1.0
    assert features["domain"]["left"] == "acme.com"


def test_column_mappings_rename_source_columns(tmp_path: Path) -> None:
    people = write(
        tmp_path,
        "Employee ID,First,Last,Mail,DOB\n"
        "1,William,Smith,bill.smith@acme.com,1980-01-02\n"
        "2,Bill,Smith,bill.smith@acme.com,1980-01-02\n"
        "3,Jane,Doe,jane@acme.com,1975-04-03\n",
    )
    mapping = [
        "Employee ID=id",
        "First=given_name",
        "Last=family_name",
        "Mail=email",
        "DOB=date_of_birth",
    ]
    args = ["--entity", "resource", str(people)]
    for m in mapping:
        args += ["--column", m]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert [r["cluster_id"] for r in rows(result.stdout)] == ["1", "1", "3"]
    assert "warning" not in result.stderr


def test_unknown_columns_are_ignored_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name,favourite_colour\n1,Acme,red\n2,Acme Inc,blue\n")
    result = runner.invoke(app, ["--entity", "client", str(path)])
    assert result.exit_code == 0, result.output
    assert "favourite_colour" in result.stderr and "warning" in result.stderr
    assert [r["cluster_id"] for r in rows(result.stdout)] == ["1", "1"]


def test_a_missing_id_column_is_a_one_line_error(tmp_path: Path) -> None:
    path = write(tmp_path, "name,website\nAcme,acme.com\n")
    result = runner.invoke(app, ["--entity", "client", str(path)])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "no `id` column" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content", ["", "id,name\n"])
def test_an_empty_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    result = runner.invoke(app, ["--entity", "client", str(write(tmp_path, content))])
    assert result.exit_code != 0
    assert "empty" in result.stderr or "no rows" in result.stderr


def test_a_mapping_to_an_unknown_field_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, CLIENTS)
    result = runner.invoke(app, ["--entity", "client", str(path), "--column", "name=nmae"])
    assert result.exit_code != 0
    assert "nmae" in result.stderr


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\n1,Acme\n1,Globex\n")
    result = runner.invoke(app, ["--entity", "client", str(path)])
    assert result.exit_code != 0
    assert "duplicate id '1'" in result.stderr


def test_help_lists_the_canonical_fields_of_each_entity_type() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for expected in ("client:", "legal_name", "project:", "code", "resource:", "national_id"):
        assert expected in result.stdout
