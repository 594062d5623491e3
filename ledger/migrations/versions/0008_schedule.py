"""Scheduled work: job executions (each job and period once), notices, stored statements,
arrears reminders, and APScheduler's job store.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_apscheduler_jobs"),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"], unique=False)
    op.create_table(
        "job_execution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'retrying', 'failed')", name="ck_job_execution_status"),
        sa.PrimaryKeyConstraint("id", name="pk_job_execution"),
        sa.UniqueConstraint("job", "period", name="uq_job_execution_job_period"),
    )
    op.create_index("ix_job_execution_job", "job_execution", ["job"], unique=False)
    op.create_table(
        "stored_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=19), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("emailed_to", sa.String(length=200), nullable=False),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_stored_statement"),
        sa.UniqueConstraint("kind", "subject", "period", name="uq_stored_statement_kind_subject_period"),
    )
    op.create_index("ix_stored_statement_subject", "stored_statement", ["subject"], unique=False)
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("message_vi", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name="fk_notice_branch_id_branch"),
        sa.PrimaryKeyConstraint("id", name="pk_notice"),
        sa.UniqueConstraint("kind", "subject", "due_on", name="uq_notice_kind_subject_due_on"),
    )
    op.create_index("ix_notice_branch_id", "notice", ["branch_id"], unique=False)
    op.create_table(
        "arrears_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("emailed_to", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sponsor_id"], ["sponsor.id"], name="fk_arrears_reminder_sponsor_id_sponsor"),
        sa.PrimaryKeyConstraint("id", name="pk_arrears_reminder"),
        sa.UniqueConstraint("sponsor_id", "week", name="uq_arrears_reminder_sponsor_id_week"),
    )


def downgrade() -> None:
    op.drop_index("ix_apscheduler_jobs_next_run_time", table_name="apscheduler_jobs")
    op.drop_index("ix_stored_statement_subject", table_name="stored_statement")
    op.drop_index("ix_notice_branch_id", table_name="notice")
    op.drop_index("ix_job_execution_job", table_name="job_execution")
    for table in ("apscheduler_jobs", "arrears_reminder", "stored_statement", "notice", "job_execution"):
        op.drop_table(table)
