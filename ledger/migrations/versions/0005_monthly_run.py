"""The monthly run: runs and their decisions, shortfall settlements, guardians" receipts with
their evidence, branch settings (e.g. four eyes), and who paid a payment.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:46:19.298579
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index("ix_account_code", ["code"], unique=False)
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("size > 0", name="ck_evidence_size"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("sha256", name=op.f("uq_evidence_sha256")),
    )
    op.create_table(
        "branch_setting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_branch_setting_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_setting")),
    )
    with op.batch_alter_table("branch_setting", schema=None) as batch_op:
        batch_op.create_index("ix_branch_setting_branch_name", ["branch_id", "name", "id"], unique=False)

    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("prepared_by", sa.String(length=100), nullable=False),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.CheckConstraint("status IN ('prepared', 'approved', 'done', 'superseded')", name="ck_run_status"),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_run_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index("ix_run_month", ["month"], unique=False)

    op.create_table(
        "handover",
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("received_by", sa.String(length=200), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("method IN ('cash', 'bank')", name="ck_handover_method"),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_handover_child_id_child")),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"], name=op.f("fk_handover_evidence_id_evidence")),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["ledger_transaction.id"], name=op.f("fk_handover_transaction_id_ledger_transaction")
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_handover")),
        sa.UniqueConstraint("child_id", "month", name="uq_handover_child_id_month"),
    )
    op.create_table(
        "run_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("due", sa.BigInteger(), nullable=False),
        sa.Column("catch_up", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("shortfall", sa.BigInteger(), nullable=False),
        sa.Column("fund_account_id", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "due >= 0 AND catch_up >= 0 AND paid >= 0 AND shortfall >= 0", name="ck_run_decision_amounts"
        ),
        sa.CheckConstraint("paid = catch_up + due - shortfall", name="ck_run_decision_paid"),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_run_decision_child_id_child")),
        sa.ForeignKeyConstraint(
            ["fund_account_id"], ["account.id"], name=op.f("fk_run_decision_fund_account_id_account")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_run_decision_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_decision")),
        sa.UniqueConstraint("run_id", "child_id", "program", name="uq_run_decision_run_id_child_id_program"),
    )
    with op.batch_alter_table("run_decision", schema=None) as batch_op:
        batch_op.create_index("ix_run_decision_child_program_month", ["child_id", "program", "month"], unique=False)
        batch_op.create_index(
            "ix_run_decision_shortfall",
            ["program", "child_id"],
            unique=False,
            sqlite_where=sa.text("shortfall > 0"),
            postgresql_where=sa.text("shortfall > 0"),
        )

    op.create_table(
        "shortfall_settlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("shortfall_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["run_decision.id"], name=op.f("fk_shortfall_settlement_decision_id_run_decision")
        ),
        sa.ForeignKeyConstraint(
            ["shortfall_id"], ["run_decision.id"], name=op.f("fk_shortfall_settlement_shortfall_id_run_decision")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shortfall_settlement")),
    )
    with op.batch_alter_table("shortfall_settlement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shortfall_settlement_decision_id"), ["decision_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shortfall_settlement_shortfall_id"), ["shortfall_id"], unique=False)

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payer", sa.String(length=200), nullable=False, server_default=""))

    # History, like the ledger: a decision, a settlement, a handover, a piece of evidence or a
    # setting is never edited; a later row supersedes it.
    append_only = ("run_decision", "shortfall_settlement", "handover", "evidence", "branch_setting")
    if op.get_bind().dialect.name == "postgresql":
        for table in append_only:
            op.execute(
                f"CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION godmother_refuse_change()"
            )
    else:
        for table in append_only:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_refuse_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is history: {operation} is refused'); END"
                )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index("ix_account_code")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_column("payer")

    with op.batch_alter_table("shortfall_settlement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shortfall_settlement_shortfall_id"))
        batch_op.drop_index(batch_op.f("ix_shortfall_settlement_decision_id"))

    op.drop_table("shortfall_settlement")
    with op.batch_alter_table("run_decision", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_run_decision_shortfall",
            sqlite_where=sa.text("shortfall > 0"),
            postgresql_where=sa.text("shortfall > 0"),
        )
        batch_op.drop_index("ix_run_decision_child_program_month")

    op.drop_table("run_decision")
    op.drop_table("handover")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index("ix_run_month")

    op.drop_table("run")
    with op.batch_alter_table("branch_setting", schema=None) as batch_op:
        batch_op.drop_index("ix_branch_setting_branch_name")

    op.drop_table("branch_setting")
    op.drop_table("evidence")
