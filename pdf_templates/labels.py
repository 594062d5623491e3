"""Every word a statement prints, in Vietnamese and English: the ``pdf:`` messages of the catalogue."""

from __future__ import annotations

from ledger.ground.messages import LANGUAGES, has_message, message

__all__ = ["LANGUAGES", "has_label", "label"]


def label(lang: str, key: str, **fields: object) -> str:
    return message(f"pdf:{key}", lang, **fields)


def has_label(key: str) -> bool:
    return has_message(f"pdf:{key}")
