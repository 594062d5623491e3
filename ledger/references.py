"""Payment references: made for statements and VietQR codes, found again in bank statement lines.

A reference is a sponsor's (or pledge's) code and the month it pays, ``MDD000123T0525``:
short and ASCII, because banks strip accents, upper-case, add prefixes and sometimes break
the code with spaces or punctuation (docs/payments.md). Finding compares texts reduced to upper-case
letters and digits, and refuses a code that runs on into more digits (``MDD00012`` is not in
``MDD000123``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.months import Month


def as_banks_write(text: str) -> str:
    """A text as banks rewrite it: accents stripped, upper-cased ('Nguyễn Thị Hoa' → 'NGUYEN THI HOA')."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn").upper()


_NOT_CODE = re.compile(r"[^A-Z0-9]")


def compact(text: str) -> str:
    """Upper-case ASCII letters and digits only: 'mdd-000 123 t.0525' → 'MDD000123T0525'."""
    # Bank descriptions are nearly always ASCII already: skip the Unicode work for them.
    return _NOT_CODE.sub("", text.upper() if text.isascii() else as_banks_write(text))


def payment_reference(code: str, month: Month) -> str:
    """The reference a sponsor writes for ``month``: ``MDD000123T0525`` for May 2025."""
    return f"{compact(code)}T{month.month:02d}{month.year % 100:02d}"


@dataclass(frozen=True, slots=True)
class Found:
    code: str
    month: Month | None  # when the month suffix follows the code


def find_references(description: str, codes: Iterable[str]) -> list[Found]:
    """The known ``codes`` a bank description names, longest first, with the month where one follows."""
    text = compact(description)
    found: list[Found] = []
    taken: list[tuple[int, int]] = []
    for code in sorted(set(codes), key=lambda c: -len(compact(c))):
        needle = compact(code)
        if not needle:
            continue
        for match in re.finditer(re.escape(needle), text):
            start, end = match.span()
            if end < len(text) and text[end].isdigit() and needle[-1].isdigit():
                continue  # the code runs on into more digits: a different, longer code
            if any(start < e and s < end for s, e in taken):
                continue  # inside a longer code already found
            taken.append((start, end))
            found.append(Found(code, _month_after(text, end)))
    return found


def _month_after(text: str, end: int) -> Month | None:
    suffix = re.match(r"T(\d{2})(\d{2})(?!\d)", text[end:])
    if suffix is None or not 1 <= int(suffix[1]) <= 12:
        return None
    return Month(2000 + int(suffix[2]), int(suffix[1]))
