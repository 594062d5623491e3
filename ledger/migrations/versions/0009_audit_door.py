"""The audit log says which door an act came in by (web, api, cli, job); sign-in attempts are
counted per client address too.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as table:
        table.add_column(sa.Column("door", sa.String(length=8), nullable=False, server_default=""))
        table.create_index("ix_audit_event_action_at", ["action", "at"])
    op.create_index("ix_sign_in_attempt_client_at", "sign_in_attempt", ["client", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempt_client_at", table_name="sign_in_attempt")
    with op.batch_alter_table("audit_event") as table:
        table.drop_index("ix_audit_event_action_at")
        table.drop_column("door")
