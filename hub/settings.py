"""Process-wide settings, read once from the environment (prefix CROSSWALK_) and validated."""

from __future__ import annotations

from functools import lru_cache
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
