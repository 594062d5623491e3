"""The product's configuration, read from the environment by the adapters (never at import)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.db import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    """``sqlite:///godmother.db`` (default) or ``postgresql+psycopg://user@host/db``."""
