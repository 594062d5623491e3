"""Ledger core: branches, accounts, transactions, postings, hash chain, periods, disbursements.

The database itself enforces, so that even raw SQL from another client cannot break them:
- invariant 1: a transaction row can only be inserted over at least two postings that sum
  to zero per currency and carry its effective date; postings cannot be added to a
  transaction that exists (postings are written first, the transaction row seals them, the
  foreign key is checked at commit); on PostgreSQL writers of one transaction id queue on
  an advisory lock, so a concurrent raw writer cannot add postings to one in flight;
- invariant 2: UPDATE, DELETE (and TRUNCATE on PostgreSQL) of transactions, postings,
  period events and disbursements are refused;
- invariant 3: each account's cached balance is updated by a trigger on posting insert, in
  the same database transaction (once per statement on PostgreSQL, per row on SQLite);
- invariant 4 (second line of defence): a CHECK on the cached balance of accounts that may
  not go negative.
On PostgreSQL the transaction row's place in the hash chain is assigned by a trigger, so
the lock on the chain head is held only from that last insert to commit.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("ledger_transaction", "posting", "period_event", "disbursement")


def upgrade() -> None:
    op.create_table(
        "branch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("province", sa.String(64), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("level IN ('province', 'commune', 'group')", name="ck_branch_level"),
        sa.ForeignKeyConstraint(["parent_id"], ["branch.id"], name="fk_branch_parent_id_branch"),
        sa.PrimaryKeyConstraint("id", name="pk_branch"),
        sa.UniqueConstraint("code", name="uq_branch_code"),
    )
    op.create_index("ix_branch_parent_id", "branch", ["parent_id"])

    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_chain_head_single_row"),
        sa.PrimaryKeyConstraint("id", name="pk_chain_head"),
    )
    op.execute("INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")

    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("may_go_negative", sa.Boolean(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "may_go_negative OR (type IN ('asset', 'expense') AND balance >= 0)"
            " OR (type IN ('liability', 'equity', 'income') AND balance <= 0)",
            name="ck_account_not_negative",
        ),
        sa.CheckConstraint("type IN ('asset', 'liability', 'equity', 'income', 'expense')", name="ck_account_type"),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name="fk_account_branch_id_branch"),
        sa.PrimaryKeyConstraint("id", name="pk_account"),
        sa.UniqueConstraint("branch_id", "code", name="uq_account_branch_id_code"),
    )

    op.create_table(
        "ledger_transaction",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("reverses_id", sa.BigInteger(), nullable=True),
        sa.Column("posted_by", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["ledger_transaction.id"], name="fk_ledger_transaction_reverses_id_ledger_transaction"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_transaction"),
        sa.UniqueConstraint("idempotency_key", name="uq_ledger_transaction_idempotency_key"),
        sa.UniqueConstraint("reverses_id", name="uq_ledger_transaction_reverses_id"),
        sa.UniqueConstraint("seq", name="uq_ledger_transaction_seq"),
    )
    op.create_index("ix_ledger_transaction_effective_date", "ledger_transaction", ["effective_date"])

    op.create_table(
        "posting",
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.SmallInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.CheckConstraint("amount <> 0", name="ck_posting_amount_not_zero"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name="fk_posting_account_id_account"),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transaction.id"],
            name="fk_posting_transaction_id_ledger_transaction",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("transaction_id", "line", name="pk_posting"),
    )
    op.create_index("ix_posting_account_date", "posting", ["account_id", "effective_date"])

    op.create_table(
        "period_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("closed_through", sa.Date(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint("action IN ('close', 'reopen')", name="ck_period_event_action"),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name="fk_period_event_branch_id_branch"),
        sa.PrimaryKeyConstraint("id", name="pk_period_event"),
    )
    op.create_index("ix_period_event_branch", "period_event", ["branch_id", "id"])

    op.create_table(
        "disbursement",
        sa.Column("transaction_id", sa.BigInteger(), nullable=False),
        sa.Column("child_code", sa.String(64), nullable=False),
        sa.Column("program", sa.String(64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transaction.id"],
            name="fk_disbursement_transaction_id_ledger_transaction",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("transaction_id", name="pk_disbursement"),
        sa.UniqueConstraint("child_code", "program", "month", name="uq_disbursement_child_code_program_month"),
    )

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_refuse_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: {operation} on {table} is refused; "
                "post a reversal instead'); END"
            )
    op.execute(
        """
        CREATE TRIGGER posting_sealed BEFORE INSERT ON posting
        BEGIN
            SELECT RAISE(ABORT, 'postings cannot be added to a transaction that is already posted')
            WHERE EXISTS (SELECT 1 FROM ledger_transaction WHERE id = NEW.transaction_id);
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER posting_updates_balance AFTER INSERT ON posting
        BEGIN
            UPDATE account SET balance = balance + NEW.amount WHERE id = NEW.account_id;
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER ledger_transaction_balanced BEFORE INSERT ON ledger_transaction
        BEGIN
            SELECT RAISE(ABORT, 'a transaction needs at least two postings')
            WHERE (SELECT count(*) FROM posting WHERE transaction_id = NEW.id) < 2;
            SELECT RAISE(ABORT, 'the postings of a transaction must sum to zero in each currency')
            WHERE EXISTS (SELECT 1 FROM posting WHERE transaction_id = NEW.id
                          GROUP BY currency HAVING sum(amount) <> 0);
            SELECT RAISE(ABORT, 'postings must carry the effective date of their transaction')
            WHERE EXISTS (SELECT 1 FROM posting WHERE transaction_id = NEW.id
                          AND effective_date <> NEW.effective_date);
            SELECT RAISE(ABORT, 'period closed: the effective date lies in a closed month of a branch')
            WHERE EXISTS (
                SELECT 1 FROM posting p JOIN account a ON a.id = p.account_id
                WHERE p.transaction_id = NEW.id AND NEW.effective_date <= (
                    SELECT pe.closed_through FROM period_event pe WHERE pe.branch_id = a.branch_id
                    ORDER BY pe.id DESC LIMIT 1));
        END
        """
    )


def _postgresql_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION godmother_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the ledger is append-only: % on % is refused; post a reversal instead',
                TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
        END $$
        """
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION godmother_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION godmother_refuse_change()"
        )
    # Transaction ids are handed out in blocks of 100 per process (hi/lo), saving a round trip
    # per post; ids may skip, the chain's seq never does.
    op.execute("CREATE SEQUENCE ledger_transaction_id_seq INCREMENT BY 100 OWNED BY ledger_transaction.id")
    op.execute(
        """
        CREATE FUNCTION godmother_postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            posted bigint;
            delta record;
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
            -- Invariant 3: the cached balances move with the postings, in this transaction,
            -- one row at a time in ascending id order (the order posters lock them in).
            FOR delta IN SELECT account_id, sum(amount)::bigint AS amount FROM new_postings
                         GROUP BY account_id ORDER BY account_id LOOP
                UPDATE account SET balance = balance + delta.amount WHERE id = delta.account_id;
            END LOOP;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER posting_inserted AFTER INSERT ON posting REFERENCING NEW TABLE AS new_postings "
        "FOR EACH STATEMENT EXECUTE FUNCTION godmother_postings_inserted()"
    )
    op.execute(
        """
        CREATE FUNCTION godmother_link_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- Link into the hash chain: the head was read (and locked) before this statement;
            -- rows carry it along in transaction-local settings, written back after it.
            NEW.seq := current_setting('godmother.chain_seq')::bigint + 1;
            NEW.prev_hash := current_setting('godmother.chain_hash');
            NEW.hash := encode(sha256(convert_to(NEW.prev_hash || NEW.content_hash, 'UTF8')), 'hex');
            PERFORM set_config('godmother.chain_seq', NEW.seq::text, true),
                    set_config('godmother.chain_hash', NEW.hash, true);
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION godmother_read_chain_head() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            head record;
        BEGIN
            -- The row lock on the head is held until commit: the chain grows one writer at a time.
            SELECT seq, hash INTO head FROM chain_head WHERE id = 1 FOR UPDATE;
            PERFORM set_config('godmother.chain_seq', head.seq::text, true),
                    set_config('godmother.chain_hash', head.hash, true);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION godmother_seal_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            bad record;
        BEGIN
            -- Checked over the statement's new rows, each through the posting primary key.
            SELECT t.id, s.n, s.unbalanced, s.wrong_date INTO bad
              FROM new_transactions t
              CROSS JOIN LATERAL (
                  SELECT count(*) AS n,
                         bool_or(p.effective_date <> t.effective_date) AS wrong_date,
                         EXISTS (SELECT 1 FROM posting q WHERE q.transaction_id = t.id
                                 GROUP BY q.currency HAVING sum(q.amount) <> 0) AS unbalanced
                    FROM posting p WHERE p.transaction_id = t.id) AS s
             WHERE s.n < 2 OR s.unbalanced OR s.wrong_date
             LIMIT 1;
            IF FOUND AND bad.n < 2 THEN
                RAISE EXCEPTION 'transaction % has % postings: a transaction needs at least two postings', bad.id, bad.n
                    USING ERRCODE = 'check_violation';
            ELSIF FOUND AND bad.unbalanced THEN
                RAISE EXCEPTION 'the postings of transaction % do not sum to zero', bad.id
                    USING ERRCODE = 'check_violation';
            ELSIF FOUND THEN
                RAISE EXCEPTION 'postings of transaction % must carry its effective date', bad.id
                    USING ERRCODE = 'check_violation';
            END IF;
            -- Invariant 7. The accounts are locked by now, and closing a month locks them all
            -- first, so this statement sees every close that could conflict.
            SELECT b.code AS branch, latest.closed_through, touched.effective_date INTO bad
              FROM (SELECT a.branch_id, min(t.effective_date) AS effective_date
                      FROM new_transactions t
                      CROSS JOIN LATERAL (SELECT p.account_id FROM posting p WHERE p.transaction_id = t.id
                                          OFFSET 0) AS p
                      CROSS JOIN LATERAL (SELECT a.branch_id FROM account a WHERE a.id = p.account_id LIMIT 1) AS a
                     GROUP BY a.branch_id) AS touched
              CROSS JOIN LATERAL (SELECT pe.closed_through FROM period_event pe
                                  WHERE pe.branch_id = touched.branch_id ORDER BY pe.id DESC LIMIT 1) AS latest
              JOIN branch b ON b.id = touched.branch_id
             WHERE latest.closed_through >= touched.effective_date
             LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'branch % is closed through %: nothing can be posted on %',
                    bad.branch, bad.closed_through, bad.effective_date
                    USING ERRCODE = 'GM007',
                          DETAIL = concat_ws(' ', bad.closed_through, bad.effective_date, bad.branch);
            END IF;
            UPDATE chain_head SET seq = current_setting('godmother.chain_seq')::bigint,
                                  hash = current_setting('godmother.chain_hash')
             WHERE id = 1;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER ledger_transaction_chain_read BEFORE INSERT ON ledger_transaction "
        "FOR EACH STATEMENT EXECUTE FUNCTION godmother_read_chain_head()"
    )
    op.execute(
        "CREATE TRIGGER ledger_transaction_link BEFORE INSERT ON ledger_transaction "
        "FOR EACH ROW EXECUTE FUNCTION godmother_link_transaction()"
    )
    op.execute(
        "CREATE TRIGGER ledger_transaction_seal AFTER INSERT ON ledger_transaction "
        "REFERENCING NEW TABLE AS new_transactions FOR EACH STATEMENT EXECUTE FUNCTION godmother_seal_transactions()"
    )


def downgrade() -> None:
    for table in ("disbursement", "period_event", "posting", "ledger_transaction", "account", "chain_head", "branch"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for function in (
            "godmother_refuse_change",
            "godmother_postings_inserted",
            "godmother_link_transaction",
            "godmother_read_chain_head",
            "godmother_seal_transactions",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
