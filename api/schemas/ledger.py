"""The ledger: balances, history, the trial balance, transactions and reversals, closed months."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import MAX_AMOUNT, Dong, Strict


class BalanceQuery(BaseModel):
    """The balance read's query (validated by the route itself: it is the API's hottest read)."""

    branch: str | None = Field(None, max_length=64, description="needed when several branches have the code")
    as_of: date | None = Field(None, description="end of this day; default now")


class BalanceOut(BaseModel):
    branch: str
    account: str
    type: str
    as_of: date | None
    balance: Dong = Field(description="đồng, debit positive")


class AccountOut(BaseModel):
    branch: str
    account: str
    name: str
    type: str
    is_open: bool
    balance: Dong


class HistoryLineOut(BaseModel):
    date: date
    transaction: int
    line: int
    description: str
    amount: Dong
    balance: Dong


class HistoryOut(BaseModel):
    branch: str
    account: str
    opening: Dong
    lines: list[HistoryLineOut]


class TrialBalanceLineOut(BaseModel):
    branch: str
    account: str
    type: str
    debit: Dong
    credit: Dong
    balance: Dong


class TrialBalanceOut(BaseModel):
    branch: str | None
    as_of: date | None
    lines: list[TrialBalanceLineOut]
    total_debit: Dong
    total_credit: Dong


class PostingIn(Strict):
    branch: str = Field(min_length=1, max_length=64, examples=["hp-an-lao"])
    account: str = Field(min_length=1, max_length=200, examples=["assets:bank:vcb-hp-an-lao"])
    amount: Dong = Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="đồng, debit positive, credit negative")


class TransactionCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "effective_date": "2026-11-20",
                    "description": "Phí chuyển khoản tháng 11",
                    "postings": [
                        {"branch": "hp-an-lao", "account": "expenses:bank-fees", "amount": 11000},
                        {"branch": "hp-an-lao", "account": "assets:bank:vcb-hp-an-lao", "amount": -11000},
                    ],
                }
            ]
        },
    )

    effective_date: date
    description: str = Field(min_length=1, max_length=500)
    postings: list[PostingIn] = Field(min_length=2, max_length=1000)
    metadata: dict[str, str | int | bool | None] = Field(default_factory=dict, max_length=50)


class ReversalCreate(Strict):
    reason: str = Field(min_length=1, max_length=500, examples=["nhập nhầm số tiền"])
    effective_date: date | None = None


class PostingOut(BaseModel):
    line: int
    branch: str
    account: str
    amount: Dong


class TransactionOut(BaseModel):
    id: int
    seq: int
    effective_date: date
    recorded_at: datetime
    description: str
    kind: str
    posted_by: str
    reverses: int | None
    reversed_by: int | None = None
    metadata: dict[str, Any]
    hash: str
    postings: list[PostingOut]


class TransactionPage(BaseModel):
    items: list[TransactionOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next (older) page; null at the end")


class VerifyOut(BaseModel):
    ok: bool
    transactions: int
    postings: int
    accounts: int
    head_seq: int
    head_hash: str
    problems: list[str]


class PeriodEventOut(BaseModel):
    action: str
    month: str
    closed_through: date | None
    at: datetime
    by: str
    reason: str


class ReopenIn(Strict):
    reason: str = Field(min_length=1, max_length=500)
