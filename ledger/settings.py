"""The product's configuration, read from the environment by the adapters (never at import)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.db import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    """``sqlite:///godmother.db`` (default) or ``postgresql+psycopg://user@host/db``."""

    database_replica_url: str = ""
    """A PostgreSQL streaming replica of ``database_url`` for read-only work (lists, search, pages, books,
    exports); empty: everything on ``database_url`` (README, "Running at scale")."""

    db_pool_size: int = 10
    """PostgreSQL connections each process keeps open (and as many more under load)."""

    smtp_host: str = ""
    """Where to send e-mail (statements, arrears reminders); empty: nothing is e-mailed."""

    smtp_port: int = 25
    smtp_from: str = "Hoi LHPN <no-reply@localhost>"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False

    ledger_check_schedule: str = "03:00"
    """When the whole ledger is verified each night ('HH:MM', Vietnam time), or off: a pass leaves the
    checkpoint the pages verify from (docs/books.md)."""

    backup_schedule: str = "02:00"
    """When the scheduled backup runs each day ('HH:MM', Vietnam time), or off."""

    backup_dir: str = ""
    """Where copies go; empty: ``backups/`` beside the SQLite file (or in the working directory)."""

    backup_keep: int = 14
    """How many copies to keep in each folder; older ones go once a new one is proved whole."""

    backup_copy_to: str = ""
    """A second folder for each copy (a USB disk, a mounted share); empty: none."""

    def pool_options(self) -> dict[str, int]:
        if self.database_url.startswith("sqlite"):
            return {}
        return {"pool_size": self.db_pool_size, "max_overflow": self.db_pool_size}
