"""What the API accepts and returns. Money is always an integer number of đồng.

A sponsor's views are separate models (``ChildForSponsor``, ``PledgeForSponsor``): they
carry only what ``people.md`` lets a sponsor see, by construction, not by filtering.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Dong = int
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
CODE = Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$")
MAX_AMOUNT = 10**15


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- auth and users ---------------------------------------------------------------------


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    expires_in: int = Field(description="seconds")


class Me(BaseModel):
    name: str
    role: str
    branch: str | None = None
    include_below: bool | None = None
    sponsor: str | None = None


class UserCreate(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^\S+$", examples=["thu-quy-an-lao"])
    role: Literal["admin", "treasurer", "auditor", "sponsor"]
    password: str = Field(min_length=10, max_length=200)
    branch: str | None = Field(default=None, max_length=64, examples=["hp-an-lao"])
    include_below: bool = True
    sponsor: str | None = Field(default=None, max_length=64)


class PasswordChange(Strict):
    password: str = Field(min_length=10, max_length=200)
    current_password: str | None = Field(
        default=None, max_length=200, description="needed to change your own password (not for an admin's reset)"
    )


class UserOut(BaseModel):
    name: str
    role: str
    branch: str | None
    include_below: bool
    sponsor: str | None
    disabled: bool


# --- the ledger -------------------------------------------------------------------------


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


# --- the register -----------------------------------------------------------------------


class BranchOut(BaseModel):
    code: str
    name: str
    level: str
    province: str | None
    parent: str | None
    four_eyes: bool


class BranchSettingIn(Strict):
    value: Literal["on", "off"]


class SponsorOut(BaseModel):
    code: str
    name: str
    kind: str
    phone: str
    email: str
    language: str
    branch: str


class ChildOut(BaseModel):
    """A child's full record: staff only, and every read is written to the audit log."""

    code: str
    full_name: str
    date_of_birth: date
    gender: str
    branch: str
    categories: list[str]
    in_school_until: date | None
    guardian_name: str
    guardian_relation: str
    guardian_phone: str
    guardian_id_number: str
    guardian_bank: str
    consent_guardian_on: date
    consent_child_on: date | None
    consent_withdrawn_on: date | None
    health_card_valid_until: date | None
    died_on: date | None
    fund_balance: Dong
    payable_balance: Dong


class ChildSummary(BaseModel):
    """A line in a staff list of children: no guardian or health data."""

    code: str
    full_name: str
    date_of_birth: date
    branch: str


class ChildForSponsor(BaseModel):
    """What a sponsor may know of a child they sponsor (people.md): first name, age, commune."""

    code: str
    first_name: str
    age: int
    commune: str


class DisbursedMonth(BaseModel):
    month: str
    program: str
    paid: Dong


class ChildReceivedOut(BaseModel):
    child: str
    months: list[DisbursedMonth]


class PledgeOut(BaseModel):
    code: str
    sponsor: str
    child: str
    monthly_amount: Dong
    start_month: str
    end_month: str | None
    frequency: str


class PledgeForSponsor(BaseModel):
    code: str
    child: ChildForSponsor
    monthly_amount: Dong
    start_month: str
    end_month: str | None
    frequency: str


class ScheduledMonthOut(BaseModel):
    month: str
    amount: Dong
    allocated: Dong
    arrears: Dong


class PledgeChangeIn(Strict):
    kind: Literal["pause", "change-amount", "move", "end"]
    from_month: str = Field(pattern=MONTH_PATTERN, examples=["2027-01"])
    until_month: str | None = Field(default=None, pattern=MONTH_PATTERN)
    amount: Dong | None = Field(default=None, ge=1, le=MAX_AMOUNT)
    child: str | None = Field(default=None, max_length=64)
    reason: str = Field(default="", max_length=500)


class PledgeChangeOut(BaseModel):
    kind: str
    from_month: str
    until_month: str | None
    amount: Dong | None
    child: str | None
    reason: str
    recorded_by: str


class EnrolmentOut(BaseModel):
    child: str
    program: str
    decision_number: str
    decision_date: date
    end_date: date | None


class PaymentCreate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sponsor": "MDD000072",
                    "amount": 1000000,
                    "paid_on": "2026-11-20",
                    "method": "bank",
                    "bank_account": "vcb-hp-an-lao",
                    "reference": "MDD000072T1126",
                }
            ]
        },
    )

    sponsor: str = Field(min_length=1, max_length=64)
    amount: Dong = Field(ge=1, le=MAX_AMOUNT)
    paid_on: date
    method: Literal["bank", "cash"]
    bank_account: str | None = Field(default=None, max_length=64)
    pledge: str | None = Field(default=None, max_length=64)
    reference: str = Field(default="", max_length=200)
    payer: str = Field(default="", max_length=200)


class AllocationOut(BaseModel):
    pledge: str
    month: str
    amount: Dong


