"""Statements of banks the product does not know: their columns named once per bank account,
and the file kept while the treasurer names them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "statement_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name=op.f("fk_statement_mapping_bank_account_id_bank_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_mapping")),
    )
    op.create_index("ix_statement_mapping_bank_account_id", "statement_mapping", ["bank_account_id"])
    op.create_table(
        "pending_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name=op.f("fk_pending_statement_bank_account_id_bank_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_statement")),
    )
    op.create_index("ix_pending_statement_uploaded_at", "pending_statement", ["uploaded_at"])


def downgrade() -> None:
    op.drop_index("ix_pending_statement_uploaded_at", table_name="pending_statement")
    op.drop_table("pending_statement")
    op.drop_index("ix_statement_mapping_bank_account_id", table_name="statement_mapping")
    op.drop_table("statement_mapping")
