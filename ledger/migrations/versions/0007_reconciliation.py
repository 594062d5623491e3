"""Bank reconciliation: imported statements, their lines, and matches between lines and the ledger.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 22:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("made_by", sa.String(length=100), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=100), nullable=True),
        sa.Column("undo_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('auto', 'manual')", name="ck_bank_match_kind"),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name="fk_bank_match_bank_account_id_bank_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bank_match"),
    )
    op.create_index("ix_bank_match_bank_account_id", "bank_match", ["bank_account_id"], unique=False)
    op.create_table(
        "bank_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("opening_balance", sa.BigInteger(), nullable=True),
        sa.Column("closing_balance", sa.BigInteger(), nullable=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("new_lines", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name="fk_bank_statement_bank_account_id_bank_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bank_statement"),
    )
    op.create_index("ix_bank_statement_bank_account_id", "bank_statement", ["bank_account_id"], unique=False)
    op.create_table(
        "bank_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("bank_reference", sa.String(length=100), nullable=False),
        sa.Column("counterparty", sa.String(length=200), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.CheckConstraint("amount <> 0", name="ck_bank_line_amount_not_zero"),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name="fk_bank_line_bank_account_id_bank_account"
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["bank_statement.id"], name="fk_bank_line_statement_id_bank_statement"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bank_line"),
        sa.UniqueConstraint("bank_account_id", "fingerprint", name="uq_bank_line_bank_account_id_fingerprint"),
    )
    op.create_index("ix_bank_line_account_booked", "bank_line", ["bank_account_id", "booked_on"], unique=False)
    op.create_table(
        "bank_match_entry",
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name="ck_bank_match_entry_amount_not_zero"),
        sa.ForeignKeyConstraint(["match_id"], ["bank_match.id"], name="fk_bank_match_entry_match_id_bank_match"),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["ledger_transaction.id"], name="fk_bank_match_entry_transaction_id_ledger_transaction"
        ),
        sa.PrimaryKeyConstraint("match_id", "transaction_id", name="pk_bank_match_entry"),
    )
    op.create_index("ix_bank_match_entry_transaction_id", "bank_match_entry", ["transaction_id"], unique=False)
    op.create_table(
        "bank_match_line",
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name="ck_bank_match_line_amount_not_zero"),
        sa.ForeignKeyConstraint(["line_id"], ["bank_line.id"], name="fk_bank_match_line_line_id_bank_line"),
        sa.ForeignKeyConstraint(["match_id"], ["bank_match.id"], name="fk_bank_match_line_match_id_bank_match"),
        sa.PrimaryKeyConstraint("match_id", "line_id", name="pk_bank_match_line"),
    )
    op.create_index("ix_bank_match_line_line_id", "bank_match_line", ["line_id"], unique=False)


def downgrade() -> None:
    for index, table in (
        ("ix_bank_match_line_line_id", "bank_match_line"),
        ("ix_bank_match_entry_transaction_id", "bank_match_entry"),
        ("ix_bank_line_account_booked", "bank_line"),
        ("ix_bank_statement_bank_account_id", "bank_statement"),
        ("ix_bank_match_bank_account_id", "bank_match"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("bank_match_line", "bank_match_entry", "bank_line", "bank_statement", "bank_match"):
        op.drop_table(table)
