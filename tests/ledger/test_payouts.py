"""A month's payouts (``post_payouts``): on PostgreSQL the database writes the postings, the
disbursement rows and each transaction's content hash from arrays; on SQLite they go through
``post_many``. On both, ``verify`` recomputes every content hash in Python, so a description
the database escaped differently from ``ledger.chain`` would be named; refusals carry the same
fields, and nothing of a refused batch is written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.accounts import AccountKey, close_account
from ledger.db import run_in_transaction
from ledger.errors import AccountClosed, DuplicateDisbursement, InsufficientFunds, PeriodClosed
from ledger.models import Disbursement, LedgerTransaction
from ledger.months import Month
from ledger.posting.entries import DisbursementKey
from ledger.posting.payouts import Payout, post_payouts
from ledger.verify import verify
from tests.factories import BANK, balance_of, commune, fund, payable, transfer
from tests.ledger.test_invariant_7_closed_period import close

ON = date(2025, 6, 5)
NOW = datetime(2025, 6, 5, 3, 4, 5, 678901, tzinfo=UTC)
# What JSON escapes (quote, backslash, newline, tab, a control character) and what it keeps as it is.
AWKWARD = ['Chi "tháng 5" cho trẻ', "back\\slash", "hai\ndòng", "tab\there", "bell\x07", "Trẻ em 👧 — ½", "plain"]


def children(n: int) -> tuple[str, ...]:
    return tuple(f"C-{i:06d}" for i in range(1, n + 1))


def payouts(branch: str, codes: tuple[str, ...], amount: int = 100_000) -> list[Payout]:
    return [
        Payout(
            fund=AccountKey(branch, fund(child)),
            payable=AccountKey(branch, payable(child)),
            amount=amount + i,
            description=f"{AWKWARD[i % len(AWKWARD)]} {child}",
            disbursement=DisbursementKey(child, "godmother", Month(2025, 5)),
        )
        for i, child in enumerate(codes)
    ]


def funded(engine, branch: str, codes: tuple[str, ...], amount: int = 200_000) -> None:
    commune(engine, branch, children=codes)
    for child in codes:
        transfer(engine, branch, BANK, fund(child), amount, on=date(2025, 5, 3))


def pay(engine, batch: list[Payout]) -> int:
    return run_in_transaction(
        engine,
        lambda s: post_payouts(
            s, batch, effective_date=ON, posted_by='thủ quỹ "Hoa"', metadata={"run": 7, "note": "tháng\t5"}, now=NOW
        ),
    )


def counts(engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(LedgerTransaction)),
            session.scalar(select(func.count()).select_from(Disbursement)),
        )


@pytest.mark.parametrize("size", [3, 40], ids=["few accounts", "many accounts"])
def test_payouts_are_posted_and_every_content_hash_verifies(engine, size):
    branch = "xa.an-lao_2"
    codes = children(size)
    funded(engine, branch, codes)
    assert pay(engine, payouts(branch, codes)) == size
    for i, child in enumerate(codes):
        assert balance_of(engine, branch, fund(child)) == -(200_000 - 100_000 - i)
        assert balance_of(engine, branch, payable(child)) == -(100_000 + i)
    with Session(engine) as session:
        report = verify(session)
        kept = session.scalars(select(LedgerTransaction).where(LedgerTransaction.kind == "disbursement")).all()
        paid = {d.child_code: d.transaction_id for d in session.scalars(select(Disbursement))}
    assert report.ok, report.problems
    assert len(kept) == size and {t.id for t in kept} == set(paid.values())
    assert {t.description for t in kept} == {p.description for p in payouts(branch, codes)}
    assert all(t.posted_by == 'thủ quỹ "Hoa"' and t.meta == {"run": 7, "note": "tháng\t5"} for t in kept)
    assert [t.seq for t in sorted(kept, key=lambda t: t.id)] == sorted(t.seq for t in kept)


def test_a_fund_short_of_money_refuses_the_batch_with_what_it_holds(engine):
    codes = children(60)
    funded(engine, "an-lao", codes)
    batch = payouts("an-lao", codes)
    batch[41] = Payout(batch[41].fund, batch[41].payable, 250_000, "quá số dư", batch[41].disbursement)
    before = counts(engine)
    with pytest.raises(InsufficientFunds) as refused:
        pay(engine, batch)
    assert (refused.value.account, refused.value.balance, refused.value.change) == (fund(codes[41]), 200_000, -250_000)
    assert counts(engine) == before
    assert balance_of(engine, "an-lao", fund(codes[0])) == -200_000


def test_a_month_paid_once_is_not_paid_again(engine):
    codes = children(60)
    funded(engine, "an-lao", codes)
    pay(engine, payouts("an-lao", codes[:10]))
    before = counts(engine)
    with pytest.raises(DuplicateDisbursement) as refused:
        pay(engine, payouts("an-lao", codes, amount=1_000))
    with Session(engine) as session:
        first = session.scalar(select(Disbursement.transaction_id).where(Disbursement.child_code == codes[0]))
    assert (refused.value.child, refused.value.transaction_id) == (codes[0], first)
    assert counts(engine) == before


def test_a_batch_paying_one_month_twice_is_refused_whole(engine):
    codes = children(60)
    funded(engine, "an-lao", codes)
    batch = payouts("an-lao", codes)
    twice = Payout(batch[30].fund, batch[30].payable, 1_000, "lần hai", batch[30].disbursement)
    before = counts(engine)
    with pytest.raises(DuplicateDisbursement) as refused:
        pay(engine, [*batch, twice])
    assert (refused.value.child, refused.value.transaction_id) == (codes[30], None)
    assert counts(engine) == before
    assert balance_of(engine, "an-lao", fund(codes[0])) == -200_000


def test_a_closed_account_or_a_closed_month_refuses_the_batch(engine):
    codes = children(60)
    funded(engine, "an-lao", codes)
    run_in_transaction(engine, lambda s: close_account(s, AccountKey("an-lao", payable(codes[59]))))
    before = counts(engine)
    with pytest.raises(AccountClosed):
        pay(engine, payouts("an-lao", codes))
    close(engine, "an-lao", "2025-06", now=datetime(2025, 7, 10, tzinfo=UTC))
    with pytest.raises(PeriodClosed) as refused:
        pay(engine, payouts("an-lao", codes[:59]))
    assert (refused.value.branch, refused.value.closed_through) == ("an-lao", date(2025, 6, 30))
    assert counts(engine) == before
