"""Posting one transaction in one statement on PostgreSQL: ``godmother_post``.

The function does what the client did in three round trips: lock the accounts the legs name
(ascending id, the order every writer takes), check them (found, open, in the leg's currency,
not taken below zero where they may not go), insert the postings and the transaction row. The
triggers that guard the ledger fire exactly as for the client's own statements: the balance
update, the hash-chain link and seal, closed periods. A refusal is returned as a row, with
nothing written, so the caller's transaction stays usable, as it did when the client checked.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 21:20:00
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

POST = r"""
CREATE FUNCTION godmother_post(
    p_id bigint, p_idempotency_key text, p_effective_date date, p_recorded_at timestamptz, p_description text,
    p_metadata json, p_reverses_id bigint, p_posted_by text, p_kind text, p_content_hash text,
    p_branches text[], p_accounts text[], p_amounts bigint[], p_currencies text[]
) RETURNS TABLE (posted_seq bigint, posted_hash text, refusal json) LANGUAGE plpgsql AS $$
DECLARE
    leg record;
    found_missing record;
    short record;
BEGIN
    -- Lock first, in ascending id order: every writer does, so writers never deadlock.
    PERFORM 1 FROM account a JOIN branch b ON b.id = a.branch_id
      JOIN unnest(p_branches, p_accounts) AS k(branch, code) ON k.branch = b.code AND k.code = a.code
     ORDER BY a.id FOR UPDATE OF a;
    -- The first missing account, in the order the client would name it (by branch, then code).
    SELECT k.branch, k.code, EXISTS (SELECT 1 FROM branch b WHERE b.code = k.branch) AS branch_found
      INTO found_missing
      FROM unnest(p_branches, p_accounts) AS k(branch, code)
     WHERE NOT EXISTS (SELECT 1 FROM account a JOIN branch b ON b.id = a.branch_id
                        WHERE b.code = k.branch AND a.code = k.code)
     ORDER BY k.branch COLLATE "C", k.code COLLATE "C" LIMIT 1;
    IF FOUND THEN
        RETURN QUERY SELECT NULL::bigint, NULL::text, json_build_object(
            'refused', CASE WHEN found_missing.branch_found THEN 'account-not-found' ELSE 'branch-not-found' END,
            'branch', found_missing.branch, 'account', found_missing.code);
        RETURN;
    END IF;
    FOR leg IN SELECT b.code AS branch, a.code, a.is_open, a.currency, k.currency AS wanted
                 FROM unnest(p_branches, p_accounts, p_currencies) WITH ORDINALITY AS k(branch, code, currency, n)
                 JOIN branch b ON b.code = k.branch JOIN account a ON a.branch_id = b.id AND a.code = k.code
                ORDER BY k.n LOOP
        IF NOT leg.is_open THEN
            RETURN QUERY SELECT NULL::bigint, NULL::text,
                json_build_object('refused', 'account-closed', 'branch', leg.branch, 'account', leg.code);
            RETURN;
        END IF;
        IF leg.currency <> leg.wanted THEN
            RETURN QUERY SELECT NULL::bigint, NULL::text, json_build_object('refused', 'currency', 'branch', leg.branch,
                'account', leg.code, 'keeps', leg.currency, 'given', leg.wanted);
            RETURN;
        END IF;
    END LOOP;
    -- Invariant 4: an account that may not go negative is not taken below zero (its normal side).
    SELECT b.code AS branch, a.code, s.sign * a.balance AS balance, s.sign * ch.change AS change
      INTO short
      FROM (SELECT k.branch, k.code, sum(k.amount)::bigint AS change, min(k.n) AS first
              FROM unnest(p_branches, p_accounts, p_amounts) WITH ORDINALITY AS k(branch, code, amount, n)
             GROUP BY k.branch, k.code) AS ch
      JOIN branch b ON b.code = ch.branch JOIN account a ON a.branch_id = b.id AND a.code = ch.code
      CROSS JOIN LATERAL (SELECT CASE WHEN a.type IN ('asset', 'expense') THEN 1 ELSE -1 END AS sign) AS s
     WHERE NOT a.may_go_negative AND s.sign * (a.balance + ch.change) < 0
     ORDER BY ch.first LIMIT 1;
    IF FOUND THEN
        RETURN QUERY SELECT NULL::bigint, NULL::text, json_build_object('refused', 'insufficient-funds',
            'branch', short.branch, 'account', short.code, 'balance', short.balance, 'change', short.change);
        RETURN;
    END IF;
    INSERT INTO posting (transaction_id, line, account_id, amount, currency, effective_date)
    SELECT p_id, k.n, a.id, k.amount, k.currency, p_effective_date
      FROM unnest(p_branches, p_accounts, p_amounts, p_currencies) WITH ORDINALITY AS k(branch, code, amount, currency, n)
      JOIN branch b ON b.code = k.branch JOIN account a ON a.branch_id = b.id AND a.code = k.code;
    RETURN QUERY
        INSERT INTO ledger_transaction (id, idempotency_key, effective_date, recorded_at, description, metadata,
                                        reverses_id, posted_by, kind, content_hash, seq, prev_hash, hash)
        VALUES (p_id, p_idempotency_key, p_effective_date, p_recorded_at, p_description, p_metadata,
                p_reverses_id, p_posted_by, p_kind, p_content_hash, 0, '', '')
        RETURNING seq, hash::text, NULL::json;
END $$
"""

SIGNATURE = "godmother_post(bigint, text, date, timestamptz, text, json, bigint, text, text, text, text[], text[], bigint[], text[])"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POST)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
