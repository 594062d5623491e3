"""register

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:57:43.836915
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "branch_parent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_branch_parent_branch_id_branch")),
        sa.ForeignKeyConstraint(["parent_id"], ["branch.id"], name=op.f("fk_branch_parent_parent_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_parent")),
        sa.UniqueConstraint("branch_id", "valid_from", name="uq_branch_parent_branch_id_valid_from"),
    )
    with op.batch_alter_table("branch_parent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_branch_parent_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "sponsor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('individual', 'organisation')", name="ck_sponsor_kind"),
        sa.CheckConstraint("language IN ('vi', 'en')", name="ck_sponsor_language"),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_sponsor_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sponsor")),
        sa.UniqueConstraint("code", name=op.f("uq_sponsor_code")),
    )
    op.create_table(
        "bank_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("bank_bin", sa.String(length=6), nullable=False),
        sa.Column("account_number", sa.String(length=19), nullable=False),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_bank_account_account_id_account")),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_bank_account_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_account")),
        sa.UniqueConstraint("code", name=op.f("uq_bank_account_code")),
    )
    op.create_table(
        "child",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("gender", sa.String(length=1), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("in_school_until", sa.Date(), nullable=True),
        sa.Column("guardian_name", sa.String(length=200), nullable=False),
        sa.Column("guardian_relation", sa.String(length=64), nullable=False),
        sa.Column("guardian_phone", sa.String(length=32), nullable=False),
        sa.Column("guardian_id_number", sa.String(length=32), nullable=False),
        sa.Column("guardian_bank", sa.String(length=64), nullable=False),
        sa.Column("consent_guardian_on", sa.Date(), nullable=False),
        sa.Column("consent_child_on", sa.Date(), nullable=True),
        sa.Column("health_card_valid_until", sa.Date(), nullable=True),
        sa.Column("died_on", sa.Date(), nullable=True),
        sa.Column("fund_account_id", sa.Integer(), nullable=False),
        sa.Column("payable_account_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("gender IN ('F', 'M')", name="ck_child_gender"),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_child_branch_id_branch")),
        sa.ForeignKeyConstraint(["fund_account_id"], ["account.id"], name=op.f("fk_child_fund_account_id_account")),
        sa.ForeignKeyConstraint(
            ["payable_account_id"], ["account.id"], name=op.f("fk_child_payable_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child")),
        sa.UniqueConstraint("code", name=op.f("uq_child_code")),
    )
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_child_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("decision_number", sa.String(length=64), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_enrolment_child_id_child")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
        sa.UniqueConstraint(
            "child_id", "program", "decision_number", name="uq_enrolment_child_id_program_decision_number"
        ),
    )
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.create_index("ix_enrolment_child_program", ["child_id", "program"], unique=False)

    op.create_table(
        "pledge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("monthly_amount", sa.BigInteger(), nullable=False),
        sa.Column("start_month", sa.Date(), nullable=False),
        sa.Column("end_month", sa.Date(), nullable=True),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.CheckConstraint("frequency IN ('monthly', 'quarterly', 'yearly')", name="ck_pledge_frequency"),
        sa.CheckConstraint("end_month IS NULL OR end_month >= start_month", name="ck_pledge_months_in_order"),
        sa.CheckConstraint("monthly_amount > 0", name="ck_pledge_monthly_amount_positive"),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_pledge_child_id_child")),
        sa.ForeignKeyConstraint(["sponsor_id"], ["sponsor.id"], name=op.f("fk_pledge_sponsor_id_sponsor")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge")),
        sa.UniqueConstraint("code", name=op.f("uq_pledge_code")),
    )
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledge_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledge_sponsor_id"), ["sponsor_id"], unique=False)

    op.execute(
        "INSERT INTO branch_parent (branch_id, parent_id, valid_from) SELECT id, parent_id, '1900-01-01' FROM branch"
    )


def downgrade() -> None:
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledge_sponsor_id"))
        batch_op.drop_index(batch_op.f("ix_pledge_child_id"))

    op.drop_table("pledge")
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_index("ix_enrolment_child_program")

    op.drop_table("enrolment")
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_branch_id"))

    op.drop_table("child")
    op.drop_table("bank_account")
    op.drop_table("sponsor")
    with op.batch_alter_table("branch_parent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_branch_parent_branch_id"))

    op.drop_table("branch_parent")
