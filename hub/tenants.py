"""Per-tenant configuration: `config/tenants/<tenant>.yaml`, validated once at start-up.

A file names the firm, its source systems' base URLs and credentials, and the fields whose
owner differs from the default source-of-truth table::

    display_name: Acme Consulting
    systems:
      quickbooks:
        base_url: https://quickbooks.api.intuit.com
        credentials:
          client_id: ABC123
          client_secret: ${ACME_QBO_SECRET}   # read from the environment
    ownership:
      client:
        parent: quickbooks    # here the ERP owns account hierarchies
        industry: null        # null: the hub owns it, nothing is written back
    matching:                 # per entity type (client, project, resource); defaults otherwise
      client: {auto_merge: 0.9, review: 0.7}
    survivorship:             # per entity type and attribute, the strategies in order
      client:
        website: [most_recent, most_complete]

Credentials are `SecretStr`: they print as '**********' in reprs, logs and error messages.
Errors name the file and the field. Code reads the validated `TenantConfig` (and the objects
`ownership_table()`, `matching_config()` and `survivorship_config()` build), never the file.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from golden_records import canonical
from golden_records.canonical import EntityType
from golden_records.errors import ConfigurationError, UnknownSystem
from golden_records.matching.config import DEFAULT_CONFIG, MATCHABLE, MatchingConfig
from golden_records.ownership import DEFAULT_OWNERSHIP
from golden_records.survivorship import DEFAULT_SURVIVORSHIP, SurvivorshipConfig
from golden_records.systems import SYSTEMS, get_system

_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_SURVIVORSHIP_ERROR = "invalid survivorship configuration: "
_TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

_CANONICAL_TYPES: dict[EntityType, type] = {
    EntityType.CLIENT: canonical.Client,
    EntityType.PROJECT: canonical.Project,
    EntityType.RESOURCE: canonical.Resource,
    EntityType.ASSIGNMENT: canonical.Assignment,
    EntityType.TIME_ENTRY: canonical.TimeEntry,
    EntityType.INVOICE: canonical.Invoice,
    EntityType.PAYMENT: canonical.Payment,
    EntityType.COST_RATE: canonical.CostRate,
}


def known_attributes(entity_type: EntityType) -> frozenset[str]:
    """The attributes an ownership rule may name: canonical fields plus derived ones."""
    fields = {f.name for f in dataclasses.fields(_CANONICAL_TYPES[entity_type])} - {"key"}
    return frozenset(fields | set(DEFAULT_OWNERSHIP.get(entity_type, {})))


class SystemConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    base_url: HttpUrl | None = None
    credentials: dict[str, SecretStr] = Field(default_factory=dict)


class TenantConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    display_name: str
    systems: dict[str, SystemConfig] = Field(default_factory=dict)
    # entity type -> attribute -> owning system name, or None for hub-owned.
    ownership: dict[EntityType, dict[str, str | None]] = Field(default_factory=dict)
    # The sections as written (entity type -> overrides); `_valid_sections` builds the objects.
    matching: dict[str, dict[str, Any]] = Field(default_factory=dict)
    survivorship: dict[str, Any] = Field(default_factory=dict)

    _matching: MatchingConfig = PrivateAttr(default_factory=lambda: DEFAULT_CONFIG)
    _survivorship: SurvivorshipConfig = PrivateAttr(default_factory=lambda: DEFAULT_SURVIVORSHIP)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _TENANT_ID.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_' (at most 64)")
        return value

    @field_validator("systems")
    @classmethod
    def _known_systems(cls, value: dict[str, SystemConfig]) -> dict[str, SystemConfig]:
        unknown = sorted(set(value) - set(SYSTEMS))
        if unknown:
            raise ValueError(
                f"unknown system {unknown[0]!r}; expected one of: {', '.join(sorted(SYSTEMS))}"
            )
        return value

    @model_validator(mode="after")
    def _valid_sections(self) -> TenantConfig:
        # Every problem of every section at once, so one start-up shows all there is to fix.
        problems = self._ownership_problems()
        matchable = [e.value for e in MATCHABLE]
        for name in self.matching:
            if name not in matchable:
                problems.append(
                    f"matching.{name}: no matching for this entity type "
                    f"(expected one of: {', '.join(matchable)})"
                )
        try:
            self._matching = MatchingConfig.from_mapping(
                {k: v for k, v in self.matching.items() if k in matchable}
            )
        except ValidationError as exc:
            for error in exc.errors(include_input=False, include_url=False):
                # ("entities", "client", "auto_merge") is written `matching.client.auto_merge`.
                where = ".".join(["matching", *(str(p) for p in error["loc"][1:])])
                problems.append(f"{where}: {_message(error['msg'])}")
        try:
            self._survivorship = SurvivorshipConfig.from_mapping(
                self.survivorship,
                self.ownership_table(),
                attributes=known_attributes,
                location="survivorship.",
            )
        except ConfigurationError as exc:
            problems.extend(exc.message.removeprefix(_SURVIVORSHIP_ERROR).split("; "))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _ownership_problems(self) -> list[str]:
        problems: list[str] = []
        for entity_type, overrides in self.ownership.items():
            known = known_attributes(entity_type)
            for attribute, system_name in overrides.items():
                where = f"ownership.{entity_type.value}.{attribute}"
                if attribute not in known:
                    problems.append(
                        f"{where}: unknown attribute of {entity_type.value} "
                        f"(known: {', '.join(sorted(known))})"
                    )
                    continue
                if system_name is None:
                    continue
                try:
                    system = get_system(system_name)
                except UnknownSystem as exc:
                    problems.append(f"{where}: {exc.message}")
                    continue
                if system.name != system_name:
                    problems.append(f"{where}: write the system name {system.name!r}")
                elif entity_type not in system.holds:
                    problems.append(
                        f"{where}: {system.name} does not hold {entity_type.value} records"
                    )
        return problems

    @classmethod
    def default(cls, tenant_id: str) -> TenantConfig:
        """The configuration of a tenant without a file: default ownership, no systems."""
        return cls(id=tenant_id, display_name=tenant_id)

    def ownership_table(self) -> Mapping[EntityType, Mapping[str, str]]:
        """The default table with this tenant's overrides applied (None removes an owner)."""
        table: dict[EntityType, Mapping[str, str]] = {}
        for entity_type in EntityType:
            merged = dict(DEFAULT_OWNERSHIP.get(entity_type, {}))
            for attribute, system in self.ownership.get(entity_type, {}).items():
                if system is None:
                    merged.pop(attribute, None)
                else:
                    merged[attribute] = system
            table[entity_type] = MappingProxyType(merged)
        return MappingProxyType(table)

    def matching_config(self) -> MatchingConfig:
        """The matching thresholds and weights: the defaults with this tenant's overrides."""
        return self._matching

    def survivorship_config(self) -> SurvivorshipConfig:
        """The survivorship rules with this tenant's overrides, following its ownership table."""
        return self._survivorship

    def owner_of(self, entity_type: EntityType, attribute: str) -> str | None:
        """The system owning `attribute` for this tenant, or None when the hub owns it."""
        overrides = self.ownership.get(entity_type, {})
        if attribute in overrides:
            return overrides[attribute]
        return DEFAULT_OWNERSHIP.get(entity_type, {}).get(attribute)


