"""Tables of bank reconciliation: imported statements, their lines, and matches to the ledger.

A bank line is what the bank says happened on the account (credit positive, debit negative),
kept once however many overlapping statements bring it (``fingerprint``). A match says that
some amount of one or more lines is the same money as some amount of one or more of the
ledger's transactions on that bank account; its parts balance. A match is never deleted: it is
undone, with who, when and why, and a new one made.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from ledger.ground.columns import UTCDateTime


class BankStatement(SQLModel, table=True):
    """One imported statement file (sao kê) of a bank account."""

    __tablename__ = "bank_statement"

    id: int = Field(default=None, primary_key=True)
    bank_account_id: int = Field(foreign_key="bank_account.id", index=True)
    format: str = Field(sa_type=String(32))
    filename: str = Field(sa_type=String(255))
    sha256: str = Field(sa_type=String(64))
    first_day: date | None = None
    last_day: date | None = None
    opening_balance: int | None = Field(default=None, sa_type=BigInteger)
    closing_balance: int | None = Field(default=None, sa_type=BigInteger)
    lines: int = Field(description="lines in the file")
    new_lines: int = Field(description="lines not already known from an earlier statement")
    imported_at: datetime = Field(sa_type=UTCDateTime)
    imported_by: str = Field(sa_type=String(100))


class BankLine(SQLModel, table=True):
    """One line of the bank's record of the account: credit (money in) positive, debit negative."""

    __tablename__ = "bank_line"
    __table_args__ = (
        UniqueConstraint("bank_account_id", "fingerprint", name="uq_bank_line_bank_account_id_fingerprint"),
        CheckConstraint("amount <> 0", name="ck_bank_line_amount_not_zero"),
        Index("ix_bank_line_account_booked", "bank_account_id", "booked_on"),
    )

    id: int = Field(default=None, primary_key=True)
    bank_account_id: int = Field(foreign_key="bank_account.id")
    statement_id: int = Field(foreign_key="bank_statement.id", description="the statement that first brought it")
    booked_on: date
    amount: int = Field(sa_type=BigInteger, description="whole đồng, credit positive")
    description: str = Field(sa_type=Text)
    bank_reference: str = Field(default="", sa_type=String(100))
    counterparty: str = Field(default="", sa_type=String(200))
    balance_after: int | None = Field(default=None, sa_type=BigInteger)
    fingerprint: str = Field(sa_type=String(64))


class Match(SQLModel, table=True):
    """Bank lines and ledger transactions that are the same money."""

    __tablename__ = "bank_match"
    __table_args__ = (CheckConstraint("kind IN ('auto', 'manual')", name="ck_bank_match_kind"),)

    id: int = Field(default=None, primary_key=True)
    bank_account_id: int = Field(foreign_key="bank_account.id", index=True)
    kind: str = Field(sa_type=String(8))
    rule: str = Field(sa_type=String(32), description="reference, amount-date, batch, created-payment, suspense, ...")
    reason: str = Field(default="", sa_type=Text)
    made_at: datetime = Field(sa_type=UTCDateTime)
    made_by: str = Field(sa_type=String(100))
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    undone_by: str | None = Field(default=None, sa_type=String(100))
    undo_reason: str | None = Field(default=None, sa_type=Text)


class MatchLine(SQLModel, table=True):
    """The part of a bank line a match takes (all of it, or a split)."""

    __tablename__ = "bank_match_line"
    __table_args__ = (CheckConstraint("amount <> 0", name="ck_bank_match_line_amount_not_zero"),)

    match_id: int = Field(sa_column=Column(Integer, ForeignKey("bank_match.id"), primary_key=True))
    line_id: int = Field(sa_column=Column(Integer, ForeignKey("bank_line.id"), primary_key=True, index=True))
    amount: int = Field(sa_type=BigInteger)


class MatchEntry(SQLModel, table=True):
    """The part of a ledger transaction's posting on the bank account a match takes."""

    __tablename__ = "bank_match_entry"
    __table_args__ = (CheckConstraint("amount <> 0", name="ck_bank_match_entry_amount_not_zero"),)

    match_id: int = Field(sa_column=Column(Integer, ForeignKey("bank_match.id"), primary_key=True))
    transaction_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("ledger_transaction.id"), primary_key=True, index=True)
    )
    amount: int = Field(sa_type=BigInteger)


class StatementMapping(SQLModel, table=True):
    """How to read a bank account's statements that no known bank wrote: its columns by role.

    Kept as a history (the newest row is in force), so that who named the columns, and when,
    stays known."""

    __tablename__ = "statement_mapping"

    id: int = Field(default=None, primary_key=True)
    bank_account_id: int = Field(foreign_key="bank_account.id", index=True)
    mapping: str = Field(sa_type=Text, description="date=…,amount=…,description=… as the file's headers say")
    set_at: datetime = Field(sa_type=UTCDateTime)
    set_by: str = Field(sa_type=String(100))


class PendingStatement(SQLModel, table=True):
    """A statement file waiting for its columns to be named; gone once imported (or after a day)."""

    __tablename__ = "pending_statement"

    id: int = Field(default=None, primary_key=True)
    bank_account_id: int = Field(foreign_key="bank_account.id")
    filename: str = Field(sa_type=String(255))
    content: bytes = Field(sa_type=LargeBinary)
    uploaded_at: datetime = Field(sa_type=UTCDateTime, index=True)
    uploaded_by: str = Field(sa_type=String(100))
