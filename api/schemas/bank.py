"""Bank statements and reconciliation."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class BankImportOut(BaseModel):
    statement: int
    format: str
    lines: int
    new_lines: int = Field(description="lines not already imported (the same file again or an overlap adds none)")
    opening: int | None
    closing: int | None
    first_day: date | None
    last_day: date | None


class AutoMatchOut(BaseModel):
    matched_lines: int
    rules: dict[str, int] = Field(description="matches made by each rule: reference, amount-date, batch, ...")
    payments_created: int
    to_suspense: int
    unmatched_lines: int


class BankLineOut(BaseModel):
    id: int
    booked_on: date
    amount: int = Field(description="whole đồng, credit (money in) positive")
    description: str
    bank_reference: str
    open: int = Field(description="what of the line is not matched yet")


class MatchPart(BaseModel):
    id: int = Field(ge=1, le=2**63 - 1, description="a bank line's id, or a ledger transaction's")
    amount: int | None = Field(default=None, ge=-(10**15), le=10**15, description="a part; none: all that is left")


class MatchIn(BaseModel):
    lines: list[MatchPart] = Field(default_factory=list, max_length=1000)
    entries: list[MatchPart] = Field(default_factory=list, max_length=1000)
    reason: str = Field(min_length=1, max_length=500)


class MatchOut(BaseModel):
    id: int
    kind: str
    rule: str
    reason: str
    made_by: str
    undone_by: str | None


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class BookingIn(BaseModel):
    account: str = Field(min_length=1, max_length=200, examples=["expenses:bank-fees"])
    description: str = Field(min_length=1, max_length=500)


class SuspenseOut(BaseModel):
    transaction: int
    branch: str
    date: date
    amount: int
    description: str


class ClearingIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    sponsor: str | None = Field(default=None, max_length=64)
    pledge: str | None = Field(default=None, max_length=64)
    account: str | None = Field(default=None, max_length=200)
    amount: int | None = Field(default=None, ge=1, le=10**15)


class ReconciliationItem(BaseModel):
    date: date
    amount: int
    description: str
    line: int | None
    transaction: int | None


class ReconciliationOut(BaseModel):
    account: str
    month: str
    status: str = Field(description="reconciled, differences or not-imported")
    reconciled: bool
    bank_balance: int | None
    bank_balance_from_statement: bool
    ledger_balance: int
    difference: int
    opening_difference: int
    matched_in: int
    matched_out: int
    unmatched_lines: list[ReconciliationItem]
    unmatched_entries: list[ReconciliationItem]
    timing: list[ReconciliationItem]
    explained: int
    unexplained: int = Field(description="0 when every đồng of the difference is explained")


class TransactionRef(BaseModel):
    transaction: int = Field(description="the new ledger transaction's id")
