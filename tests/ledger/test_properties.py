"""Property-based tests of the ledger's arithmetic against a model kept in plain Python."""

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from ledger.accounts import AccountKey, create_branch, open_account
from ledger.balances import balance, trial_balance
from ledger.db import run_in_transaction
from ledger.errors import InsufficientFunds
from ledger.posting import Entry, Leg, post, post_many, reverse
from ledger.verify import verify

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round

ACCOUNTS = (
    ("assets:bank:vcb", False),
    ("assets:cash", False),
    ("liabilities:fund:child:C-1", False),
    ("liabilities:fund:child:C-2", False),
    ("liabilities:suspense", True),
    ("income:donations:general", True),
)
START = date(2025, 1, 1)
branch_numbers = itertools.count()

transfers = st.lists(
    st.tuples(
        st.integers(0, len(ACCOUNTS) - 1),
        st.integers(0, len(ACCOUNTS) - 1),
        st.integers(1, 5_000_000),
        st.integers(0, 90),
    ).filter(lambda t: t[0] != t[1]),
    min_size=1,
    max_size=25,
)


def new_branch(engine) -> str:
    code = f"b{next(branch_numbers)}"

    def work(session: Session) -> None:
        create_branch(session, code=code, name="chi hội", level="province")
        for account, may_go_negative in ACCOUNTS:
            open_account(session, branch=code, code=account, opened_on=START, may_go_negative=may_go_negative)

    run_in_transaction(engine, work)
    return code


def sign(account: str) -> int:
    return 1 if account.startswith(("assets", "expenses")) else -1


def entry(branch: str, debit: int, credit: int, amount: int, day: int) -> Entry:
    return Entry(
        START + timedelta(days=day),
        "property",
        (
            Leg(AccountKey(branch, ACCOUNTS[debit][0]), amount),
            Leg(AccountKey(branch, ACCOUNTS[credit][0]), -amount),
        ),
        posted_by="hypothesis",
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=transfers)
def test_balances_match_a_model_and_refusals_are_exactly_the_overdrafts(engine, operations):
    branch = new_branch(engine)
    model = {account: 0 for account, _ in ACCOUNTS}
    dated: list[tuple[date, str, int]] = []
    posted_ids = []
    for debit, credit, amount, day in operations:
        after = dict(model)
        after[ACCOUNTS[debit][0]] += amount
        after[ACCOUNTS[credit][0]] -= amount
        overdraft = any(not neg and sign(acc) * after[acc] < 0 for acc, neg in ACCOUNTS)
        try:
            this = entry(branch, debit, credit, amount, day)
            posted = run_in_transaction(engine, lambda s, e=this: post(s, e))
        except InsufficientFunds:
            assert overdraft
            continue
        assert not overdraft
        model = after
        posted_ids.append(posted.id)
        dated += [
            (START + timedelta(days=day), ACCOUNTS[debit][0], amount),
            (START + timedelta(days=day), ACCOUNTS[credit][0], -amount),
        ]

    with Session(engine) as session:
        for account, _ in ACCOUNTS:
            assert balance(session, AccountKey(branch, account)) == model[account]
            as_of = START + timedelta(days=45)
            assert balance(session, AccountKey(branch, account), as_of=as_of) == sum(
                amount for day, acc, amount in dated if acc == account and day <= as_of
            )
        tb = trial_balance(session, branch=branch)
        assert sum(line.balance for line in tb.lines) == 0
        assert tb.total_debit == tb.total_credit

    # Undo everything, newest first: every balance returns to zero.
    for txn_id in reversed(posted_ids):
        run_in_transaction(engine, lambda s, t=txn_id: reverse(s, t, posted_by="hypothesis"))
    with Session(engine) as session:
        assert all(balance(session, AccountKey(branch, account)) == 0 for account, _ in ACCOUNTS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=transfers)
def test_a_batch_posts_all_or_nothing_and_equals_posting_one_by_one(engine, operations):
    batch_branch, single_branch = new_branch(engine), new_branch(engine)
    # Fund the bank and funds first so that most batches can pass.
    seed = [entry(b, 0, 5, 50_000_000, 0) for b in (batch_branch, single_branch)]
    run_in_transaction(engine, lambda s: post_many(s, seed))
    batch = [entry(batch_branch, *op) for op in operations]
    try:
        run_in_transaction(engine, lambda s: post_many(s, batch))
        batch_refused = False
    except InsufficientFunds:
        batch_refused = True
    singles_refused = False
    for op in operations:
        try:
            this = entry(single_branch, *op)
            run_in_transaction(engine, lambda s, e=this: post(s, e))
        except InsufficientFunds:
            singles_refused = True
    with Session(engine) as session:
        batch_balances = [balance(session, AccountKey(batch_branch, a)) for a, _ in ACCOUNTS]
        single_balances = [balance(session, AccountKey(single_branch, a)) for a, _ in ACCOUNTS]
        assert verify(session).ok
    assert batch_refused == singles_refused
    if batch_refused:
        assert batch_balances == [50_000_000, 0, 0, 0, 0, -50_000_000]
    else:
        assert batch_balances == single_balances
