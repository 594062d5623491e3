"""Texts as people type them in Vietnam: without diacritics, in any case.

"nguyen thi hoa" must find "Nguyễn Thị Hoa", "0912 345 678" the phone "0912345678". Every child and
sponsor keeps a folded ``search_text`` (code, name, phone), written with the row, so both engines
find the same people with one ``LIKE`` per word (indexed by trigrams on PostgreSQL).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

_SPACES = re.compile(r"\s+")
_PHONE = re.compile(r"[\d .+()-]{6,}")


def fold(text: str) -> str:
    """Lower case, no diacritics, đ as d, single spaces: 'Nguyễn  Thị HOA' → 'nguyen thi hoa'."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return _SPACES.sub(" ", plain).strip().lower()


def digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def child_search_text(code: str, full_name: str, guardian_phone: str) -> str:
    return " ".join(part for part in (fold(code), fold(full_name), digits(guardian_phone)) if part)


def name_order(full_name: str) -> str:
    """How Vietnamese lists are ordered: by the given name (the last word), then the whole name."""
    folded = fold(full_name)
    return f"{folded.rsplit(' ', 1)[-1]} {folded}"[:220]


def sponsor_search_text(code: str, name: str, phone: str, email: str) -> str:
    return " ".join(part for part in (fold(code), fold(name), digits(phone), fold(email)) if part)[:400]


def text_for_search(make: Callable[..., str]) -> Callable[[Any], str]:
    """A column default computing the folded text from the row being inserted (ORM or Core alike)."""
    names = make.__code__.co_varnames[: make.__code__.co_argcount]

    def default(context: Any) -> str:
        row = context.get_current_parameters()
        return make(*(str(row.get(name) or "") for name in names))[:400]

    return default


def query_words(query: str) -> list[str]:
    """The words of what was typed, folded; a phone number typed with spaces is one word."""
    text = query.strip()
    if _PHONE.fullmatch(text) and len(digits(text)) >= 6:
        return [digits(text)]
    return [word for word in fold(text).split(" ") if word]
