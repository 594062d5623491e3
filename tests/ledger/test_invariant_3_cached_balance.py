"""Invariant 3: every cached balance equals the sum of its account's postings."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session

from ledger.verify import verify
from tests.factories import BANK, CASH, commune, fund, payable, transfer
from tests.ledger.raw import execute, scalar


def test_cached_balances_follow_every_posting(database):
    commune(database.engine, children=("C-1", "C-2"))
    transfer(database.engine, "an-lao", BANK, fund("C-1"), 1_000_000)
    transfer(database.engine, "an-lao", BANK, fund("C-2"), 600_000)
    transfer(database.engine, "an-lao", fund("C-1"), payable("C-1"), 400_000, on=date(2025, 5, 15))
    transfer(database.engine, "an-lao", CASH, BANK, 400_000, on=date(2025, 5, 20))
    rows = scalar(
        database,
        "SELECT count(*) FROM account a WHERE a.balance <> "
        "(SELECT coalesce(sum(p.amount), 0) FROM posting p WHERE p.account_id = a.id)",
    )
    assert rows == 0
    assert scalar(database, f"SELECT balance FROM account WHERE code = '{BANK}'") == 1_200_000
    with Session(database.engine) as session:
        assert verify(session).ok


def test_verify_finds_a_cached_balance_changed_behind_the_ledger(database):
    commune(database.engine)
    transfer(database.engine, "an-lao", BANK, fund("C-000123"), 1_000_000)
    execute(database, f"UPDATE account SET balance = balance + 1 WHERE code = '{BANK}'")
    with Session(database.engine) as session:
        report = verify(session)
    assert not report.ok
    assert "cached balance 1,000,001 ≠ sum of its postings 1,000,000" in report.problems[0].message


def test_the_database_keeps_cached_balances_even_for_raw_inserts(database):
    from tests.ledger.test_invariant_1_balanced import header, ids, posting

    commune(database.engine)
    bank, child = ids(database)
    execute(database, posting(900, 1, bank, 5), posting(900, 2, child, -5), header(900))
    assert scalar(database, f"SELECT balance FROM account WHERE id = {bank}") == 5
    assert scalar(database, f"SELECT balance FROM account WHERE id = {child}") == -5


def test_the_balance_trigger_fetches_each_account_by_its_id_however_many_it_moves(engine):
    """A monthly run's chunk moves thousands of accounts in one statement. Joined to ``account``,
    they were planned as a scan of every account wherever the planner expected many (migration
    0022); each account is fetched through the primary key instead, whatever it expects."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the plans of PostgreSQL's trigger")
    commune(engine)
    plans: list[str] = []
    with engine.connect() as connection:
        connection.execute(
            text(
                "INSERT INTO account (branch_id, code, name, type, currency, may_go_negative, is_open, balance,"
                " opened_on) SELECT b.id, 'assets:test:' || g, '', 'asset', 'VND', true, true, 0, DATE '2025-05-01'"
                " FROM branch b CROSS JOIN generate_series(1, 3000) AS g WHERE b.code = 'an-lao'"
            )
        )
        connection.execute(text("ANALYZE account"))
        driver = connection.connection.driver_connection
        driver.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_nested_statements = on",
            "SET auto_explain.log_level = notice",
        ):
            connection.execute(text(setting))  # fmt: skip
        # One statement of postings that moves every one of the 3,000 accounts.
        connection.execute(
            text(
                "INSERT INTO posting (transaction_id, line, account_id, amount, currency, effective_date)"
                " SELECT 900000000 + n / 2, 1 + n % 2, a.id, CASE n % 2 WHEN 0 THEN 1 ELSE -1 END, 'VND',"
                " DATE '2025-05-02' FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM account"
                " WHERE code LIKE 'assets:test:%') AS a"
            )
        )
        connection.rollback()
    balances = [plan for plan in plans if "UPDATE account SET balance" in plan]
    locks = [plan for plan in plans if "FROM account" in plan and "FOR UPDATE" in plan]
    assert balances and locks, plans
    for plan in balances + locks:
        assert "Seq Scan on account" not in plan, plan
        assert "using pk_account on account" in plan, plan
