"""Text the ledger keeps in both languages at once, ``"Vietnamese / English"`` (transaction
descriptions, for one): each reader sees their side."""

from __future__ import annotations

SEPARATOR = " / "


def side(text: str, lang: str) -> str:
    """The reader's half of a two-language text; a text in one language is returned as it is."""
    if SEPARATOR not in text:
        return text
    vi, en = text.split(SEPARATOR, 1)
    return vi if lang == "vi" else en
