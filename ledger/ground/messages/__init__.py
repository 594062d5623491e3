"""Every word a person reads, in Vietnamese and English: one message catalogue.

Two gettext catalogues, ``vi.po`` and ``en.po`` beside this module (read with Babel), hold the
web's words (``web:``), the PDFs' (``pdf:``), the API's problem titles (``problem:``), the errors
told to people (``error:``) and the treasurer's to-do list (``todo:``). A message is found by its
key; its text may name fields (``{amount}``) that the door fills in, already formatted for the
reader. ``tests/test_messages.py`` keeps the two alike: the same keys, no empty text, the same
fields, and every key the code and templates use present.
"""

from __future__ import annotations

import functools
import string
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")
HERE = Path(__file__).resolve().parent


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of ``lang``: key → text."""
    with (HERE / f"{lang}.po").open("rb") as file:
        read = read_po(file, locale=lang)
    return {str(m.id): str(m.string) for m in read if m.id}


def message(key: str, lang: str, /, **fields: object) -> str:
    """The text of ``key`` in ``lang`` (Vietnamese unless English), its fields filled in. A key not in
    the catalogue is a bug (a KeyError, never the key shown on a page)."""
    found = catalogue(lang if lang in LANGUAGES else "vi").get(key)
    if not found:
        raise KeyError(f"the {lang} catalogue has no message {key!r}")
    return found.format(**fields) if fields else found


def has_message(key: str) -> bool:
    return key in catalogue("vi")


def fields_of(text: str) -> set[str]:
    """The named fields a text fills in (``{amount}``); positional ``{}`` counts as ``""``."""
    return {name or "" for _, name, _, _ in string.Formatter().parse(text) if name is not None}
