"""The register: branches, sponsors, children, pledges, payments, eligibility and imports.

A sponsor's views are separate models (``ChildForSponsor``, ``PledgeForSponsor``): they
carry only what a sponsor may see (docs/roles-and-privacy.md), by construction, not by filtering."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import MAX_AMOUNT, MONTH_PATTERN, Dong, Strict


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
    """What a sponsor may know of a child they sponsor (docs/roles-and-privacy.md): first name, age, commune."""

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
