"""The ledger's tables.

Amounts are ``BigInteger`` whole đồng (VND has no minor unit), debit positive, credit
negative, so that a transaction balances when its postings sum to zero. Transactions,
postings, period events and disbursements are append-only: the database itself refuses
UPDATE and DELETE on them (see the migrations), corrections are reversals.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    cast,
    func,
)
from sqlmodel import Field, SQLModel

from ledger.ground.columns import UTCDateTime


def total(amount: Any) -> Any:
    """SUM of đồng as a BIGINT (PostgreSQL would return NUMERIC, read as Decimal), 0 when empty."""
    return cast(func.coalesce(func.sum(amount), 0), BigInteger)


GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first transaction in the chain."""


class BranchLevel(enum.StrEnum):
    province = "province"
    commune = "commune"
    group = "group"


class AccountType(enum.StrEnum):
    asset = "asset"
    liability = "liability"
    equity = "equity"
    income = "income"
    expense = "expense"

    @property
    def normal_sign(self) -> int:
        """+1 where the normal balance is a debit (assets, expenses), -1 where it is a credit."""
        return 1 if self in (AccountType.asset, AccountType.expense) else -1


ROOT_OF_TYPE = {
    AccountType.asset: "assets",
    AccountType.liability: "liabilities",
    AccountType.equity: "equity",
    AccountType.income: "income",
    AccountType.expense: "expenses",
}
TYPE_OF_ROOT = {root: type_ for type_, root in ROOT_OF_TYPE.items()}


class Branch(SQLModel, table=True):
    """A Women's Union branch: a province, a commune/ward or a village group (chi hội)."""

    __table_args__ = (CheckConstraint("level IN ('province', 'commune', 'group')", name="ck_branch_level"),)

    id: int = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(64), unique=True)
    name: str = Field(sa_type=String(200))
    level: str = Field(sa_type=String(16))
    province: str | None = Field(default=None, sa_type=String(64), description="selects provincial rules")
    parent_id: int | None = Field(default=None, foreign_key="branch.id", index=True)


class Account(SQLModel, table=True):
    """An account of one branch, e.g. ``liabilities:fund:child:C-000123``.

    ``balance`` is the cached sum of the account's postings (debit positive), kept in the
    same database transaction as the postings; ``godmother verify`` proves it equal.
    """

    __table_args__ = (
        UniqueConstraint("branch_id", "code", name="uq_account_branch_id_code"),
        Index("ix_account_code", "code"),
        CheckConstraint("type IN ('asset', 'liability', 'equity', 'income', 'expense')", name="ck_account_type"),
        CheckConstraint(
            "may_go_negative OR (type IN ('asset', 'expense') AND balance >= 0)"
            " OR (type IN ('liability', 'equity', 'income') AND balance <= 0)",
            name="ck_account_not_negative",
        ),
    )

    id: int = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    code: str = Field(sa_type=String(200))
    name: str = Field(default="", sa_type=String(200))
    type: str = Field(sa_type=String(16))
    currency: str = Field(default="VND", sa_type=String(3))
    may_go_negative: bool = False
    is_open: bool = True
    balance: int = Field(default=0, sa_type=BigInteger, description="whole đồng, debit positive")
    opened_on: date


class LedgerTransaction(SQLModel, table=True):
    """A balanced set of postings with one effective date, linked into the hash chain."""

    __tablename__ = "ledger_transaction"
    __table_args__ = (Index("ix_ledger_transaction_effective_date", "effective_date"),)

    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(sa_type=BigInteger, unique=True, description="position in the hash chain, from 1")
    idempotency_key: str | None = Field(default=None, sa_type=String(200), unique=True)
    effective_date: date
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    description: str = Field(sa_type=Text)
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSON, nullable=False))
    reverses_id: int | None = Field(default=None, sa_type=BigInteger, foreign_key="ledger_transaction.id", unique=True)
    posted_by: str = Field(sa_type=String(100))
    kind: str = Field(default="general", sa_type=String(32))
    content_hash: str = Field(sa_type=String(64))
    prev_hash: str = Field(sa_type=String(64))
    hash: str = Field(sa_type=String(64))


