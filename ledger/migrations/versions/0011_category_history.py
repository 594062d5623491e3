"""A child's categories get a dated history, so a past month is re-derived from them as they stood.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child_category_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["child.id"], name=op.f("fk_child_category_change_child_id_child")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_category_change")),
    )
    op.create_index("ix_child_category_change_child_from", "child_category_change", ["child_id", "from_date"])


def downgrade() -> None:
    op.drop_index("ix_child_category_change_child_from", table_name="child_category_change")
    op.drop_table("child_category_change")
