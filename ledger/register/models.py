"""Tables of the register. Codes are the keys people use (and re-imports match on).

Children's personal data is kept to what the programs need (docs/roles-and-privacy.md); the guardian's ID,
phone and bank are never shown to sponsors.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Index, String, UniqueConstraint, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from ledger.register.folding import child_search_text, name_order, sponsor_search_text, text_for_search


class BranchParent(SQLModel, table=True):
    """Which branch a branch sat under from a date: re-parenting never rewrites the past."""

    __tablename__ = "branch_parent"
    __table_args__ = (UniqueConstraint("branch_id", "valid_from", name="uq_branch_parent_branch_id_valid_from"),)

    id: int = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="branch.id")
    valid_from: date


class BankAccount(SQLModel, table=True):
    """A branch's bank account; its ledger account is ``assets:bank:<code>``."""

    __tablename__ = "bank_account"

    id: int = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(64), unique=True)
    branch_id: int = Field(foreign_key="branch.id")
    bank_bin: str = Field(sa_type=String(6))
    account_number: str = Field(sa_type=String(19))
    account_name: str = Field(sa_type=String(200))
    account_id: int = Field(foreign_key="account.id")


def _trigram_index(table: str) -> Index:
    """What finds a part of a name fast on PostgreSQL (pg_trgm); a plain index elsewhere."""
    return Index(
        f"ix_{table}_search_text", "search_text", postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"}
    )


class Sponsor(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("kind IN ('individual', 'organisation')", name="ck_sponsor_kind"),
        CheckConstraint("language IN ('vi', 'en')", name="ck_sponsor_language"),
        _trigram_index("sponsor"),
    )

    id: int = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(64), unique=True)
    name: str = Field(sa_type=String(200))
    kind: str = Field(sa_type=String(16))
    phone: str = Field(default="", sa_type=String(32))
    email: str = Field(default="", sa_type=String(200))
    language: str = Field(default="vi", sa_type=String(2))
    branch_id: int = Field(foreign_key="branch.id")
    anonymous: bool = Field(default=False, description="asked not to be named in the public account")
    reminders: bool = Field(default=True, description="wants a reminder when a month is owed")
    search_text: str = Field(
        default="",
        sa_column=Column(String(400), nullable=False, server_default="", default=text_for_search(sponsor_search_text)),
    )


class Child(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("gender IN ('F', 'M')", name="ck_child_gender"),
        _trigram_index("child"),
        Index("ix_child_name_order", "name_order"),
    )

    id: int = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(64), unique=True)
    full_name: str = Field(sa_type=String(200))
    date_of_birth: date
    gender: str = Field(sa_type=String(1))
    branch_id: int = Field(foreign_key="branch.id", index=True)
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    in_school_until: date | None = None
    guardian_name: str = Field(sa_type=String(200))
    guardian_relation: str = Field(default="", sa_type=String(64))
    guardian_phone: str = Field(default="", sa_type=String(32))
    guardian_id_number: str = Field(default="", sa_type=String(32))
    guardian_bank: str = Field(default="", sa_type=String(64), description="BIN:account")
    consent_guardian_on: date
    consent_child_on: date | None = None
    consent_withdrawn_on: date | None = Field(default=None, description="personal fields anonymised from then on")
    health_card_valid_until: date | None = None
    died_on: date | None = None
    fund_account_id: int = Field(foreign_key="account.id")
    payable_account_id: int = Field(foreign_key="account.id")
    search_text: str = Field(
        default="",
        sa_column=Column(String(400), nullable=False, server_default="", default=text_for_search(child_search_text)),
    )
    name_order: str = Field(
        default="",
        sa_column=Column(String(220), nullable=False, server_default="", default=text_for_search(name_order)),
    )

    @property
    def first_name(self) -> str:
        """The given name, the last word of a Vietnamese full name: all a sponsor is told (none after withdrawal)."""
        words = self.full_name.split()
        return words[-1] if words and self.consent_withdrawn_on is None else ""


class Pledge(SQLModel, table=True):
    """A sponsor's monthly commitment to a child: a schedule, not money."""

    __table_args__ = (
        CheckConstraint("monthly_amount > 0", name="ck_pledge_monthly_amount_positive"),
        CheckConstraint("frequency IN ('monthly', 'quarterly', 'yearly')", name="ck_pledge_frequency"),
        CheckConstraint("end_month IS NULL OR end_month >= start_month", name="ck_pledge_months_in_order"),
    )

    id: int = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(64), unique=True)
    sponsor_id: int = Field(foreign_key="sponsor.id", index=True)
    child_id: int = Field(foreign_key="child.id", index=True)
    monthly_amount: int = Field(sa_type=BigInteger, description="whole đồng per month")
    start_month: date = Field(description="first day of the first month")
    end_month: date | None = Field(default=None, description="first day of the last month; none: until the age limit")
    frequency: str = Field(default="monthly", sa_type=String(16))


class Enrolment(SQLModel, table=True):
    """A decision admitting a child to a program (e.g. the monthly social allowance)."""

    __table_args__ = (
        UniqueConstraint(
            "child_id", "program", "decision_number", name="uq_enrolment_child_id_program_decision_number"
        ),
        Index("ix_enrolment_child_program", "child_id", "program"),
    )

    id: int = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id")
    program: str = Field(sa_type=String(64))
    decision_number: str = Field(sa_type=String(64))
    decision_date: date
    end_date: date | None = None


