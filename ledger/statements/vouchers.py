"""Voucher numbers as hand-kept books number them: per cash box or bank account, per year, no gaps.

Cash: phiếu thu ``PT-2026-0001`` for money in, phiếu chi ``PC-2026-0001`` for money out. Bank:
giấy báo Có ``BC-2026-0001`` for money in, giấy báo Nợ ``BN-2026-0001`` for money out. The n-th
voucher of its kind in an account's year (by the transaction's effective date) is the n-th
transaction that moved money that way, in the order the ledger recorded them (the chain's seq).
The ledger is append-only and seq only grows, so a number once shown never changes and none is
skipped: a transaction recorded later, even one dated back within the year, takes the next number.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col

from ledger.models import LedgerTransaction, Posting

PREFIXES = {"cash": ("PT", "PC"), "bank": ("BC", "BN")}  # (money in, money out)


def voucher_numbers(session: Session, account_id: int, kind: str, years: Iterable[int]) -> dict[int, str]:
    """Transaction id → its voucher on this account, for every transaction of ``years`` that moved it."""
    money_in, money_out = PREFIXES[kind]
    numbers: dict[int, str] = {}
    for year in sorted(set(years)):
        counts = {money_in: 0, money_out: 0}
        for transaction_id, _seq, net in session.execute(
            sa.select(col(Posting.transaction_id), col(LedgerTransaction.seq), func.sum(Posting.amount))
            .join(LedgerTransaction, col(LedgerTransaction.id) == Posting.transaction_id)
            .where(
                col(Posting.account_id) == account_id,
                col(Posting.effective_date) >= date(year, 1, 1),
                col(Posting.effective_date) <= date(year, 12, 31),
            )
            .group_by(col(Posting.transaction_id), col(LedgerTransaction.seq))
            .order_by(col(LedgerTransaction.seq))
        ):
            if not net:
                continue
            prefix = money_in if net > 0 else money_out
            counts[prefix] += 1
            numbers[transaction_id] = f"{prefix}-{year}-{counts[prefix]:04d}"
    return numbers
