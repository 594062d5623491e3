"""The product's configuration, read from the environment by the adapters (never at import)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.db import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    """``sqlite:///godmother.db`` (default) or ``postgresql+psycopg://user@host/db``."""

    db_pool_size: int = 10
    """PostgreSQL connections each process keeps open (and as many more under load)."""

    smtp_host: str = ""
    """Where to send e-mail (statements, arrears reminders); empty: nothing is e-mailed."""

    smtp_port: int = 25
    smtp_from: str = "Hoi LHPN <no-reply@localhost>"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False

    def pool_options(self) -> dict[str, int]:
        if self.database_url.startswith("sqlite"):
            return {}
        return {"pool_size": self.db_pool_size, "max_overflow": self.db_pool_size}
