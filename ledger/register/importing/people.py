"""Importing sponsors, children, pledges and enrolments."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ledger.access.actor import Actor
from ledger.accounts import open_accounts
from ledger.eligibility.parameters import load as load_parameters
from ledger.ground.programs import CATEGORIES, age_on
from ledger.money import parse_date
from ledger.register.categories import record_change
from ledger.register.importing.rows import (
    Checker,
    Plan,
    branches_by_code,
    category_code,
    duplicates,
    update_record,
)
from ledger.register.models import Child, Enrolment, Pledge, Sponsor
from ledger.register.spreadsheets import Row, parse_amount, parse_month


def plan_sponsors(session: Session, rows: list[Row], check: Checker, today: date, actor: Actor) -> list[Plan]:
    duplicates(rows, check, lambda r: r.cells.get("code"))
    branches = branches_by_code(session)
    plans: list[Plan] = []
    for row in rows:
        code = check.code(row)
        name = row.cells.get("name", "")
        if not name:
            check.bad(row, "name", "is required", "bắt buộc phải có")
        kind = check.enum(row, "kind", required=True)
        language = check.enum(row, "language")
        email = row.cells.get("email", "")
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            check.bad(row, "email", f"{email!r} is not an e-mail address", "địa chỉ e-mail không hợp lệ")
        branch = row.cells.get("branch", "")
        check.known(row, "branch", branches, "branch", "chi hội")
        values = {
            "name": name,
            "kind": kind,
            "phone": row.cells.get("phone", ""),
            "email": email,
            "language": language,
            "branch_id": branches[branch].id if branch in branches else None,
        }

        def apply(code: Any = code, values: dict[str, Any] = values) -> str:
            record = session.scalar(select(Sponsor).where(col(Sponsor.code) == code))
            if record is None:
                session.add(Sponsor(code=code, **values))
                return "created"
            return update_record(record, values, session)

        plans.append((row.number, apply))
    return plans


def plan_children(session: Session, rows: list[Row], check: Checker, today: date, actor: Actor) -> list[Plan]:
    duplicates(rows, check, lambda r: r.cells.get("code"))
    branches = branches_by_code(session)
    existing = {c.code: c for c in session.scalars(select(Child))}
    plans: list[Plan] = []
    for row in rows:
        code = check.code(row)
        born = check.value(row, "date_of_birth", parse_date, required=True)
        if born and born > today:
            check.bad(row, "date_of_birth", "is in the future", "ngày sinh ở tương lai")
        gender = check.enum(row, "gender", required=True)
        branch = row.cells.get("branch", "")
        check.known(row, "branch", branches, "branch", "chi hội")
        written = [c.strip() for c in row.cells.get("categories", "").split(";") if c.strip()]
        categories = [category_code(c) or c for c in written]
        for category in categories:
            if category not in CATEGORIES:
                check.bad(
                    row,
                    "categories",
                    f"unknown category {category!r} (known: {', '.join(CATEGORIES)})",
                    f"diện {category!r} không có trong danh mục",
                )
        consent_guardian = check.value(row, "consent_guardian_on", parse_date, required=True)
        consent_child = check.value(row, "consent_child_on", parse_date)
        if born and consent_child is None and age_on(born, today) >= 7 and not row.cells.get("consent_child_on"):
            check.bad(
                row,
                "consent_child_on",
                "the child is 7 or older: the child's own consent is required",
                "trẻ từ 7 tuổi trở lên: cần có sự đồng ý của trẻ",
            )
        guardian_bank = row.cells.get("guardian_bank", "")
        if guardian_bank and not re.fullmatch(r"\d{6}:[0-9A-Za-z]{1,19}", guardian_bank):
            check.bad(
                row,
                "guardian_bank",
                "write the bank as BIN:account, e.g. 970436:0011001932418",
                "ghi theo dạng BIN:số tài khoản",
            )
        if not row.cells.get("guardian_name"):
            check.bad(row, "guardian_name", "is required", "bắt buộc phải có")
        if code in existing and branch in branches and existing[code].branch_id != branches[branch].id:
            check.bad(
                row,
                "branch",
                "moving a child to another branch is not an import: it moves money",
                "chuyển trẻ sang chi hội khác không thực hiện bằng nhập file",
            )
        values = {
            "full_name": row.cells.get("full_name", ""),
            "date_of_birth": born,
            "gender": gender,
            "categories": categories,
            "in_school_until": check.value(row, "in_school_until", parse_date),
            "guardian_name": row.cells.get("guardian_name", ""),
            "guardian_relation": row.cells.get("guardian_relation", ""),
            "guardian_phone": row.cells.get("guardian_phone", ""),
            "guardian_id_number": row.cells.get("guardian_id_number", ""),
            "guardian_bank": guardian_bank,
            "consent_guardian_on": consent_guardian,
            "consent_child_on": consent_child,
        }
        categories_from = check.value(row, "categories_from", parse_date) or today
        if categories_from > today:
            check.bad(row, "categories_from", "a change takes effect at the latest today", "không được sau hôm nay")
        if "health_card_valid_until" in row.cells:  # a file without the column leaves the card as it is
            values["health_card_valid_until"] = check.value(row, "health_card_valid_until", parse_date)
        if not values["full_name"]:
            check.bad(row, "full_name", "is required", "bắt buộc phải có")

        def apply(code: Any = code, branch: str = branch, values: dict[str, Any] = values,
                  since: date = categories_from) -> str:  # fmt: skip
            record = existing.get(code)  # codes are unique in a file: no earlier row made this one
            if record is None:
                fund, payable = open_accounts(
                    session,
                    branch=branch,
                    accounts=[
                        (f"liabilities:fund:child:{code}", f"Quỹ của trẻ {code}"),
                        (f"liabilities:payable:guardian:{code}", f"Phải trả người giám hộ của trẻ {code}"),
                    ],
                    opened_on=values["date_of_birth"],
                )
                session.add(
                    Child(
                        code=code,
                        branch_id=fund.branch_id,
                        fund_account_id=fund.id,
                        payable_account_id=payable.id,
                        **values,
                    )
                )
                return "created"
            # Categories are dated facts: a change is kept with the day it holds from (today by default).
            changed = record_change(session, record, values["categories"], from_date=since, by=actor.user, today=today)
            outcome = update_record(record, {k: v for k, v in values.items() if k != "categories"}, session)
            return "updated" if changed else outcome

        plans.append((row.number, apply))
    return plans


def plan_pledges(session: Session, rows: list[Row], check: Checker, today: date, actor: Actor) -> list[Plan]:
    duplicates(rows, check, lambda r: r.cells.get("code"))
    sponsors = {s.code: s for s in session.scalars(select(Sponsor))}
    children = {c.code: c for c in session.scalars(select(Child))}
    existing = {p.code: p for p in session.scalars(select(Pledge))}
    limits = load_parameters()
    plans: list[Plan] = []
    for row in rows:
        code = check.code(row)
        sponsor, child = row.cells.get("sponsor", ""), row.cells.get("child", "")
        check.known(row, "sponsor", sponsors, "sponsor", "nhà tài trợ")
        check.known(row, "child", children, "child", "trẻ")
        amount = check.value(row, "monthly_amount", parse_amount, required=True)
        if amount is not None and not limits.godmother_min_amount <= amount <= limits.godmother_max_amount:
            check.bad(
                row,
                "monthly_amount",
                f"{amount:,} ₫ is outside {limits.godmother_min_amount:,}–{limits.godmother_max_amount:,} ₫",
                "số tiền nằm ngoài mức cho phép",
            )
        start = check.value(row, "start_month", parse_month, required=True)
        end = check.value(row, "end_month", parse_month)
        if start and end and end < start:
            check.bad(row, "end_month", "ends before it starts", "tháng kết thúc trước tháng bắt đầu")
        frequency = check.enum(row, "frequency")
        values = {
            "sponsor_id": sponsors[sponsor].id if sponsor in sponsors else None,
            "child_id": children[child].id if child in children else None,
            "monthly_amount": amount,
            "start_month": start.first_day if start else None,
            "end_month": end.first_day if end else None,
            "frequency": frequency,
        }
        if code in existing and any(getattr(existing[code], k) != v for k, v in values.items()):
            check.bad(
                row,
                "code",
                "this pledge exists with other terms: change a pledge from a month on, never by re-import",
                "cam kết đã có với nội dung khác: không sửa cam kết bằng nhập file",
            )

        def apply(code: Any = code, values: dict[str, Any] = values) -> str:
            if session.scalar(select(Pledge.id).where(col(Pledge.code) == code)) is not None:
                return "unchanged"
            session.add(Pledge(code=code, **values))
            return "created"

        plans.append((row.number, apply))
    return plans


def plan_enrolments(session: Session, rows: list[Row], check: Checker, today: date, actor: Actor) -> list[Plan]:
    duplicates(
        rows,
        check,
        lambda r: (r.cells.get("child"), r.cells.get("program"), r.cells.get("decision_number")),
        "decision_number",
    )
    children = {c.code: c for c in session.scalars(select(Child))}
    plans: list[Plan] = []
    for row in rows:
        child = row.cells.get("child", "")
        check.known(row, "child", children, "child", "trẻ")
        program = check.enum(row, "program", required=True)
        number = row.cells.get("decision_number", "")
        if not number:
            check.bad(row, "decision_number", "is required", "bắt buộc phải có")
        signed = check.value(row, "decision_date", parse_date, required=True)
        ends = check.value(row, "end_date", parse_date)
        if signed and ends and ends < signed:
            check.bad(row, "end_date", "ends before the decision was signed", "ngày kết thúc trước ngày quyết định")
        child_id = children[child].id if child in children else None

        def apply(
            child_id: Any = child_id,
            program: Any = program,
            number: str = number,
            signed: Any = signed,
            ends: Any = ends,
        ) -> str:
            record = session.scalar(
                select(Enrolment).where(
                    col(Enrolment.child_id) == child_id,
                    col(Enrolment.program) == program,
                    col(Enrolment.decision_number) == number,
                )
            )
            if record is None:
                session.add(
                    Enrolment(
                        child_id=child_id, program=program, decision_number=number, decision_date=signed, end_date=ends
                    )
                )
                return "created"
            return update_record(record, {"decision_date": signed, "end_date": ends}, session)

        plans.append((row.number, apply))
    return plans
