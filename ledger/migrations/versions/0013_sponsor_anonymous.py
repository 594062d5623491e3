"""A sponsor may ask not to be named in the public account of the money.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE (never SQLite's batch copy, which the payments' foreign keys would refuse).
    op.add_column("sponsor", sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("sponsor") as batch:
        batch.drop_column("anonymous")