class Posting(SQLModel, table=True):
    """One line of a transaction: an amount on one account (debit positive)."""

    __table_args__ = (
        CheckConstraint("amount <> 0", name="ck_posting_amount_not_zero"),
        Index("ix_posting_account_date", "account_id", "effective_date"),
    )

    transaction_id: int = Field(
        sa_column=Column(
            BigInteger,
            # Postings are written before their transaction row, which seals them (see the
            # migration's triggers), so the reference is checked at commit.
            ForeignKey("ledger_transaction.id", deferrable=True, initially="DEFERRED"),
            primary_key=True,
        )
    )
    line: int = Field(sa_type=SmallInteger, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    amount: int = Field(sa_type=BigInteger, description="whole đồng, debit positive")
    currency: str = Field(default="VND", sa_type=String(3))
    effective_date: date = Field(description="the transaction's effective date, for as-of balances")


class ChainHead(SQLModel, table=True):
    """The single row holding the last sequence number and hash of the chain."""

    __tablename__ = "chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="ck_chain_head_single_row"),)

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)
    hash: str = Field(default=GENESIS_HASH, sa_type=String(64))


class PeriodEvent(SQLModel, table=True):
    """A month closed or reopened for a branch; the latest event gives ``closed_through``."""

    __tablename__ = "period_event"
    __table_args__ = (
        CheckConstraint("action IN ('close', 'reopen')", name="ck_period_event_action"),
        Index("ix_period_event_branch", "branch_id", "id"),
    )

    id: int = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    action: str = Field(sa_type=String(8))
    month: date = Field(description="first day of the month closed or reopened")
    closed_through: date | None = Field(description="last closed day after this event")
    at: datetime = Field(sa_type=UTCDateTime)
    by: str = Field(sa_type=String(100))
    reason: str = Field(default="", sa_type=Text)


class Disbursement(SQLModel, table=True):
    """Marks a transaction as the one disbursement of a (child, program, month)."""

    __table_args__ = (
        UniqueConstraint("child_code", "program", "month", name="uq_disbursement_child_code_program_month"),
    )

    transaction_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("ledger_transaction.id", deferrable=True, initially="DEFERRED"),
            primary_key=True,
        )
    )
    child_code: str = Field(sa_type=String(64))
    program: str = Field(sa_type=String(64))
    month: date = Field(description="first day of the month paid for")


class VerifiedCheckpoint(SQLModel, table=True):
    """The ledger as a passed verification left it: nothing here is ever changed."""

    __tablename__ = "verify_checkpoint"

    id: int = Field(default=None, primary_key=True)
    seq: int = Field(sa_type=BigInteger, description="the chain's last transaction when verified (0: empty ledger)")
    hash: str = Field(sa_type=String(64))
    balances_digest: str = Field(sa_type=String(64), description="SHA-256 of every non-zero account balance there")
    transactions: int
    full: bool = Field(description="a full verification, from the genesis")
    verified_at: datetime = Field(sa_type=UTCDateTime)
    verified_by: str = Field(sa_type=String(100))


class AccountNumber(SQLModel, table=True):
    """A branch's number, in the accounting regime it keeps, for the accounts under one of our codes'
    prefixes, from a moment on (history kept: a new row, never an update; "" gives the prefix back to
    the branch above or the default)."""

    __tablename__ = "account_number"
    __table_args__ = (Index("ix_account_number_branch_prefix", "branch_id", "prefix", "id"),)

    id: int = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    prefix: str = Field(sa_type=String(200), description="our account code, or a prefix ending in ':'")
    number: str = Field(sa_type=String(32), description="e.g. 111, 112, 3388; empty: follow the branch above")
    set_at: datetime = Field(sa_type=UTCDateTime)
    set_by: str = Field(sa_type=String(100))


import ledger.access.models  # noqa: E402,F401  (users and the audit log share this metadata)
import ledger.disbursement.models  # noqa: E402,F401  (the run's tables share this metadata)
import ledger.reconciliation.models  # noqa: E402,F401  (bank reconciliation shares this metadata)
import ledger.register.models  # noqa: E402,F401  (the register's tables share this metadata)
import ledger.schedule.models  # noqa: E402,F401  (scheduled work shares this metadata)
