"""Finding people as they are typed: a folded search text on children and sponsors; a sponsor's reminders choice.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 16:40:00
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from ledger.register.folding import child_search_text, sponsor_search_text

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("child") as child:
        child.add_column(sa.Column("search_text", sa.String(length=400), nullable=False, server_default=""))
    with op.batch_alter_table("sponsor") as sponsor:
        sponsor.add_column(sa.Column("search_text", sa.String(length=400), nullable=False, server_default=""))
        sponsor.add_column(sa.Column("reminders", sa.Boolean(), nullable=False, server_default=sa.true()))
    _fill(
        "child",
        ("code", "full_name", "guardian_phone"),
        lambda r: child_search_text(r.code, r.full_name, r.guardian_phone),
    )
    _fill(
        "sponsor", ("code", "name", "phone", "email"), lambda r: sponsor_search_text(r.code, r.name, r.phone, r.email)
    )
    for table in ("child", "sponsor"):
        op.create_index(
            f"ix_{table}_search_text",
            table,
            ["search_text"],
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )


def _fill(table: str, columns: tuple[str, ...], make: Callable[[Any], str]) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}")).all()
    if rows:
        bind.execute(
            sa.text(f"UPDATE {table} SET search_text = :text WHERE id = :id"),
            [{"id": r.id, "text": make(r)[:400]} for r in rows],
        )


def downgrade() -> None:
    for table in ("child", "sponsor"):
        op.drop_index(f"ix_{table}_search_text", table_name=table)
    with op.batch_alter_table("sponsor") as sponsor:
        sponsor.drop_column("reminders")
        sponsor.drop_column("search_text")
    with op.batch_alter_table("child") as child:
        child.drop_column("search_text")
