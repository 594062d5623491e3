"""Payments with their allocations to pledge months, and budget receipts; each points to its ledger transaction.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 02:04:57.156844
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("method IN ('bank', 'cash')", name="ck_budget_receipt_method"),
        sa.CheckConstraint("amount > 0", name="ck_budget_receipt_amount_positive"),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name=op.f("fk_budget_receipt_bank_account_id_bank_account")
        ),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_budget_receipt_branch_id_branch")),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transaction.id"],
            name=op.f("fk_budget_receipt_transaction_id_ledger_transaction"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_receipt")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_budget_receipt_transaction_id")),
    )
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("bank_account_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("method IN ('bank', 'cash')", name="ck_payment_method"),
        sa.CheckConstraint("amount > 0", name="ck_payment_amount_positive"),
        sa.ForeignKeyConstraint(
            ["bank_account_id"], ["bank_account.id"], name=op.f("fk_payment_bank_account_id_bank_account")
        ),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_payment_pledge_id_pledge")),
        sa.ForeignKeyConstraint(["sponsor_id"], ["sponsor.id"], name=op.f("fk_payment_sponsor_id_sponsor")),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["ledger_transaction.id"], name=op.f("fk_payment_transaction_id_ledger_transaction")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_payment_transaction_id")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_sponsor_id"), ["sponsor_id"], unique=False)

    op.create_table(
        "allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_allocation_amount_positive"),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_allocation_payment_id_payment")),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_allocation_pledge_id_pledge")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation")),
    )
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_allocation_payment_id"), ["payment_id"], unique=False)
        batch_op.create_index("ix_allocation_pledge_month", ["pledge_id", "month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_index("ix_allocation_pledge_month")
        batch_op.drop_index(batch_op.f("ix_allocation_payment_id"))

    op.drop_table("allocation")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_sponsor_id"))

    op.drop_table("payment")
    op.drop_table("budget_receipt")
