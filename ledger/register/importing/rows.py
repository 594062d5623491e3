"""What an import checks each row with: the columns of every kind, the words a cell may hold,
and a checker that collects every problem of every row instead of stopping at the first."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from ledger.errors import LedgerError
from ledger.ground.messages import message
from ledger.ground.programs import CATEGORIES
from ledger.models import Branch
from ledger.register.spreadsheets import Row, header_key

KINDS = ("branches", "bank-accounts", "sponsors", "children", "pledges", "enrolments", "payments", "budget")
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
    outcomes: dict[int, str] = field(default_factory=dict)  # row number → created, updated or unchanged


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
        Column("email", False, ("thư điện tử",)),
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


def category_code(text: str) -> str | None:
    """A category as a treasurer writes it: its code, or its Vietnamese (or English) name in any case and
    with or without accents ("mồ côi cả cha và mẹ" → orphan_both); None when it is neither."""
    if text in CATEGORIES:
        return text
    return _CATEGORY_NAMES().get(header_key(text))


@functools.cache
def _CATEGORY_NAMES() -> dict[str, str]:  # noqa: N802  (a table, computed once)
    return {header_key(message(f"web:category.{code}", lang)): code for code in CATEGORIES for lang in ("vi", "en")}


@dataclass
class Checker:
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


Plan = tuple[int, Callable[[], str]]  # a row number, and what applies it: "created", "updated" or "unchanged"


def duplicates(rows: list[Row], check: Checker, key: Callable[[Row], Any], column: str = "code") -> None:
    seen: dict[Any, int] = {}
    for row in rows:
        k = key(row)
        if not k or (isinstance(k, tuple) and not all(k)):
            continue
        if k in seen:
            check.bad(row, column, f"duplicate of row {seen[k]}", f"trùng với dòng {seen[k]}")
        else:
            seen[k] = row.number


def branches_by_code(session: Session) -> dict[str, Branch]:
    return {b.code: b for b in session.scalars(select(Branch))}


def update_record(record: Any, values: dict[str, Any], session: Session) -> str:
    changed = {k: v for k, v in values.items() if getattr(record, k) != v}
    if not changed:
        return "unchanged"
    for k, v in changed.items():
        setattr(record, k, v)
    session.add(record)
    return "updated"
