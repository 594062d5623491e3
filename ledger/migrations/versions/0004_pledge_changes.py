"""Pledge changes (pause, amount, move, end) kept as history from their effective month.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 02:29:14.384224
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pledge_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("from_month", sa.Date(), nullable=False),
        sa.Column("until_month", sa.Date(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("kind IN ('pause', 'amount', 'move', 'end')", name="ck_pledge_change_kind"),
        sa.CheckConstraint("until_month IS NULL OR until_month >= from_month", name="ck_pledge_change_months_in_order"),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_pledge_change_child_id_child")),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_pledge_change_pledge_id_pledge")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_change")),
    )
    with op.batch_alter_table("pledge_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledge_change_pledge_id"), ["pledge_id"], unique=False)

    # Append-only, like the ledger: a change is corrected by a later change, never edited.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER pledge_change_refuse_change BEFORE UPDATE OR DELETE ON pledge_change "
            "FOR EACH ROW EXECUTE FUNCTION godmother_refuse_change()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER pledge_change_refuse_{operation.lower()} BEFORE {operation} ON pledge_change "
                f"BEGIN SELECT RAISE(ABORT, 'pledge changes are history: {operation} is refused'); END"
            )


def downgrade() -> None:
    with op.batch_alter_table("pledge_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledge_change_pledge_id"))

    op.drop_table("pledge_change")
