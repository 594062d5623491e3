"""Cached balances move in one UPDATE per statement of postings (PostgreSQL).

The balance trigger updated accounts one row at a time, in ascending id order, so that a writer
that had not locked its accounts first could not deadlock another. A monthly run's batch touches
thousands of accounts, and one UPDATE per account was most of its time in the database. The
trigger now takes the row locks in ascending id order first (a no-op for the posting paths,
which hold them already) and then moves every balance in a single UPDATE. The checks are those
of 0001: the account's CHECK refuses a balance taken below zero, row by row.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 00:20:00
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BODY = """
        DECLARE
            posted bigint;
        BEGIN
            -- Every lookup below is driven from the new rows through a primary key, so its cost
            -- does not grow with the ledger (lateral subqueries with LIMIT are never flattened
            -- into hash joins over the whole table).
            -- Writers of one transaction id queue here until the first commits, so a second
            -- writer cannot slip postings under a transaction row it could not see yet
            -- (256 buckets of ids: a batch of any size takes at most 256 locks).
            PERFORM pg_advisory_xact_lock(1651, bucket)
               FROM (SELECT DISTINCT (transaction_id % 256)::integer AS bucket FROM new_postings ORDER BY 1) AS buckets;
            SELECT found.id INTO posted
              FROM (SELECT DISTINCT transaction_id FROM new_postings) AS ids
              CROSS JOIN LATERAL (SELECT t.id FROM ledger_transaction t WHERE t.id = ids.transaction_id LIMIT 1) AS found
             LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'postings cannot be added to transaction %, which is already posted', posted
                    USING ERRCODE = 'check_violation';
            END IF;
            -- Invariant 3: the cached balances move with the postings, in this transaction.
            {balances}
            RETURN NULL;
        END
"""
ONE_UPDATE = """-- The row locks first, in ascending id order (the order posters lock them in), then one UPDATE.
            PERFORM 1 FROM account
              WHERE id IN (SELECT DISTINCT account_id FROM new_postings) ORDER BY id FOR UPDATE;
            UPDATE account SET balance = account.balance + moved.amount
              FROM (SELECT account_id, sum(amount)::bigint AS amount FROM new_postings GROUP BY account_id) AS moved
             WHERE account.id = moved.account_id;"""
ROW_BY_ROW = """-- One row at a time in ascending id order (the order posters lock them in).
            FOR delta IN SELECT account_id, sum(amount)::bigint AS amount FROM new_postings
                         GROUP BY account_id ORDER BY account_id LOOP
                UPDATE account SET balance = balance + delta.amount WHERE id = delta.account_id;
            END LOOP;"""


def _replace(body: str) -> None:
    op.execute(
        "CREATE OR REPLACE FUNCTION godmother_postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$" + body + "$$"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace(BODY.replace("{balances}", ONE_UPDATE))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace(
            BODY.replace("{balances}", ROW_BY_ROW).replace(
                "posted bigint;", "posted bigint;\n            delta record;"
            )
        )
