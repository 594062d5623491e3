"""Sổ quỹ tiền mặt and sổ tiền gửi ngân hàng: the branch's cash box and each of its bank accounts,
for a period, as the books a treasurer keeps by hand (docs/books.md).

Each account: its balance when the period opens, every movement with the day it was recorded and
the day of its voucher, what came in and what went out, the running balance, and the totals. Each
line carries its voucher, numbered per account and year without gaps (``vouchers``: PT/PC for
cash, BC/BN for a bank account), and the ledger transaction behind it, so it can be looked up.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.models import Account, LedgerTransaction, Posting
from ledger.register.models import BankAccount
from ledger.statements.document import Document, Period, StatementRequest, chain_head, envelope, subtree
from ledger.statements.numbers import AccountNumbers, numbers_for
from ledger.statements.vouchers import voucher_numbers

CASH = "assets:cash"


def money_book(
    session: Session,
    *,
    kind: str,
    branch: str,
    period: Period,
    issued_on: date,
    numbers: AccountNumbers | None = None,
) -> Document:
    """``kind`` "cash-book" (the branch's cash box) or "bank-book" (each of its bank accounts)."""
    tree = subtree(session, branch)
    root = tree.root
    numbers = numbers or numbers_for(session, root.id)
    if kind == "cash-book":
        wanted = [(a, None) for a in session.scalars(
            select(Account).where(col(Account.branch_id) == root.id, col(Account.code) == CASH)
        )]  # fmt: skip
    else:
        wanted = [
            (account, bank)
            for account, bank in session.execute(
                select(Account, BankAccount)
                .join(BankAccount, col(BankAccount.account_id) == Account.id)
                .where(col(Account.branch_id) == root.id)
                .order_by(col(BankAccount.code))
            )
        ]
    books = [_book(session, account, bank, period, numbers) for account, bank in wanted]
    request = StatementRequest(kind, branch, period)
    body = {"period": period.to_json(), "numbers": numbers.to_json(), "books": books}
    return envelope(request, issued_on=issued_on, chain=chain_head(session), branch=tree.heading, body=body)


def _book(
    session: Session, account: Account, bank: BankAccount | None, period: Period, numbers: AccountNumbers
) -> dict[str, Any]:
    vouchers = voucher_numbers(session, account.id, "cash" if bank is None else "bank", period.years)
    opening = int(
        session.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0)).where(
                col(Posting.account_id) == account.id, col(Posting.effective_date) < period.start
            )
        )
        or 0
    )
    running, lines = opening, []
    for day, recorded, txn, description, amount in session.execute(
        sa.select(
            col(Posting.effective_date),
            col(LedgerTransaction.recorded_at),
            col(LedgerTransaction.id),
            col(LedgerTransaction.description),
            col(Posting.amount),
        )
        .join(LedgerTransaction, col(LedgerTransaction.id) == Posting.transaction_id)
        .where(
            col(Posting.account_id) == account.id,
            col(Posting.effective_date) >= period.start,
            col(Posting.effective_date) <= period.end,
        )
        .order_by(col(Posting.effective_date), col(LedgerTransaction.seq), col(Posting.line))
    ):
        running += amount
        voucher = vouchers.get(txn, "")
        lines.append(
            {
                "recorded": recorded.date().isoformat(),
                "date": day.isoformat(),
                "voucher": voucher,
                "transaction": txn,
                "description": description,
                "in": max(amount, 0),
                "out": max(-amount, 0),
                "balance": running,
            }  # fmt: skip
        )
    return {
        "account": account.code,
        "number": numbers.number_of(account.code),
        "bank": None
        if bank is None
        else {
            "code": bank.code,
            "bin": bank.bank_bin,
            "number": bank.account_number,
            "name": bank.account_name,
        },  # fmt: skip
        "opening": opening,
        "lines": lines,
        "in": sum(line["in"] for line in lines),
        "out": sum(line["out"] for line in lines),
        "closing": running,
    }
