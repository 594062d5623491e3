"""Corrections that reach every figure.

Allocations can be reversed, append-only: a reversed payment's allocations get negative rows,
dated by the reversal, so arrears, coverage and statements see its months as unpaid again. A
handover that was reversed can be made again: handovers of a child and month are numbered
(``round``), one standing at a time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("allocation") as table:
        table.add_column(sa.Column("effective_on", sa.Date(), nullable=True))
        table.add_column(sa.Column("reversal_transaction_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE allocation SET effective_on = (SELECT paid_on FROM payment WHERE payment.id = allocation.payment_id)"
    )
    with op.batch_alter_table("allocation") as table:
        table.alter_column("effective_on", existing_type=sa.Date(), nullable=False)
        table.drop_constraint("ck_allocation_amount_positive", type_="check")
        table.create_check_constraint(
            "ck_allocation_amount_sign",
            "(amount > 0 AND reversal_transaction_id IS NULL) OR (amount < 0 AND reversal_transaction_id IS NOT NULL)",
        )
        table.create_foreign_key(
            "fk_allocation_reversal_transaction_id_ledger_transaction",
            "ledger_transaction",
            ["reversal_transaction_id"],
            ["id"],
        )
    with op.batch_alter_table("handover") as table:
        table.add_column(sa.Column("round", sa.Integer(), nullable=False, server_default="0"))
        table.drop_constraint("uq_handover_child_id_month", type_="unique")
        table.create_unique_constraint("uq_handover_child_id_month_round", ["child_id", "month", "round"])


def downgrade() -> None:
    with op.batch_alter_table("handover") as table:
        table.drop_constraint("uq_handover_child_id_month_round", type_="unique")
        table.create_unique_constraint("uq_handover_child_id_month", ["child_id", "month"])
        table.drop_column("round")
    op.execute("DELETE FROM allocation WHERE amount < 0")
    with op.batch_alter_table("allocation") as table:
        table.drop_constraint("fk_allocation_reversal_transaction_id_ledger_transaction", type_="foreignkey")
        table.drop_constraint("ck_allocation_amount_sign", type_="check")
        table.create_check_constraint("ck_allocation_amount_positive", "amount > 0")
        table.drop_column("reversal_transaction_id")
        table.drop_column("effective_on")
