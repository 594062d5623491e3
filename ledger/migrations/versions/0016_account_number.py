"""Account numbers of the accounting regime a branch keeps, beside our codes, with their history.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_number",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_account_number_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_number")),
    )
    op.create_index("ix_account_number_branch_prefix", "account_number", ["branch_id", "prefix", "id"])


def downgrade() -> None:
    op.drop_index("ix_account_number_branch_prefix", table_name="account_number")
    op.drop_table("account_number")
