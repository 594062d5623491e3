"""The balance trigger finds its accounts through the primary key, however many it moves (PostgreSQL).

0019 locked and updated the accounts of a statement's postings by joining them to ``account``, and
left the plan to the planner's estimate of how many there were. In a monthly run it guesses 200
(its default for the accounts grouped out of the transition table) and probes the index; but
where it expects many (3,000 accounts moved out of 3,000, or 4,000 out of 200,000 in an analyzed
table), it plans a hash join over a scan of every account, for each of the two statements: about
150 ms for 4,000 accounts of the bench's 100,000-children world, against about 67 ms fetched by id
(each statement alone, in a transaction rolled back). The ids now go to the index as an array
(``id = ANY(ARRAY(…))``), which the planner answers with the primary key whatever the sizes.
The row locks are still taken in ascending id order before the one UPDATE.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 07:10:00
"""

from alembic import context, op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

BY_INDEX = """-- The row locks first, in ascending id order (the order posters lock them in), then one UPDATE;
            -- each account fetched by its id (a join was planned as a scan of every account).
            PERFORM 1 FROM account
              WHERE id = ANY (ARRAY(SELECT DISTINCT account_id FROM new_postings)) ORDER BY id FOR UPDATE;
            UPDATE account SET balance = account.balance + moved.amount
              FROM (SELECT account_id, sum(amount)::bigint AS amount FROM new_postings GROUP BY account_id) AS moved
             WHERE account.id = moved.account_id
               AND account.id = ANY (ARRAY(SELECT DISTINCT account_id FROM new_postings));"""


def _replace(balances: str) -> None:
    body: str = context.script.get_revision("0019").module.BODY
    op.execute(
        "CREATE OR REPLACE FUNCTION godmother_postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$"
        + body.replace("{balances}", balances)
        + "$$"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace(BY_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace(context.script.get_revision("0019").module.ONE_UPDATE)