def load_tenant_config(path: Path, environ: Mapping[str, str] | None = None) -> TenantConfig:
    """Read and validate one tenant file; ConfigurationError names the file and each field."""
    environ = os.environ if environ is None else environ
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot read YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{path}: expected a mapping at the top level")
    raw.setdefault("id", path.stem)
    raw.setdefault("display_name", raw["id"])
    if raw["id"] != path.stem:
        raise ConfigurationError(f"{path}: id {raw['id']!r} must match the file name")
    _resolve_env_refs(path, raw, environ)
    try:
        return TenantConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path}: invalid tenant configuration"]
        for error in exc.errors(include_input=False, include_url=False):
            if not error["loc"]:
                # Cross-field checks already name each field, one per line.
                lines.extend(f"  {line}" for line in _message(error["msg"]).splitlines())
                continue
            where = ".".join(str(p) for p in error["loc"])
            lines.append(f"  {where}: {error['msg']}")
        raise ConfigurationError("\n".join(lines)) from None


def load_tenants(config_dir: Path) -> dict[str, TenantConfig]:
    """Every `<config_dir>/tenants/*.yaml`, all validated; errors from all files at once."""
    configs: dict[str, TenantConfig] = {}
    problems: list[str] = []
    for path in sorted((config_dir / "tenants").glob("*.y*ml")):
        try:
            config = load_tenant_config(path)
        except ConfigurationError as exc:
            problems.append(exc.message)
            continue
        configs[config.id] = config
    if problems:
        raise ConfigurationError("\n".join(problems))
    return configs


class TenantRegistry:
    """The validated configurations, looked up per request or job by tenant ID."""

    def __init__(self, configs: Mapping[str, TenantConfig]) -> None:
        self._configs = dict(configs)

    @classmethod
    def load(cls, config_dir: Path) -> TenantRegistry:
        return cls(load_tenants(config_dir))

    def get(self, tenant_id: str) -> TenantConfig:
        return self._configs.get(tenant_id) or TenantConfig.default(tenant_id)

    def __contains__(self, tenant_id: object) -> bool:
        return tenant_id in self._configs

    def __iter__(self) -> Any:
        return iter(self._configs.values())


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _resolve_env_refs(path: Path, raw: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Replace `${NAME}` credential values by the environment's, so files hold no secrets."""
    systems = raw.get("systems")
    if not isinstance(systems, dict):
        return
    for system_name, system in systems.items():
        credentials = system.get("credentials") if isinstance(system, dict) else None
        if not isinstance(credentials, dict):
            continue
        for key, value in credentials.items():
            match = _ENV_REF.match(value) if isinstance(value, str) else None
            if match is None:
                continue
            if match.group(1) not in environ:
                raise ConfigurationError(
                    f"{path}: systems.{system_name}.credentials.{key}: environment variable "
                    f"{match.group(1)} is not set"
                )
            credentials[key] = environ[match.group(1)]
