"""Invariant 4: an account that may not go negative never does, also under concurrent posting."""

import random
import threading
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session

from ledger.accounts import AccountKey, create_branch, open_account
from ledger.db import run_in_transaction
from ledger.errors import InsufficientFunds
from ledger.posting import Entry, Leg, post
from ledger.verify import verify
from tests.factories import BANK, SUSPENSE, balance_of, commune, fund, payable, transfer
from tests.ledger.raw import refused


def test_a_fund_cannot_pay_out_more_than_it_received(engine):
    commune(engine)
    transfer(engine, "an-lao", BANK, fund("C-000123"), 300_000)
    with pytest.raises(InsufficientFunds) as caught:
        transfer(engine, "an-lao", fund("C-000123"), payable("C-000123"), 500_000)
    assert caught.value.balance == 300_000
    assert "holds 300,000 ₫ and this would take 500,000 ₫" in str(caught.value)
    assert balance_of(engine, "an-lao", fund("C-000123")) == -300_000
    assert balance_of(engine, "an-lao", payable("C-000123")) == 0


def test_a_bank_account_cannot_be_overdrawn_but_suspense_may_go_negative(engine):
    commune(engine)
    with pytest.raises(InsufficientFunds):
        transfer(engine, "an-lao", SUSPENSE, BANK, 1)
    transfer(engine, "an-lao", BANK, SUSPENSE, 250_000)  # an unidentified receipt
    transfer(engine, "an-lao", SUSPENSE, fund("C-000123"), 250_000)  # identified later
    assert balance_of(engine, "an-lao", SUSPENSE) == 0


def test_a_transaction_that_nets_to_a_valid_balance_is_allowed(engine):
    """Checked per transaction, not per line: out and back in within one entry is fine."""
    commune(engine)
    fund_key, bank = AccountKey("an-lao", fund("C-000123")), AccountKey("an-lao", BANK)
    entry = Entry(
        date(2025, 5, 2), "điều chỉnh", (Leg(fund_key, 100), Leg(bank, 100), Leg(fund_key, -200)), posted_by="thu-quy"
    )
    run_in_transaction(engine, lambda s: post(s, entry))
    assert balance_of(engine, "an-lao", fund("C-000123")) == -100


def test_the_database_refuses_a_negative_cached_balance_from_raw_sql(database):
    commune(database.engine)
    assert "ck_account_not_negative" in str(refused(database, f"UPDATE account SET balance = -1 WHERE code = '{BANK}'"))


@pytest.mark.postgres_only
def test_eight_concurrent_writers_never_overdraw_and_balances_add_up(database):
    """8 workers post 5,000 random transfers among 50 accounts; half may not go negative.

    Every transfer either posts or is refused with InsufficientFunds; nothing else reaches
    the caller (deadlocks and serialization failures are retried inside the ledger).
    """
    engine = database.engine
    accounts = [f"assets:bank:a{i:02d}" if i % 2 else f"liabilities:suspense:s{i:02d}" for i in range(50)]

    def setup(session: Session) -> None:
        create_branch(session, code="hp", name="Hội LHPN Hải Phòng", level="province")
        for code in accounts:
            open_account(
                session,
                branch="hp",
                code=code,
                opened_on=date(2025, 1, 1),
                may_go_negative=code.startswith("liabilities"),
            )

    run_in_transaction(engine, setup)
    outcomes = {"posted": 0, "refused": 0}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(seed: int, count: int) -> None:
        rng = random.Random(seed)
        for _ in range(count):
            debit, credit = rng.sample(accounts, 2)
            amount = rng.randint(1, 500_000)
            entry = Entry(
                date(2025, 5, 2),
                "transfer",
                (Leg(AccountKey("hp", debit), amount), Leg(AccountKey("hp", credit), -amount)),
                posted_by=f"worker-{seed}",
            )
            try:
                run_in_transaction(engine, lambda s, e=entry: post(s, e))
                outcome = "posted"
            except InsufficientFunds:
                outcome = "refused"
            except BaseException as exc:  # anything else is a failure of the ledger
                errors.append(exc)
                return
            with lock:
                outcomes[outcome] += 1

    threads = [threading.Thread(target=worker, args=(seed, 625)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert outcomes["posted"] + outcomes["refused"] == 5_000
    assert outcomes["posted"] > 1_000 and outcomes["refused"] > 0
    with engine.connect() as connection:
        negative = connection.execute(
            text("SELECT count(*) FROM account WHERE NOT may_go_negative AND balance < 0")
        ).scalar_one()
        mismatched = connection.execute(
            text(
                "SELECT count(*) FROM account a WHERE balance <> "
                "(SELECT coalesce(sum(amount), 0) FROM posting p WHERE p.account_id = a.id)"
            )
        ).scalar_one()
        transactions = connection.execute(text("SELECT count(*) FROM ledger_transaction")).scalar_one()
    assert (negative, mismatched, transactions) == (0, 0, outcomes["posted"])
    with Session(engine) as session:
        assert verify(session).ok
