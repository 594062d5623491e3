"""The message catalogue: Vietnamese and English alike, and every key the code and templates use in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledger.ground.messages import LANGUAGES, catalogue, fields_of, message

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_KEY = re.compile(r"""\bt\(\s*'([^']+)'\s*\)""")
TEMPLATE_PREFIX = re.compile(r"""\bt\(\s*'([^']+)'\s*~""")
CODE_KEY = re.compile(r"""\bsay\(\s*lang,\s*f?"([^"{]+)"|"((?:web|pdf|problem|error|todo):[a-z0-9_.\-]+)\"""")


def test_vietnamese_and_english_hold_the_same_keys_none_empty_with_the_same_fields():
    vi, en = catalogue("vi"), catalogue("en")
    assert set(vi) == set(en), set(vi) ^ set(en)
    assert len(vi) > 400
    for key in vi:
        assert vi[key].strip() and en[key].strip(), key
        assert fields_of(vi[key]) == fields_of(en[key]), key


def test_every_key_a_template_uses_is_in_the_catalogue():
    used: dict[str, set[str]] = {"web": set(), "pdf": set()}
    prefixes: dict[str, set[str]] = {"web": set(), "pdf": set()}
    for kind, folder in (("web", ROOT / "api" / "web" / "templates"), ("pdf", ROOT / "pdf_templates")):
        for template in folder.glob("*.html"):
            text = template.read_text(encoding="utf-8")
            used[kind] |= set(TEMPLATE_KEY.findall(text))
            prefixes[kind] |= set(TEMPLATE_PREFIX.findall(text))
    keys = set(catalogue("vi"))
    for kind in used:
        assert used[kind], kind
        missing = {k for k in used[kind] if f"{kind}:{k}" not in keys}
        assert not missing, (kind, missing)
        for prefix in prefixes[kind]:  # t('state.' ~ status): some key of that family
            assert any(k.startswith(f"{kind}:{prefix}") for k in keys), (kind, prefix)


def test_every_key_the_code_names_is_in_the_catalogue():
    keys = set(catalogue("vi"))
    named = set()
    for folder in ("api", "ledger", "pdf_templates", "cli"):
        for source in (ROOT / folder).rglob("*.py"):
            for said, literal in CODE_KEY.findall(source.read_text(encoding="utf-8")):
                named.add(f"web:{said}" if said else literal)
    assert len(named) > 50
    for key in named:
        if key.endswith(("_", "-", ".", ":")):  # a family: f"cash_{move}_what", f"error:title-{status}"
            assert any(k.startswith(key) for k in keys), key
        else:
            assert key in keys, key


def test_a_missing_message_is_an_error_not_a_key_on_the_page():
    with pytest.raises(KeyError):
        message("web:no-such-thing", "vi")
    assert message("web:dashboard", "en") == "The month at a glance"
    assert message("todo:run", "vi", month="12/2026") == "Chưa chạy chi trả tháng 12/2026."
    assert LANGUAGES == ("vi", "en")
