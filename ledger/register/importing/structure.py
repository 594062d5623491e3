"""Importing the branch tree and the branches' bank accounts."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ledger.access.actor import Actor
from ledger.accounts import create_branch, open_account
from ledger.models import Branch, BranchLevel
from ledger.register.importing.rows import (
    Checker,
    Plan,
    branches_by_code,
    duplicates,
    update_record,
)
from ledger.register.models import BankAccount
from ledger.register.spreadsheets import Row


def plan_branches(session: Session, rows: list[Row], check: Checker, today: date, actor: Actor) -> list[Plan]:
    duplicates(rows, check, lambda r: r.cells.get("code"))
    existing = branches_by_code(session)
    in_file = {r.cells.get("code") for r in rows}
    parsed = []
    for row in rows:
        code = check.code(row)
        level = check.enum(row, "level", required=True)
        parent = row.cells.get("parent") or None
        if parent and parent not in existing and parent not in in_file:
            check.bad(row, "parent", f"unknown branch {parent!r}", f"không có chi hội {parent!r}")
        if parent is None and level and level != "province":
            check.bad(row, "parent", f"a {level} needs a parent branch", "cần có đơn vị cấp trên")
        if code and code in existing and existing[code].level != level and level:
            check.bad(row, "level", f"branch {code!r} is a {existing[code].level}", "không được đổi cấp")
        parsed.append((code, row.cells.get("name", ""), level, parent, row.cells.get("province") or None, row.number))
    by_code = {p[0]: p for p in parsed if p[0]}

    def depth(code: str, seen: tuple[str, ...] = ()) -> int:
        parent = by_code[code][3] if code in by_code else None
        if parent is None or parent not in by_code or parent in seen:
            return 0
        return 1 + depth(parent, (*seen, code))

    plans: list[Plan] = []
    for code, name, level, parent, province, number in sorted(parsed, key=lambda p: depth(p[0]) if p[0] else 0):

        def apply(
            code: Any = code, name: str = name, level: Any = level, parent: Any = parent, province: Any = province
        ) -> str:
            branch = session.scalar(select(Branch).where(col(Branch.code) == code))
            if branch is None:
                create_branch(session, code=code, name=name, level=BranchLevel(level), parent=parent, province=province)
                open_standard_accounts(session, code)
                return "created"
            return update_record(branch, {"name": name, "province": province or branch.province}, session)

        plans.append((number, apply))
    return plans


STANDARD_ACCOUNTS = (
    ("assets:cash", "Tiền mặt", None),
    ("liabilities:suspense", "Chờ xác định", True),
    ("liabilities:fund:program:social-allowance", "Quỹ trợ cấp xã hội", None),
    ("income:donations:general", "Tài trợ chung", None),
    ("expenses:bank-fees", "Phí ngân hàng", None),
    ("equity:opening-balances", "Số dư đầu kỳ", None),
)


def open_standard_accounts(session: Session, branch: str, opened_on: date = date(2020, 1, 1)) -> None:
    """The accounts every branch has (docs/accounting.md)."""
    for code, name, may_go_negative in STANDARD_ACCOUNTS:
        open_account(session, branch=branch, code=code, name=name, opened_on=opened_on, may_go_negative=may_go_negative)


def plan_bank_accounts(session: Session, rows: list[Row], check: Checker, today: date, actor: Actor) -> list[Plan]:
    duplicates(rows, check, lambda r: r.cells.get("code"))
    branches = branches_by_code(session)
    existing = {a.code: a for a in session.scalars(select(BankAccount))}
    plans: list[Plan] = []
    for row in rows:
        code = check.code(row)
        branch = row.cells.get("branch", "")
        check.known(row, "branch", branches, "branch", "chi hội")
        bank_bin = row.cells.get("bank_bin", "")
        if not re.fullmatch(r"\d{6}", bank_bin):
            check.bad(
                row, "bank_bin", f"{bank_bin!r} is not a 6-digit bank BIN (e.g. 970436)", "mã BIN phải có 6 chữ số"
            )
        number = re.sub(r"[\s.-]", "", row.cells.get("account_number", ""))
        if not re.fullmatch(r"[0-9A-Za-z]{1,19}", number):
            check.bad(
                row, "account_number", "an account number has 1 to 19 letters or digits", "số tài khoản không hợp lệ"
            )
        name = row.cells.get("account_name", "")
        if not name:
            check.bad(row, "account_name", "is required", "bắt buộc phải có")
        if code in existing and branch in branches and existing[code].branch_id != branches[branch].id:
            check.bad(row, "branch", "a bank account cannot move to another branch", "không được chuyển chi hội")

        def apply(
            code: Any = code, branch: str = branch, bank_bin: str = bank_bin, number: str = number, name: str = name
        ) -> str:
            record = session.scalar(select(BankAccount).where(col(BankAccount.code) == code))
            if record is None:
                account = open_account(session, branch=branch, code=f"assets:bank:{code}", name=name, opened_on=today)
                session.add(
                    BankAccount(
                        code=code,
                        branch_id=account.branch_id,
                        bank_bin=bank_bin,
                        account_number=number,
                        account_name=name,
                        account_id=account.id,
                    )
                )
                return "created"
            return update_record(
                record, {"bank_bin": bank_bin, "account_number": number, "account_name": name}, session
            )

        plans.append((row.number, apply))
    return plans
