"""Reading the banks' statement exports: Vietcombank, BIDV, Techcombank, Agribank and VietinBank
(CSV or XLSX), any other table with a column mapping, and ISO 20022 camt.053 XML.

Every reader gives the same thing: the lines (credit positive, debit negative, whole đồng) and,
where the file states them, the opening and closing balances. Formats are told apart by their
headers; headers are compared as banks write them (accents stripped, any case). Amounts come
grouped with commas or dots ("2,308,471", "2.308.471") and sometimes with ",00" decimals; a
fraction of a đồng is refused, VND has none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from ledger.errors import InvalidEntry
from ledger.references import as_banks_write
from ledger.register.spreadsheets import UnreadableFile, csv_table

FORMATS = ("vietcombank", "bidv", "techcombank", "agribank", "vietinbank", "csv", "camt053")
ALIASES = {"vcb": "vietcombank", "tcb": "techcombank", "agr": "agribank", "vba": "agribank", "ctg": "vietinbank",
           "vtb": "vietinbank", "generic": "csv", "camt.053": "camt053", "camt": "camt053",
           "xml": "camt053"}  # fmt: skip


class UnreadableStatement(InvalidEntry):
    """The file is not a statement we can read; the message says what to do."""


class StatementNotRecognised(UnreadableStatement):
    """A table, but of no bank we know: its columns must be named (a mapping, remembered per account)."""

    def __init__(self) -> None:
        super().__init__(
            "this does not look like a Vietcombank, BIDV, Techcombank, Agribank or VietinBank statement: "
            "name its columns (date, amount or debit and credit, description)"
        )


@dataclass(frozen=True, slots=True)
class ParsedLine:
    booked_on: date
    amount: int  # credit (money in) positive
    description: str
    bank_reference: str = ""
    counterparty: str = ""
    balance_after: int | None = None


@dataclass(slots=True)
class ParsedStatement:
    format: str
    lines: list[ParsedLine] = field(default_factory=list)
    opening: int | None = None
    closing: int | None = None
    account_number: str | None = None

    @property
    def first_day(self) -> date | None:
        return min((line.booked_on for line in self.lines), default=None)

    @property
    def last_day(self) -> date | None:
        return max((line.booked_on for line in self.lines), default=None)


# --- values --------------------------------------------------------------------------------

_GROUPED = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")


def parse_amount(value: object, where: str = "") -> int:
    """Whole đồng from a cell: 2,308,471 · 2.308.471 · 2308471 · 2,308,471.00 · 2308471.0 (a number)."""
    if isinstance(value, bool):
        raise UnreadableStatement(f"{where}: {value!r} is not an amount")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise UnreadableStatement(f"{where}: {value} has a fraction of a đồng")
        return int(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    text = re.sub(r"(VND|₫|đ)$", "", text, flags=re.IGNORECASE)
    sign = 1
    if text.startswith("(") and text.endswith(")"):
        sign, text = -1, text[1:-1]
    if text.startswith(("-", "+")):
        sign, text = (-1 if text[0] == "-" else 1), text[1:]
    decimals = re.match(r"^(.*\d)([.,])(\d{1,2})$", text)
    if decimals and not _GROUPED.match(text):
        if int(decimals[3]) != 0:
            raise UnreadableStatement(f"{where}: {value!r} has a fraction of a đồng")
        text = decimals[1]
    if _GROUPED.match(text):
        text = re.sub(r"[.,]", "", text)
    if not text.isdigit():
        raise UnreadableStatement(f"{where}: {value!r} is not an amount")
    return sign * int(text)


_DAY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


def parse_day(value: object, where: str = "") -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        if m := _DAY.match(text):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := _ISO.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        pass
    raise UnreadableStatement(f"{where}: {text!r} is not a date (DD/MM/YYYY)")


def _key(value: object) -> str:
    """A header as banks write it: no accents, lower case, single spaces."""
    return " ".join(as_banks_write(str(value or "")).lower().split())


def _blank(value: object) -> bool:
    return value is None or str(value).strip() == ""


# --- tables (CSV, XLSX) ----------------------------------------------------------------------


def read_table(path: Path) -> Sequence[Sequence[object]]:
    """Every row of a CSV or XLSX file, cells as the file holds them."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise UnreadableStatement(f"{path.name} is not a readable Excel file ({exc})") from None
        sheet = book.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableStatement(f"{path.name} is not UTF-8 text: export the statement as CSV (UTF-8) or XLSX")
    sample = text[:4096]
    delimiter = max((",", ";", "\t"), key=sample.count)
    try:
        return csv_table(text, delimiter, path.name)
    except UnreadableFile as exc:
        raise UnreadableStatement(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a bank puts things: header words for each role (any one of them names the column)."""

    format: str
    date: tuple[str, ...]
    description: tuple[str, ...]
    debit: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    amount: tuple[str, ...] = ()
    balance: tuple[str, ...] = ()
    reference: tuple[str, ...] = ()
    counterparty: tuple[str, ...] = ()


LAYOUTS = {
    "vietcombank": Layout(
        "vietcombank",
        date=("ngay giao dich", "transaction date", "ngay"),
        description=("mo ta", "description", "noi dung", "dien giai"),
        debit=("so tien ghi no", "ghi no", "debit"),
        credit=("so tien ghi co", "ghi co", "credit"),
        balance=("so du", "balance"),
        reference=("so tham chieu", "reference no", "so ct", "doc no"),
    ),
    "bidv": Layout(
        "bidv",
        date=("ngay hieu luc", "ngay giao dich"),
        description=("mo ta", "noi dung", "dien giai"),
        debit=("ghi no",),
        credit=("ghi co",),
        balance=("so du",),
        reference=("so but toan", "so tham chieu", "ma giao dich"),
    ),
    # Agribank's internet banking export: "SAO KÊ TÀI KHOẢN", a bilingual header row, debit
    # and credit from the account holder's side, the balance after each line.
    "agribank": Layout(
        "agribank",
        date=("ngay giao dich", "ngay gd", "ngay hach toan", "transaction date"),
        description=("noi dung giao dich", "noi dung", "dien giai", "description"),
        debit=("so tien ghi no", "phat sinh no", "ghi no", "rut ra", "debit"),
        credit=("so tien ghi co", "phat sinh co", "ghi co", "gui vao", "credit"),
        balance=("so du", "balance"),
        reference=("so but toan", "ma giao dich", "so chung tu", "so tham chieu", "reference"),
    ),
    # VietinBank's "LỊCH SỬ GIAO DỊCH - TRANSACTION HISTORY" (eFAST, iPay): columns headed
    # "Nợ / Debit", "Có / Credit", "Số dư TK / Account balance".
    "vietinbank": Layout(
        "vietinbank",
        date=("ngay hach toan", "ngay phat sinh", "accounting date", "transaction date", "ngay giao dich"),
        description=("mo ta giao dich", "transaction description", "noi dung"),
        debit=("no / debit", "no/debit", "no", "debit"),
        credit=("co / credit", "co/credit", "co", "credit"),
        balance=("so du tk", "so du", "account balance"),
        reference=("so giao dich", "transaction number", "so chung tu"),
    ),
    "techcombank": Layout(
        "techcombank",
        date=("date", "ngay"),
        description=("details", "dien giai"),
        debit=("debit", "no"),
        credit=("credit", "co"),
        balance=("balance", "so du"),
        reference=("transaction no", "so giao dich"),
        counterparty=("remitter",),
    ),
}
OPENING = ("so du dau ky", "opening balance", "so du dau")
CLOSING = ("so du cuoi ky", "closing balance", "so du cuoi")


def detect(rows: Sequence[Sequence[object]]) -> str:
    """Which bank wrote this table, from its title and headers."""
    text = " | ".join(_key(cell) for row in rows[:40] for cell in row if not _blank(cell))
    if "agribank" in text or "nong nghiep va phat trien nong thon" in text:
        return "agribank"
    if "vietinbank" in text or "tmcp cong thuong" in text or "lich su giao dich - transaction history" in text:
        return "vietinbank"
    if "bao cao chi tiet so du tai khoan" in text or "ngay hieu luc" in text:
        return "bidv"
    if "remitter" in text and "transaction no" in text:
        return "techcombank"
    if "sao ke tai khoan" in text or "statement of account" in text or "so tien ghi co" in text:
        return "vietcombank"
    raise StatementNotRecognised()


def _find_header(rows: Sequence[Sequence[object]], layout: Layout) -> tuple[int, dict[str, int]]:
    roles = {
        role: getattr(layout, role)
        for role in ("date", "description", "debit", "credit", "amount", "balance", "reference", "counterparty")
        if getattr(layout, role)
    }
    for number, row in enumerate(rows[:60]):
        cells = [_key(cell) for cell in row]
        found: dict[str, int] = {}
        for role, words in roles.items():
            for word in words:  # exact names first, then a header that starts with one
                column = next((i for i, c in enumerate(cells) if c == word and i not in found.values()), None)
                if column is None:
                    column = next(
                        (i for i, c in enumerate(cells) if c.startswith(word) and i not in found.values()), None
                    )
                if column is not None:
                    found[role] = column
                    break
        money = ("debit" in found and "credit" in found) or "amount" in found
        if "date" in found and "description" in found and money:
            return number, found
    wanted = ", ".join(words[0] for words in roles.values())
    raise UnreadableStatement(f"no header row with the columns of a {layout.format} statement ({wanted})")


def parse_table(rows: Sequence[Sequence[object]], layout: Layout) -> ParsedStatement:
    header, columns = _find_header(rows, layout)
    statement = ParsedStatement(layout.format)
    for row in rows[:header]:  # balances written above the table ("Số dư đầu kỳ: 12.345.000")
        _balance_row(row, statement, None)
    for number, row in enumerate(rows[header + 1 :], header + 2):
        if all(_blank(cell) for cell in row):
            continue

        def cell(role: str, row: Sequence[object] = row) -> object:
            return row[columns[role]] if role in columns and columns[role] < len(row) else None

        if _balance_row(row, statement, cell("balance")):
            continue
        if _blank(cell("date")):
            continue  # a sub-total or a footer line
        where = f"row {number}"
        day = parse_day(cell("date"), where)
        if "amount" in columns:
            amount = parse_amount(cell("amount"), where)
        else:
            debit = 0 if _blank(cell("debit")) else parse_amount(cell("debit"), where)
            credit = 0 if _blank(cell("credit")) else parse_amount(cell("credit"), where)
            amount = credit - abs(debit)
        if amount == 0:
            continue
        balance = None if _blank(cell("balance")) else parse_amount(cell("balance"), where)
        statement.lines.append(
            ParsedLine(
                day,
                amount,
                str(cell("description") or "").strip(),
                str(cell("reference") or "").strip(),
                str(cell("counterparty") or "").strip(),
                balance,
            )
        )
    return statement


def _balance_row(row: Sequence[object], statement: ParsedStatement, balance_cell: object) -> bool:
    """An opening or closing balance row: take its amount (the balance column, or the last number)."""
    text = " ".join(_key(cell) for cell in row if not _blank(cell))
    kind = "opening" if any(w in text for w in OPENING) else "closing" if any(w in text for w in CLOSING) else None
    if kind is None:
        return False
    value = None
    candidates = [balance_cell] if not _blank(balance_cell) else []
    candidates += [c for c in reversed(row) if not _blank(c)]
    for candidate in candidates:
        tail = str(candidate).rsplit(":", 1)[-1]
        try:
            value = parse_amount(candidate if isinstance(candidate, int | float) else tail)
            break
        except UnreadableStatement:
            continue
    if value is not None:
        setattr(statement, kind, value)
    return True


def mapped_layout(mapping: str) -> Layout:
    """``date=Ngày,amount=Số tiền,description=Nội dung`` (or debit=…,credit=… instead of amount)."""
    roles: dict[str, tuple[str, ...]] = {}
    for part in mapping.split(","):
        role, _, column = part.partition("=")
        role = role.strip().lower()
        if role not in ("date", "description", "debit", "credit", "amount", "balance", "reference", "counterparty"):
            raise InvalidEntry(
                "--map names date, amount (or debit and credit), description, balance, reference, counterparty;"
                f" not {role!r}"
            )
        if not column.strip():
            raise InvalidEntry(f"--map {role}= needs the column's header")
        roles[role] = (_key(column),)
    missing = [r for r in ("date", "description") if r not in roles]
    if "amount" not in roles and not ("debit" in roles and "credit" in roles):
        missing.append("amount (or debit and credit)")
    if missing:
        raise InvalidEntry(f"--map is missing {', '.join(missing)}")
    return Layout("csv", **roles)


# --- camt.053 ------------------------------------------------------------------------------


def parse_camt053(data: bytes) -> ParsedStatement:
    """ISO 20022 BkToCstmrStmt; DTDs and entities refused (defusedxml)."""
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise UnreadableStatement(f"not a safe, well-formed camt.053 XML file ({exc})") from None

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    def child(element: Element, *path: str) -> Element | None:
        found: Element | None = element
        for name in path:
            found = next((c for c in found if local(c.tag) == name), None) if found is not None else None
        return found

    def text(element: Element, *path: str) -> str:
        found = child(element, *path)
        return (found.text or "").strip() if found is not None else ""

    statement_element = next((e for e in root.iter() if local(e.tag) == "Stmt"), None)
    if statement_element is None:
        raise UnreadableStatement("no <Stmt> in this XML: it is not a camt.053 bank statement")
    statement = ParsedStatement("camt053")
    statement.account_number = text(statement_element, "Acct", "Id", "Othr", "Id") or None
    for balance in (c for c in statement_element if local(c.tag) == "Bal"):
        code = text(balance, "Tp", "CdOrPrtry", "Cd")
        amount = parse_amount(text(balance, "Amt"), f"balance {code}")
        if text(balance, "CdtDbtInd") == "DBIT":
            amount = -amount
        if code in ("OPBD", "PRCD"):
            statement.opening = amount
        elif code in ("CLBD",):
            statement.closing = amount
    for number, entry in enumerate((c for c in statement_element if local(c.tag) == "Ntry"), 1):
        where = f"entry {number}"
        amount = parse_amount(text(entry, "Amt"), where)
        if text(entry, "CdtDbtInd") == "DBIT":
            amount = -amount
        day = parse_day(
            text(entry, "BookgDt", "Dt") or text(entry, "BookgDt", "DtTm") or text(entry, "ValDt", "Dt"), where
        )
        details = child(entry, "NtryDtls", "TxDtls")
        remittance = " ".join(
            (e.text or "").strip() for e in (details.iter() if details is not None else []) if local(e.tag) == "Ustrd"
        )
        description = remittance or text(entry, "AddtlNtryInf")
        party = ""
        if details is not None:
            side = "Dbtr" if amount > 0 else "Cdtr"
            party = text(details, "RltdPties", side, "Nm") or text(details, "RltdPties", side, "Pty", "Nm")
        statement.lines.append(
            ParsedLine(day, amount, description, text(entry, "AcctSvcrRef") or text(entry, "NtryRef"), party)
        )
    return statement


# --- any file ------------------------------------------------------------------------------


def read_statement(path: Path, format: str | None = None, mapping: str | None = None) -> ParsedStatement:
    """The statement in ``path``; the format from its content unless given."""
    if format is not None:
        format = ALIASES.get(format.strip().lower(), format.strip().lower())
    if format is not None and format not in FORMATS:
        raise InvalidEntry(f"--format is one of {', '.join(FORMATS)}, not {format!r}")
    if not path.is_file():
        raise InvalidEntry(f"{path} does not exist")
    if format == "camt053" or (format is None and path.suffix.lower() == ".xml"):
        return parse_camt053(path.read_bytes())
    if format == "csv" or mapping:
        if not mapping:
            raise InvalidEntry("a generic CSV needs --map date=…,amount=…,description=… naming its columns")
        return parse_table(read_table(path), mapped_layout(mapping))
    rows = read_table(path)
    return parse_table(rows, LAYOUTS[format or detect(rows)])
