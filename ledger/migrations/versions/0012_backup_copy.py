"""Copies of the database that were taken and proved whole, for the backup status and its notice.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backup_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("folder", sa.Text(), nullable=False),
        sa.Column("second_folder", sa.Text(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("chain_seq", sa.BigInteger(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("trial_balance_digest", sa.String(length=64), nullable=False),
        sa.Column("taken_by", sa.String(length=100), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_copy")),
    )
    op.create_index("ix_backup_copy_taken_at", "backup_copy", ["taken_at"])


def downgrade() -> None:
    op.drop_index("ix_backup_copy_taken_at", table_name="backup_copy")
    op.drop_table("backup_copy")
