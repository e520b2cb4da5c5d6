"""Process-wide settings, read once from the environment (prefix CROSSWALK_) and validated."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CROSSWALK_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///crosswalk.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///FILE or postgresql+asyncpg://...",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    default_tenant: str = "default"
    max_page_size: int = 1000
    default_page_size: int = 50
    log_level: str = "INFO"
    echo_sql: bool = False
    demo_api_key: SecretStr | None = None
    config_dir: Path = Path("config")
    sync_interval_seconds: float = Field(
        default=0, ge=0, description="Incremental sync of every tenant this often; 0: off."
    )
    outbox_worker: bool = Field(
        default=True,
        description="Run the write-back worker inside `serve` (turn off when `crosswalk worker` "
        "processes run beside stateless API processes).",
    )

    # Security (hub/auth, hub/limits, hub/audit).
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    jwt_jwks_url: str | None = None
    jwt_jwks_file: Path | None = None
    jwt_tenant_claim: str = "crosswalk_tenant"
    jwt_role_claim: str = "crosswalk_role"
    jwt_leeway_seconds: int = 30
    audit_retention_days: int = 365
    max_query_depth: int = 12
    max_aliases: int = 50
    max_tokens: int = 5000
    max_body_bytes: int = 1_000_000


def get_settings() -> Settings:
    """Read and validate the environment now (callers read it once: at start-up, per command)."""
    return Settings()
