"""Alembic environment: runs against the engine the caller put in ``config.attributes``."""

from alembic import context
from sqlalchemy import Engine
from sqlmodel import SQLModel

import ledger.models  # noqa: F401  (registers the tables)
from ledger.db import make_engine

config = context.config
target_metadata = SQLModel.metadata

engine: Engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url", ""))

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