class PaymentOut(BaseModel):
    id: int
    sponsor: str
    amount: Dong
    paid_on: date
    method: str
    reference: str
    payer: str
    transaction: int | None
    allocation: list[AllocationOut]
    unallocated: Dong
    reversed_by: int | None = Field(default=None, description="the transaction that reversed the payment, if any")


class ArrearsLine(BaseModel):
    sponsor: str
    pledge: str
    month: str
    amount: Dong


class CoverageMonth(BaseModel):
    month: str
    pledges: list[dict[str, Any]]


class ReasonOut(BaseModel):
    rule: str
    text: str
    source: str


class EligibilityOut(BaseModel):
    child: str
    program: str
    month: str
    eligible: bool
    amount: Dong
    reasons: list[dict[str, Any]]


class ConsentWithdrawalIn(Strict):
    on: date | None = Field(default=None, description="default: today in Vietnam")
    reason: str = Field(default="", max_length=500)


class ImportReportOut(BaseModel):
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int


class RowErrorOut(BaseModel):
    row: int
    column: str
    message: str


# --- monthly runs and handovers ---------------------------------------------------------


class RunStart(Strict):
    month: str = Field(pattern=MONTH_PATTERN, examples=["2026-11"])
    branch: str | None = Field(default=None, max_length=64)
    dry_run: bool = False
    on: date | None = Field(default=None, description="effective date of the disbursements (default today)")


class RunSummaryOut(BaseModel):
    decisions: int
    children_paid: int
    total_paid: Dong
    catch_up: Dong
    shortfalls: int
    shortfall_total: Dong
    aged_out: list[str]
    left_school: list[str] = Field(
        default_factory=list, description="children whose allowance stopped on leaving school"
    )
    pledges_ended: list[str]


class RunJobOut(BaseModel):
    job: str
    month: str
    branch: str | None
    dry_run: bool
    state: Literal["running", "finished", "failed"]
    stage: str
    done: int
    total: int
    started_by: str
    run_id: int | None = None
    status: str | None = None
    summary: RunSummaryOut | None = None
    error: str | None = None


class RunOut(BaseModel):
    id: int
    month: str
    branch: str | None
    status: str
    posted_on: date
    prepared_by: str
    prepared_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    finished_at: datetime | None
    summary: dict[str, Any]


class DecisionOut(BaseModel):
    child: str
    program: str
    month: str
    eligible: bool
    due: Dong
    catch_up: Dong
    paid: Dong
    shortfall: Dong
    reasons: list[dict[str, Any]]


class CheckOut(BaseModel):
    month: str
    decisions_checked: int
    differences: list[dict[str, Any]]


class HandoverIn(Strict):
    month: str = Field(pattern=MONTH_PATTERN)
    children: list[str] = Field(default_factory=list, max_length=10000)
    branch: str | None = Field(default=None, max_length=64)
    method: Literal["cash", "bank"] = "cash"
    bank_account: str | None = Field(default=None, max_length=64)
    received_by: str = Field(default="", max_length=200)
    on: date | None = None


class HandoverOut(BaseModel):
    child: str
    month: str
    amount: Dong
    method: str
    transaction: int


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    door: str = Field(description="web, api, cli or job: the door the act came in by")
    detail: dict[str, Any]


class StatementCheck(BaseModel):
    name: str = Field(description="statement, code, pages or ledger")
    ok: bool
    detail: str


class StatementVerdictOut(BaseModel):
    valid: bool = Field(description="every check passed: the file is as issued and the ledger still agrees")
    code: str | None = Field(description="the verification code the file carries")
    request: dict[str, Any] | None = Field(description="what the statement is: kind, subject, period, child")
    issued_on: str | None
    checks: list[StatementCheck]
    differences: list[str] = Field(description="what the ledger says differently today, one sentence each")


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


class JobOut(BaseModel):
    job: str = Field(examples=["monthly-run:hp-an-lao"])
    kind: str
    branch: str
    schedule: str = Field(description="Vietnam time: 'D HH:MM' monthly, 'mon HH:MM' weekly, 'HH:MM' daily")
    every: str
    next_due: datetime | None


class JobExecutionOut(BaseModel):
    id: int
    job: str
    period: str
    status: str = Field(description="running, succeeded, retrying or failed")
    attempts: int
    trigger: str
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime | None
    next_retry_at: datetime | None
    counts: dict[str, Any]
    error: str


class JobStartedOut(BaseModel):
    job: str
    started: bool


class NoticeOut(BaseModel):
    id: int
    branch: str
    kind: str = Field(description="age-out, school-ends, health-card, pledge-ends or job-failed")
    subject: str
    due_on: date
    message_vi: str
    message_en: str
    dismissed: bool


class StoredStatementOut(BaseModel):
    id: int
    period: str
    lang: str
    code: str = Field(description="verification code")
    filename: str
    created_at: datetime
    emailed_to: str | None
    emailed_at: datetime | None
