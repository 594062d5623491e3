"""Money is an integer number of đồng: VND has no minor unit, and floats never touch it."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime

from ledger.errors import AmountUnreadable

_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


@functools.lru_cache(maxsize=16384)  # statements and runs format the same amounts over and over
def format_vnd(amount: int, lang: str = "vi") -> str:
    """``1.500.000 ₫`` in Vietnamese, ``1,500,000 ₫`` in English (no-break space before ₫)."""
    grouped = f"{abs(amount):,}"
    if lang == "vi":
        grouped = grouped.replace(",", ".")
    return ("-" if amount < 0 else "") + grouped + "\u00a0₫"


def parse_vnd(text: str) -> int:
    """A whole number of đồng above zero as people type it: 500.000, 500,000, 500 000, 500000 ₫."""
    digits = "".join(text.split()).removesuffix("₫").replace(".", "").replace(",", "")
    if not digits.isdigit() or int(digits) <= 0 or len(digits) > 15:
        raise AmountUnreadable(text)
    return int(digits)


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY``, as treasurers write them."""
    if m := _DMY.match(text):
        try:
            return date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            pass
    else:
        try:
            return datetime.strptime(text.strip(), "%Y-%m-%d").date()
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD or DD/MM/YYYY, e.g. 2025-05-31")
