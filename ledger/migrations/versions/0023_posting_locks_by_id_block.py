"""Writers of different blocks of transaction ids no longer queue on each other's postings (PostgreSQL).

The balance trigger makes writers of one transaction id queue until the first commits (a second
writer must not slip postings under a transaction row it could not see yet). It locked 256 buckets
of ids, ``id % 256``: a monthly run's chunk of 2,000 consecutive ids took all 256, so its two
writers queued from their first postings to their commits, and posted little faster than one. Ids
are handed out a block of 100 to one connection at a time (the sequence's INCREMENT BY, hi/lo), so
the bucket is now the block, ``(id - 1) / 100 % 256``: a writer locks the blocks it posts in (20 for
a chunk of 2,000), two writers of one id still meet, and a batch still takes at most 256 locks.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 14:10:00
"""

from alembic import context, op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BY_ID = "(SELECT DISTINCT (transaction_id % 256)::integer AS bucket"
BY_BLOCK = "(SELECT DISTINCT ((transaction_id - 1) / 100 % 256)::integer AS bucket"
BUCKETS_BY_ID = "(256 buckets of ids: a batch of any size takes at most 256 locks)."
BUCKETS_BY_BLOCK = "(256 buckets of the blocks of 100 ids a connection takes at a time: at most 256 locks)."


def _replace(bucket: str, comment: str) -> None:
    body: str = context.script.get_revision("0019").module.BODY
    balances: str = context.script.get_revision("0022").module.BY_INDEX
    assert BY_ID in body and BUCKETS_BY_ID in body
    op.execute(
        "CREATE OR REPLACE FUNCTION godmother_postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$"
        + body.replace("{balances}", balances).replace(BY_ID, bucket).replace(BUCKETS_BY_ID, comment)
        + "$$"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace(BY_BLOCK, BUCKETS_BY_BLOCK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace(BY_ID, BUCKETS_BY_ID)
