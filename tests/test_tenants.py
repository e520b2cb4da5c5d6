"""Tenant configuration files: validated at start-up, with errors naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from golden_records.canonical import EntityType
from golden_records.errors import ConfigurationError
from golden_records.ownership import DEFAULT_OWNERSHIP
from hub.tenants import TenantConfig, TenantRegistry, load_tenant_config, load_tenants

ACME = """
display_name: Acme Consulting
systems:
  quickbooks:
    base_url: https://quickbooks.api.intuit.com
    credentials:
      client_id: ABC123
      client_secret: ${ACME_QBO_SECRET}
  salesforce:
    base_url: https://acme.my.salesforce.com
    credentials:
      refresh_token: very-secret-refresh-token
ownership:
  client:
    parent: quickbooks
    industry: null
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "tenants" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_valid_file_overrides_ownership_on_top_of_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "acme", ACME)
    config = load_tenant_config(path, environ={"ACME_QBO_SECRET": "s3cr3t-from-env"})

    assert config.id == "acme" and config.display_name == "Acme Consulting"
    assert config.owner_of(EntityType.CLIENT, "parent") == "quickbooks"
    assert config.owner_of(EntityType.CLIENT, "industry") is None  # hub-owned now
    assert config.owner_of(EntityType.CLIENT, "name") == "salesforce"  # default kept
    table = config.ownership_table()
    assert table[EntityType.CLIENT]["parent"] == "quickbooks"
    assert "industry" not in table[EntityType.CLIENT]
    assert table[EntityType.RESOURCE] == DEFAULT_OWNERSHIP[EntityType.RESOURCE]
    secret = config.systems["quickbooks"].credentials["client_secret"]
    assert secret.get_secret_value() == "s3cr3t-from-env"


def test_secrets_never_print(tmp_path: Path) -> None:
    config = load_tenant_config(write(tmp_path, "acme", ACME), environ={"ACME_QBO_SECRET": "zz9"})
    shown = repr(config) + str(config) + config.model_dump_json()
    assert "very-secret-refresh-token" not in shown
    assert "zz9" not in shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ownership:\n  client:\n    parnt: quickbooks\n", "ownership.client.parnt: unknown"),
        ("ownership:\n  client:\n    parent: oracle\n", "Unknown source system 'oracle'"),
        (
            "ownership:\n  client:\n    parent: bamboohr\n",
            "ownership.client.parent: bamboohr does not hold client records",
        ),
        ("ownership:\n  clients:\n    parent: quickbooks\n", "ownership.clients"),
        ("systems:\n  netsuite: {}\n", "unknown system 'netsuite'"),
        ("systems:\n  harvest:\n    base_url: not a url\n", "systems.harvest.base_url"),
        ("systems:\n  harvest:\n    token: abc\n", "systems.harvest.token"),
        ("colour: blue\n", "colour"),
    ],
)
def test_invalid_files_name_the_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "acme", text)
    with pytest.raises(ConfigurationError) as raised:
        load_tenant_config(path, environ={})
    assert str(path) in raised.value.message
    assert expected in raised.value.message


def test_missing_environment_secret_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "acme", ACME)
    with pytest.raises(ConfigurationError, match="ACME_QBO_SECRET is not set"):
        load_tenant_config(path, environ={})


def test_yaml_syntax_error_and_mismatched_id(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read YAML"):
        load_tenant_config(write(tmp_path, "acme", "display_name: [unclosed\n"))
    with pytest.raises(ConfigurationError, match="must match the file name"):
        load_tenant_config(write(tmp_path, "beta", "id: gamma\n"))


def test_loading_a_directory_reports_every_broken_file(tmp_path: Path) -> None:
    write(tmp_path, "good", "display_name: Good Firm\n")
    bad1 = write(tmp_path, "bad1", "colour: blue\n")
    bad2 = write(tmp_path, "bad2", "ownership:\n  project:\n    nme: harvest\n")
    with pytest.raises(ConfigurationError) as raised:
        load_tenants(tmp_path)
    assert str(bad1) in raised.value.message and str(bad2) in raised.value.message


def test_registry_falls_back_to_defaults(tmp_path: Path) -> None:
    write(tmp_path, "good", "display_name: Good Firm\n")
    registry = TenantRegistry.load(tmp_path)
    assert "good" in registry
    assert registry.get("good").display_name == "Good Firm"
    other = registry.get("other")
    assert other == TenantConfig.default("other")
    assert other.owner_of(EntityType.CLIENT, "name") == "salesforce"
    assert TenantRegistry.load(tmp_path / "missing").get("x").systems == {}
