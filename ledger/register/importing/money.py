"""Importing money that came in: sponsors' payments and budget receipts."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ledger.access.actor import Actor
from ledger.accounts import AccountKey, get_account, open_account
from ledger.errors import NotFound
from ledger.models import LedgerTransaction
from ledger.money import parse_date
from ledger.posting import Entry, Leg, post
from ledger.register.importing.rows import (
    COLUMNS,
    Checker,
    Plan,
    branches_by_code,
)
from ledger.register.models import BankAccount, BudgetReceipt, Pledge, Sponsor
from ledger.register.payments import receiving_account, record_payment
from ledger.register.spreadsheets import Row, parse_amount


def _money_source(
    session: Session, row: Row, check: Checker, method: str | None, bank_accounts: dict[str, BankAccount]
) -> BankAccount | None:
    code = row.cells.get("bank_account", "")
    if method == "bank":
        if code not in bank_accounts:
            check.bad(
                row,
                "bank_account",
                f"unknown bank account {code!r}" if code else "is required for a bank payment",
                f"không có tài khoản {code!r}" if code else "bắt buộc với chuyển khoản",
            )
            return None
        return bank_accounts[code]
    if code:
        check.bad(
            row, "bank_account", "a cash payment has no bank account", "thu tiền mặt không có tài khoản ngân hàng"
        )
    return None


def _already_imported(session: Session, key: str) -> bool:
    """Whether the row with this idempotency key was posted by an earlier import."""
    return session.scalar(select(LedgerTransaction.id).where(col(LedgerTransaction.idempotency_key) == key)) is not None


def _idempotency_key(kind: str, row: Row, columns: tuple[str, ...]) -> str:
    from ledger.chain import canonical_json

    content = canonical_json([kind, *(row.cells.get(c, "") for c in columns)])
    return f"import:{kind}:" + hashlib.sha256(content.encode()).hexdigest()[:40]


def plan_payments(session: Session, rows: list[Row], check: Checker, today: date, actor: Actor) -> list[Plan]:
    sponsors = {s.code: s for s in session.scalars(select(Sponsor))}
    pledges = {p.code: p for p in session.scalars(select(Pledge))}
    bank_accounts = {a.code: a for a in session.scalars(select(BankAccount))}
    plans: list[Plan] = []
    first_row: dict[str, int] = {}
    for row in rows:
        # The key covers the columns a payment had before ``payer`` existed, and the payer only when
        # given: files imported before re-import unchanged.
        columns = tuple(c.name for c in COLUMNS["payments"] if c.name != "payer")
        key = _idempotency_key("payments", row, columns + (("payer",) if row.cells.get("payer") else ()))
        if key in first_row:
            check.bad(row, "reference", f"the same payment as row {first_row[key]}", f"trùng với dòng {first_row[key]}")
        first_row.setdefault(key, row.number)
        paid_on = check.value(row, "date", parse_date, required=True)
        sponsor = row.cells.get("sponsor", "")
        check.known(row, "sponsor", sponsors, "sponsor", "nhà tài trợ")
        pledge_code = row.cells.get("pledge", "")
        if pledge_code:
            check.known(row, "pledge", pledges, "pledge", "cam kết")
        amount = check.value(row, "amount", parse_amount, required=True)
        if amount == 0:
            check.bad(row, "amount", "a payment of zero", "số tiền bằng 0")
        method = check.enum(row, "method", required=True)
        source = _money_source(session, row, check, method, bank_accounts)

        def apply(
            row: Row = row,
            key: str = key,
            paid_on: Any = paid_on,
            sponsor: str = sponsor,
            pledge_code: str = pledge_code,
            amount: Any = amount,
            method: Any = method,
            source: BankAccount | None = source,
        ) -> str:
            if _already_imported(session, key):
                return "unchanged"
            record_payment(
                session,
                sponsor=sponsor,
                amount=amount,
                paid_on=paid_on,
                method=method,
                bank_account=source.code if source else None,
                pledge=pledge_code or None,
                reference=row.cells.get("reference", ""),
                payer=row.cells.get("payer", ""),
                actor=actor,
                idempotency_key=key,
            )
            return "created"

        plans.append((row.number, apply))
    return plans


def plan_budget(session: Session, rows: list[Row], check: Checker, today: date, actor: Actor) -> list[Plan]:
    branches = branches_by_code(session)
    bank_accounts = {a.code: a for a in session.scalars(select(BankAccount))}
    plans: list[Plan] = []
    for row in rows:
        key = _idempotency_key("budget", row, tuple(c.name for c in COLUMNS["budget"]))
        received = check.value(row, "date", parse_date, required=True)
        branch = row.cells.get("branch", "")
        check.known(row, "branch", branches, "branch", "chi hội")
        program = check.enum(row, "program", required=True)
        amount = check.value(row, "amount", parse_amount, required=True)
        method = check.enum(row, "method", required=True)
        source = _money_source(session, row, check, method, bank_accounts)

        def apply(
            row: Row = row,
            key: str = key,
            received: Any = received,
            branch: str = branch,
            program: Any = program,
            amount: Any = amount,
            method: Any = method,
            source: BankAccount | None = source,
        ) -> str:
            if _already_imported(session, key):
                return "unchanged"
            fund = AccountKey(branch, f"liabilities:fund:program:{program}")
            try:
                get_account(session, fund)
            except NotFound:
                open_account(
                    session, branch=branch, code=fund.code, name=f"Quỹ chương trình {program}", opened_on=received
                )
            debit = receiving_account(session, source, branch)
            posted = post(
                session,
                Entry(
                    effective_date=received,
                    description=f"Nhận kinh phí {program} {row.cells.get('reference', '')}".strip(),
                    legs=(Leg(debit, amount), Leg(fund, -amount)),
                    posted_by=actor.user,
                    idempotency_key=key,
                    kind="budget",
                    metadata={"program": program, "reference": row.cells.get("reference", "")},
                ),
            )
            session.add(
                BudgetReceipt(
                    received_on=received,
                    branch_id=branches[branch].id,
                    program=program,
                    amount=amount,
                    method=method,
                    bank_account_id=source.id if source else None,
                    reference=row.cells.get("reference", ""),
                    transaction_id=posted.id,
                )
            )
            session.flush()
            return "created"

        plans.append((row.number, apply))
    return plans
