"""Importing the register from spreadsheets: all or nothing, every bad row reported.

``import_file`` reads the whole file, checks every row against the file itself and the
database, and writes only when no row is bad; otherwise it raises ``ImportRejected`` with
every problem (row, column, reason in Vietnamese and English). Rows are keyed by ``code``
(enrolments by child, program and decision number): re-importing the same file changes
nothing; a changed row updates what may change and refuses what may not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.accounts import AccountKey, create_branch, get_account, open_account
from ledger.eligibility.parameters import load as load_parameters
from ledger.errors import LedgerError, NotFound
from ledger.ground.programs import age_on
from ledger.models import Branch, BranchLevel, LedgerTransaction
from ledger.money import parse_date
from ledger.months import today_in_vietnam
from ledger.posting import Entry, Leg, post
from ledger.register.categories import record_change
from ledger.register.import_rights import rows_outside
from ledger.register.models import BankAccount, BudgetReceipt, Child, Enrolment, Pledge, Sponsor
from ledger.register.payments import receiving_account, record_payment
from ledger.register.spreadsheets import Row, header_key, parse_amount, parse_month, read_rows

KINDS = ("branches", "bank-accounts", "sponsors", "children", "pledges", "enrolments", "payments", "budget")
CATEGORIES = (
    "abandoned",
    "orphan_both",
    "orphan_one_other_missing",
    "orphan_one_other_in_facility",
    "orphan_one_other_detained",
    "parents_missing_or_detained",
    "orphan_one_other_on_assistance",
    "orphan_one",
    "special_hardship",
)
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    en: str
    vi: str

    def text(self, lang: str = "en") -> str:
        return (
            f"row {self.row}, {self.column}: {self.en}"
            if lang == "en"
            else f"dòng {self.row}, cột {self.column}: {self.vi}"
        )


class ImportRejected(LedgerError):
    def __init__(self, kind: str, errors: list[RowError]) -> None:
        self.kind, self.errors = kind, errors
        super().__init__(f"{kind}: {len(errors)} problem(s), nothing imported; first: {errors[0].text()}")


@dataclass(slots=True)
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()


MONEY_IN = (  # how money came in: payments and budget receipts alike
    Column("amount", True, ("số tiền",)),
    Column("method", True, ("hình thức",)),
    Column("bank_account", False, ("tài khoản",)),
    Column("reference", False, ("nội dung", "mã tham chiếu")),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "branches": (
        Column("code", True, ("mã", "ma chi hoi")),
        Column("name", True, ("tên",)),
        Column("parent", False, ("cấp trên", "đơn vị cấp trên")),
        Column("level", True, ("cấp",)),
        Column("province", False, ("tỉnh", "tỉnh/thành")),
    ),
    "bank-accounts": (
        Column("code", True, ("mã",)),
        Column("branch", True, ("chi hội", "đơn vị")),
        Column("bank_bin", True, ("mã ngân hàng", "bin")),
        Column("account_number", True, ("số tài khoản",)),
        Column("account_name", True, ("tên tài khoản", "chủ tài khoản")),
    ),
    "sponsors": (
        Column("code", True, ("mã",)),
        Column("name", True, ("tên", "họ và tên")),
        Column("kind", True, ("loại",)),
        Column("phone", False, ("điện thoại", "số điện thoại")),
        Column("email", False, ()),
        Column("language", False, ("ngôn ngữ",)),
        Column("branch", True, ("chi hội", "đơn vị")),
    ),
    "children": (
        Column("code", True, ("mã", "mã trẻ")),
        Column("full_name", True, ("họ và tên", "họ tên")),
        Column("date_of_birth", True, ("ngày sinh",)),
        Column("gender", True, ("giới tính",)),
        Column("branch", True, ("chi hội", "đơn vị")),
        Column("categories", False, ("diện", "đối tượng")),
        Column("categories_from", False, ("diện từ ngày", "đối tượng từ ngày")),
        Column("in_school_until", False, ("đi học đến",)),
        Column("health_card_valid_until", False, ("hạn thẻ BHYT", "hạn thẻ bảo hiểm y tế")),
        Column("guardian_name", True, ("người giám hộ", "họ tên người giám hộ")),
        Column("guardian_relation", False, ("quan hệ",)),
        Column("guardian_phone", False, ("điện thoại người giám hộ",)),
        Column("guardian_id_number", False, ("số cccd", "cccd người giám hộ")),
        Column("guardian_bank", False, ("tài khoản người giám hộ",)),
        Column("consent_guardian_on", True, ("ngày đồng ý của người giám hộ",)),
        Column("consent_child_on", False, ("ngày đồng ý của trẻ",)),
    ),
    "pledges": (
        Column("code", True, ("mã", "mã cam kết")),
        Column("sponsor", True, ("nhà tài trợ", "mẹ đỡ đầu")),
        Column("child", True, ("trẻ", "mã trẻ")),
        Column("monthly_amount", True, ("số tiền hàng tháng", "số tiền")),
        Column("start_month", True, ("từ tháng",)),
        Column("end_month", False, ("đến tháng",)),
        Column("frequency", False, ("kỳ đóng", "tần suất")),
    ),
    "payments": (
        Column("date", True, ("ngày",)),
        Column("sponsor", True, ("nhà tài trợ", "người nộp")),
        Column("pledge", False, ("cam kết",)),
        *MONEY_IN,
        Column("payer", False, ("người nộp thay", "đơn vị nộp thay")),
    ),
    "budget": (
        Column("date", True, ("ngày",)),
        Column("branch", True, ("chi hội", "đơn vị")),
        Column("program", True, ("chương trình",)),
        *MONEY_IN,
    ),
    "enrolments": (
        Column("child", True, ("trẻ", "mã trẻ")),
        Column("program", True, ("chương trình",)),
        Column("decision_number", True, ("số quyết định",)),
        Column("decision_date", True, ("ngày quyết định",)),
        Column("end_date", False, ("ngày kết thúc",)),
    ),
}

ENUMS = {
    "level": {
        "province": "province",
        "commune": "commune",
        "group": "group",
        "tinh": "province",
        "xa": "commune",
        "phuong": "commune",
        "chi hoi": "group",
    },
    "kind": {
        "individual": "individual",
        "organisation": "organisation",
        "organization": "organisation",
        "ca nhan": "individual",
        "to chuc": "organisation",
    },
    "gender": {"f": "F", "m": "M", "nu": "F", "nam": "M"},
    "language": {"vi": "vi", "en": "en", "": "vi"},
    "frequency": {
        "monthly": "monthly",
        "quarterly": "quarterly",
        "yearly": "yearly",
        "": "monthly",
        "hang thang": "monthly",
        "hang quy": "quarterly",
        "hang nam": "yearly",
    },
    "program": {"social-allowance": "social-allowance", "godmother": "godmother"},
    "method": {"bank": "bank", "cash": "cash", "chuyen khoan": "bank", "ngan hang": "bank", "tien mat": "cash"},
}


@dataclass
class _Checker:
    """Collects every problem of every row instead of stopping at the first."""

    errors: list[RowError] = field(default_factory=list)

    def bad(self, row: Row, column: str, en: str, vi: str) -> None:
        self.errors.append(RowError(row.number, column, en, vi))

    def value(self, row: Row, column: str, parse: Callable[[str], Any], required: bool = False) -> Any:
        text = row.cells.get(column, "")
        if not text:
            if required:
                self.bad(row, column, "is required", "bắt buộc phải có")
            return None
        try:
            return parse(text)
        except ValueError as exc:
            self.bad(row, column, str(exc), f"giá trị {text!r} không hợp lệ")
            return None

    def known(self, row: Row, column: str, known: Container[str], what_en: str, what_vi: str) -> bool:
        """A required reference to something that must exist (a branch, sponsor, child, …)."""
        text = row.cells.get(column, "")
        if text in known:
            return True
        if text:
            self.bad(row, column, f"unknown {what_en} {text!r}", f"không có {what_vi} {text!r}")
        else:
            self.bad(row, column, "is required", "bắt buộc phải có")
        return False

    def enum(self, row: Row, column: str, required: bool = False) -> str | None:
        choices = {header_key(key): value for key, value in ENUMS[column].items()}
        text = row.cells.get(column, "")
        if not text and not required and "" in choices:
            return choices[""]
        found = choices.get(header_key(text)) if text else None
        if found is None:
            if not text and not required:
                return None
            allowed = ", ".join(sorted({v for v in choices.values()}))
            self.bad(
                row,
                column,
                f"{text!r} is not one of {allowed}" if text else "is required",
                f"{text!r} không thuộc {allowed}" if text else "bắt buộc phải có",
            )
        return found

    def code(self, row: Row, column: str = "code") -> str | None:
        text = row.cells.get(column, "")
        if not text:
            self.bad(row, column, "is required", "bắt buộc phải có")
            return None
        if not CODE.match(text):
            self.bad(
                row,
                column,
                f"{text!r} is not a code (letters, digits, '.', '_', '-')",
                f"{text!r} không phải là mã hợp lệ",
            )
            return None
        return text


def import_file(session: Session, kind: str, path: Path, *, actor: Actor, today: date | None = None) -> ImportReport:
    """Import ``path`` as ``kind`` in the caller's transaction; ``ImportRejected`` if any row is bad.

    Every row is checked against the actor's rights first: a row naming anything outside the
    branches they may change is refused by row and column, and nothing is written.
    """
    if kind not in KINDS:
        raise LedgerError(f"cannot import {kind!r}: choose one of {', '.join(KINDS)}")
    actor.require_writer()
    columns = COLUMNS[kind]
    header, rows = read_rows(Path(path), {c.name: c.aliases for c in columns})
    refused = rows_outside(session, actor, kind, rows)
    if refused:
        raise ImportRejected(kind, [_outside_error(number, column, code) for number, column, code in refused])
    check = _Checker()
    missing = [c.name for c in columns if c.required and c.name not in header]
    if missing:
        raise ImportRejected(
            kind,
            [
                RowError(1, name, "this column is missing from the header", "thiếu cột này ở dòng tiêu đề")
                for name in missing
            ],
        )
    unknown = [name[1:] for name in header if name.startswith("?")]
    if unknown:
        raise ImportRejected(
            kind,
            [
                RowError(
                    1, name, f"unknown column (expected: {', '.join(c.name for c in columns)})", "cột không được hỗ trợ"
                )
                for name in unknown
            ],
        )
    report = ImportReport(kind, rows=len(rows))
    writer = _WRITERS[kind]
    plans = writer(session, rows, check, today or today_in_vietnam(), actor)
    if check.errors:
        raise ImportRejected(kind, check.errors)
    for row_number, apply in plans:
        try:
            outcome = apply()
        except ImportRejected:
            raise
        except LedgerError as refused:  # the ledger refused what the row asks (a closed month, …)
            raise ImportRejected(kind, [RowError(row_number, "", str(refused), str(refused))]) from None
        setattr(report, outcome, getattr(report, outcome) + 1)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="import",
        subject=f"import:{kind}",
        branch_id=actor.home_branch_id,
        detail={"file": Path(path).name, "rows": report.rows, "created": report.created, "updated": report.updated},
    )
    return report


def _outside_error(number: int, column: str, code: str) -> RowError:
    if not code:
        return RowError(number, column, "only an administrator adds a province", "chỉ quản trị viên được thêm tỉnh")
    return RowError(
        number,
        column,
        f"{code!r} is outside the branches you may change",
        f"{code!r} không thuộc các chi hội bạn được quản lý",
    )


Plan = tuple[int, Callable[[], str]]  # a row number, and what applies it: "created", "updated" or "unchanged"


def _duplicates(rows: list[Row], check: _Checker, key: Callable[[Row], Any], column: str = "code") -> None:
    seen: dict[Any, int] = {}
    for row in rows:
        k = key(row)
        if not k or (isinstance(k, tuple) and not all(k)):
            continue
        if k in seen:
            check.bad(row, column, f"duplicate of row {seen[k]}", f"trùng với dòng {seen[k]}")
        else:
            seen[k] = row.number


def _branches_by_code(session: Session) -> dict[str, Branch]:
    return {b.code: b for b in session.scalars(select(Branch))}


def _update(record: Any, values: dict[str, Any], session: Session) -> str:
    changed = {k: v for k, v in values.items() if getattr(record, k) != v}
    if not changed:
        return "unchanged"
    for k, v in changed.items():
        setattr(record, k, v)
    session.add(record)
    return "updated"


def _branches(session: Session, rows: list[Row], check: _Checker, today: date, actor: Actor) -> list[Plan]:
    _duplicates(rows, check, lambda r: r.cells.get("code"))
    existing = _branches_by_code(session)
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
            return _update(branch, {"name": name, "province": province or branch.province}, session)

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
    """The accounts every branch has (accounting.md)."""
    for code, name, may_go_negative in STANDARD_ACCOUNTS:
        open_account(session, branch=branch, code=code, name=name, opened_on=opened_on, may_go_negative=may_go_negative)


def _bank_accounts(session: Session, rows: list[Row], check: _Checker, today: date, actor: Actor) -> list[Plan]:
    _duplicates(rows, check, lambda r: r.cells.get("code"))
    branches = _branches_by_code(session)
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
            return _update(record, {"bank_bin": bank_bin, "account_number": number, "account_name": name}, session)

        plans.append((row.number, apply))
    return plans


def _sponsors(session: Session, rows: list[Row], check: _Checker, today: date, actor: Actor) -> list[Plan]:
    _duplicates(rows, check, lambda r: r.cells.get("code"))
    branches = _branches_by_code(session)
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
            return _update(record, values, session)

        plans.append((row.number, apply))
    return plans


def _children(session: Session, rows: list[Row], check: _Checker, today: date, actor: Actor) -> list[Plan]:
    _duplicates(rows, check, lambda r: r.cells.get("code"))
    branches = _branches_by_code(session)
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
        categories = [c.strip() for c in row.cells.get("categories", "").split(";") if c.strip()]
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
            record = session.scalar(select(Child).where(col(Child.code) == code))
            if record is None:
                opened = values["date_of_birth"]
                fund = open_account(
                    session,
                    branch=branch,
                    code=f"liabilities:fund:child:{code}",
                    name=f"Quỹ của trẻ {code}",
                    opened_on=opened,
                )
                payable = open_account(
                    session,
                    branch=branch,
                    code=f"liabilities:payable:guardian:{code}",
                    name=f"Phải trả người giám hộ của trẻ {code}",
                    opened_on=opened,
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
            outcome = _update(record, {k: v for k, v in values.items() if k != "categories"}, session)
            return "updated" if changed else outcome

        plans.append((row.number, apply))
    return plans


def _pledges(session: Session, rows: list[Row], check: _Checker, today: date, actor: Actor) -> list[Plan]:
    _duplicates(rows, check, lambda r: r.cells.get("code"))
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


def _enrolments(session: Session, rows: list[Row], check: _Checker, today: date, actor: Actor) -> list[Plan]:
    _duplicates(
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
            return _update(record, {"decision_date": signed, "end_date": ends}, session)

        plans.append((row.number, apply))
    return plans


def _money_source(
    session: Session, row: Row, check: _Checker, method: str | None, bank_accounts: dict[str, BankAccount]
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


def _payments(session: Session, rows: list[Row], check: _Checker, today: date, actor: Actor) -> list[Plan]:
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


def _budget(session: Session, rows: list[Row], check: _Checker, today: date, actor: Actor) -> list[Plan]:
    branches = _branches_by_code(session)
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


_WRITERS: dict[str, Callable[[Session, list[Row], _Checker, date, Actor], list[Plan]]] = {
    "branches": _branches,
    "bank-accounts": _bank_accounts,
    "sponsors": _sponsors,
    "children": _children,
    "pledges": _pledges,
    "enrolments": _enrolments,
    "payments": _payments,
    "budget": _budget,
}

__all__ = ["KINDS", "ImportRejected", "ImportReport", "RowError", "import_file", "open_standard_accounts"]
