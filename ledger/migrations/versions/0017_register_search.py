"""Finding people as they are typed: a folded search text on children and sponsors; a sponsor's reminders choice.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 16:40:00
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

from ledger.register.folding import child_search_text, name_order, sponsor_search_text

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    trigrams = _trigram_schema() if op.get_bind().dialect.name == "postgresql" else None
    with op.batch_alter_table("child") as child:
        child.add_column(sa.Column("search_text", sa.String(length=400), nullable=False, server_default=""))
        child.add_column(sa.Column("name_order", sa.String(length=220), nullable=False, server_default=""))
    with op.batch_alter_table("sponsor") as sponsor:
        sponsor.add_column(sa.Column("search_text", sa.String(length=400), nullable=False, server_default=""))
        sponsor.add_column(sa.Column("reminders", sa.Boolean(), nullable=False, server_default=sa.true()))
    _fill(
        "child",
        ("code", "full_name", "guardian_phone"),
        lambda r: child_search_text(r.code, r.full_name, r.guardian_phone),
    )
    _fill("child", ("full_name",), lambda r: name_order(r.full_name), column="name_order")
    _fill(
        "sponsor", ("code", "name", "phone", "email"), lambda r: sponsor_search_text(r.code, r.name, r.phone, r.email)
    )
    op.create_index("ix_child_name_order", "child", ["name_order"])
    op.create_index("ix_pledge_change_child_id", "pledge_change", ["child_id"])
    for table in ("child", "sponsor"):
        if trigrams is not None:
            op.create_index(
                f"ix_{table}_search_text",
                table,
                ["search_text"],
                postgresql_using="gin",
                postgresql_ops={"search_text": f"{trigrams}.gin_trgm_ops"},
            )
        else:
            op.create_index(f"ix_{table}_search_text", table, ["search_text"])


def _trigram_schema() -> str | None:
    """Where pg_trgm lives (installed in public when missing and the role may); None: not to be had,
    and a search reads the whole table instead (correct, slower)."""
    bind = op.get_bind()
    where = (
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    )
    found = bind.scalar(sa.text(where))
    if found is None:
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        except sa.exc.DBAPIError:
            return None
        found = bind.scalar(sa.text(where))
    return str(found) if found is not None else None


def _fill(table: str, columns: tuple[str, ...], make: Callable[[Any], str], column: str = "search_text") -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, {', '.join(columns)} FROM {table}")).all()
    if rows:
        bind.execute(
            sa.text(f"UPDATE {table} SET {column} = :text WHERE id = :id"),
            [{"id": r.id, "text": make(r)[:400]} for r in rows],
        )


def downgrade() -> None:
    op.drop_index("ix_pledge_change_child_id", table_name="pledge_change")
    op.drop_index("ix_child_name_order", table_name="child")
    for table in ("child", "sponsor"):
        op.drop_index(f"ix_{table}_search_text", table_name=table)
    with op.batch_alter_table("sponsor") as sponsor:
        sponsor.drop_column("reminders")
        sponsor.drop_column("search_text")
    with op.batch_alter_table("child") as child:
        child.drop_column("name_order")
        child.drop_column("search_text")