class Payment(SQLModel, table=True):
    """Money a sponsor (or someone paying for them) gave; posted to the ledger and allocated to pledges."""

    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_payment_amount_positive"),
        CheckConstraint("method IN ('bank', 'cash')", name="ck_payment_method"),
    )

    id: int = Field(default=None, primary_key=True)
    paid_on: date
    sponsor_id: int = Field(foreign_key="sponsor.id", index=True)
    pledge_id: int | None = Field(default=None, foreign_key="pledge.id")
    amount: int = Field(sa_type=BigInteger, description="whole đồng")
    method: str = Field(sa_type=String(8))
    bank_account_id: int | None = Field(default=None, foreign_key="bank_account.id")
    reference: str = Field(default="", sa_type=String(200))
    payer: str = Field(default="", sa_type=String(200), description="who paid, when not the sponsor (e.g. an employer)")
    transaction_id: int = Field(sa_type=BigInteger, foreign_key="ledger_transaction.id", unique=True)


class CategoryChange(SQLModel, table=True):
    """A child's categories from a day on: the dated facts eligibility is decided on.

    A child without rows has had the categories on its record all along; the first change also
    keeps what the record said before it (from 1900-01-01), so any past month can be re-derived.
    """

    __tablename__ = "child_category_change"
    __table_args__ = (Index("ix_child_category_change_child_from", "child_id", "from_date"),)

    id: int = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="child.id")
    from_date: date = Field(description="the first day the categories hold")
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recorded_by: str = Field(sa_type=String(100))


class Allocation(SQLModel, table=True):
    """The part of a payment that pays a pledge's month; arrears = scheduled − allocated.

    Append-only: when the payment is reversed, each of its rows gets a negative twin carrying the
    reversal's transaction, dated by the reversal, so the month is owed again from that day on.
    """

    __table_args__ = (
        CheckConstraint(
            "(amount > 0 AND reversal_transaction_id IS NULL) OR (amount < 0 AND reversal_transaction_id IS NOT NULL)",
            name="ck_allocation_amount_sign",
        ),
        Index("ix_allocation_pledge_month", "pledge_id", "month"),
    )

    id: int = Field(default=None, primary_key=True)
    payment_id: int = Field(foreign_key="payment.id", index=True)
    pledge_id: int = Field(foreign_key="pledge.id")
    month: date = Field(description="first day of the month paid for")
    amount: int = Field(sa_type=BigInteger, description="positive; negative on a reversal's row")
    effective_on: date = Field(description="the day it counts from: the payment's, or its reversal's")
    reversal_transaction_id: int | None = Field(
        default=None, sa_type=BigInteger, foreign_key="ledger_transaction.id", description="set on a reversal's row"
    )


class BudgetReceipt(SQLModel, table=True):
    """Money received for a program (e.g. the social allowance budget), credited to its fund."""

    __tablename__ = "budget_receipt"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_budget_receipt_amount_positive"),
        CheckConstraint("method IN ('bank', 'cash')", name="ck_budget_receipt_method"),
    )

    id: int = Field(default=None, primary_key=True)
    received_on: date
    branch_id: int = Field(foreign_key="branch.id")
    program: str = Field(sa_type=String(64))
    amount: int = Field(sa_type=BigInteger, description="whole đồng")
    method: str = Field(sa_type=String(8))
    bank_account_id: int | None = Field(default=None, foreign_key="bank_account.id")
    reference: str = Field(default="", sa_type=String(200))
    transaction_id: int = Field(sa_type=BigInteger, foreign_key="ledger_transaction.id", unique=True)


class PledgeChange(SQLModel, table=True):
    """One change to a pledge from a month on: kept for ever, never edited (the pledge's history)."""

    __tablename__ = "pledge_change"
    __table_args__ = (
        CheckConstraint("kind IN ('pause', 'amount', 'move', 'end')", name="ck_pledge_change_kind"),
        CheckConstraint("until_month IS NULL OR until_month >= from_month", name="ck_pledge_change_months_in_order"),
        Index("ix_pledge_change_child_id", "child_id"),  # a child's page finds the pledges moved to her
    )

    id: int = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True)
    kind: str = Field(sa_type=String(8))
    from_month: date = Field(description="first day of the first month the change applies to")
    until_month: date | None = Field(default=None, description="pause: first day of its last month")
    amount: int | None = Field(default=None, sa_type=BigInteger, description="amount: the new monthly amount")
    child_id: int | None = Field(default=None, foreign_key="child.id", description="move: the new child")
    reason: str = Field(default="", sa_type=String(500))
    recorded_by: str = Field(sa_type=String(100))


@event.listens_for(Child, "before_insert")
@event.listens_for(Child, "before_update")
def _child_found_as_named(_mapper: Mapper[Child], _connection: Connection, child: Child) -> None:
    child.search_text = child_search_text(child.code, child.full_name, child.guardian_phone)
    child.name_order = name_order(child.full_name)


@event.listens_for(Sponsor, "before_insert")
@event.listens_for(Sponsor, "before_update")
def _sponsor_found_as_named(_mapper: Mapper[Sponsor], _connection: Connection, sponsor: Sponsor) -> None:
    sponsor.search_text = sponsor_search_text(sponsor.code, sponsor.name, sponsor.phone, sponsor.email)
