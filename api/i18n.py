"""The reader's language, from ``Accept-Language``: Vietnamese unless English is preferred."""

from __future__ import annotations

LANGUAGES = ("vi", "en")


def language(accept_language: str | None) -> str:
    """The first of vi/en in the header's preference order (q-values honoured), else vi."""
    if not accept_language:
        return "vi"
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else "vi"
