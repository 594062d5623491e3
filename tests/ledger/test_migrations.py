"""The Alembic migrations build exactly the tables the models describe, and go down and up."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import ledger.models  # noqa: F401
from ledger.db import current_revision, head_revision, upgrade
from tests.factories import BANK, commune, fund, transfer


def test_the_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
    assert current_revision(engine) == head_revision()


def test_downgrade_to_nothing_and_upgrade_again(engine):
    from alembic import command

    from ledger.db import alembic_config

    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None
    upgrade(engine)
    commune(engine)
    assert transfer(engine, "an-lao", BANK, fund("C-000123"), 1).seq == 1
