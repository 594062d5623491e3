"""``godmother_post`` reads the accounts once: the locking read returns what the checks need.

0018 locked the accounts a post names, then asked three more questions of the same rows (is one
missing; is each open and in the leg's currency; would one that may not go negative) and joined
them a fifth time to insert the postings. Each statement in a PL/pgSQL function is a full trip
through the executor: with one read instead of five, 3,000 posts sent by psql took 3.3 s in place
of 3.9 s (the same database, the two functions alternating three times). The locking read now returns the locked rows with each account's total change, in the legs'
order, and the checks run over them in the function; the postings are inserted from the ids it
read. The missing-account query runs only when an account is missing. The answers, refusals
included, are those of 0018 (tests/ledger/test_posting_refusals.py).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 07:00:00
"""

from alembic import context, op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

POST = r"""
CREATE OR REPLACE FUNCTION godmother_post(
    p_id bigint, p_idempotency_key text, p_effective_date date, p_recorded_at timestamptz, p_description text,
    p_metadata json, p_reverses_id bigint, p_posted_by text, p_kind text, p_content_hash text,
    p_branches text[], p_accounts text[], p_amounts bigint[], p_currencies text[]
) RETURNS TABLE (posted_seq bigint, posted_hash text, refusal json) LANGUAGE plpgsql AS $$
DECLARE
    leg record;
    found_legs integer := 0;
    account_ids integer[] := '{}';
    refused json;
    short json;
    missing record;
BEGIN
    -- Lock first, in ascending id order (every writer does, so writers never deadlock), and read
    -- from the locked rows what the checks need, leg by leg in the legs' order.
    FOR leg IN
        SELECT l.*, sum(l.amount) OVER same_account AS change, min(l.n) OVER same_account AS first
          FROM (SELECT k.n, k.branch, k.code, k.amount, k.currency AS wanted, a.id, a.is_open, a.currency,
                       a.balance, a.may_go_negative,
                       CASE WHEN a.type IN ('asset', 'expense') THEN 1 ELSE -1 END AS sign
                  FROM unnest(p_branches, p_accounts, p_amounts, p_currencies) WITH ORDINALITY
                       AS k(branch, code, amount, currency, n)
                  JOIN branch b ON b.code = k.branch JOIN account a ON a.branch_id = b.id AND a.code = k.code
                 ORDER BY a.id FOR UPDATE OF a) AS l
        WINDOW same_account AS (PARTITION BY l.id)
         ORDER BY l.n
    LOOP
        found_legs := found_legs + 1;
        account_ids := account_ids || leg.id;
        IF refused IS NULL AND NOT leg.is_open THEN
            refused := json_build_object('refused', 'account-closed', 'branch', leg.branch, 'account', leg.code);
        ELSIF refused IS NULL AND leg.currency <> leg.wanted THEN
            refused := json_build_object('refused', 'currency', 'branch', leg.branch,
                'account', leg.code, 'keeps', leg.currency, 'given', leg.wanted);
        END IF;
        -- Invariant 4: an account that may not go negative is not taken below zero (its normal
        -- side), by the sum of its legs; named at its first leg.
        IF short IS NULL AND leg.n = leg.first AND NOT leg.may_go_negative
           AND leg.sign * (leg.balance + leg.change) < 0 THEN
            short := json_build_object('refused', 'insufficient-funds', 'branch', leg.branch, 'account', leg.code,
                'balance', leg.sign * leg.balance, 'change', leg.sign * leg.change);
        END IF;
    END LOOP;
    IF found_legs < cardinality(p_accounts) THEN
        -- The first missing account, in the order the client would name it (by branch, then code).
        SELECT k.branch, k.code, EXISTS (SELECT 1 FROM branch b WHERE b.code = k.branch) AS branch_found
          INTO missing
          FROM unnest(p_branches, p_accounts) AS k(branch, code)
         WHERE NOT EXISTS (SELECT 1 FROM account a JOIN branch b ON b.id = a.branch_id
                            WHERE b.code = k.branch AND a.code = k.code)
         ORDER BY k.branch COLLATE "C", k.code COLLATE "C" LIMIT 1;
        refused := json_build_object(
            'refused', CASE WHEN missing.branch_found THEN 'account-not-found' ELSE 'branch-not-found' END,
            'branch', missing.branch, 'account', missing.code);
    END IF;
    refused := coalesce(refused, short);
    IF refused IS NOT NULL THEN
        RETURN QUERY SELECT NULL::bigint, NULL::text, refused;
        RETURN;
    END IF;
    INSERT INTO posting (transaction_id, line, account_id, amount, currency, effective_date)
    SELECT p_id, k.n, k.account_id, k.amount, k.currency, p_effective_date
      FROM unnest(account_ids, p_amounts, p_currencies) WITH ORDINALITY AS k(account_id, amount, currency, n);
    RETURN QUERY
        INSERT INTO ledger_transaction (id, idempotency_key, effective_date, recorded_at, description, metadata,
                                        reverses_id, posted_by, kind, content_hash, seq, prev_hash, hash)
        VALUES (p_id, p_idempotency_key, p_effective_date, p_recorded_at, p_description, p_metadata,
                p_reverses_id, p_posted_by, p_kind, p_content_hash, 0, '', '')
        RETURNING seq, hash::text, NULL::json;
END $$
"""


def _function_of_0018() -> str:
    post: str = context.script.get_revision("0018").module.POST
    return post.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POST)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function_of_0018())
