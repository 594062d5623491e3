"""From a statement document to HTML (Jinja2) and to PDF (WeasyPrint)."""

from __future__ import annotations

import functools
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import segno
import weasyprint
from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ledger.ground.words import side
from ledger.money import format_vnd
from ledger.signing.keys import SigningKey
from ledger.signing.sign import sign_statement
from ledger.statements.document import Document, verification_code
from pdf_templates.amounts import in_words
from pdf_templates.books import account_name, short_account
from pdf_templates.labels import LANGUAGES, has_label, label

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
ATTACHMENT = "godmother-statement.json"
TEMPLATES = {
    "sponsor": "sponsor.html",
    "guardian": "guardian.html",
    "treasurer": "treasurer.html",
    "audit": "audit.html",
    "trial-balance": "trial-balance.html",
    "payment-list": "payment-list.html",
    "cash-book": "money-book.html",
    "bank-book": "money-book.html",
    "general-ledger": "detail-ledger.html",
    "child-ledger": "detail-ledger.html",
    "sponsor-ledger": "detail-ledger.html",
}


class OwnAssetsOnly(URLFetcher):
    """Lets WeasyPrint read this package's static files and nothing else: no network, no other file."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("file://"):
            path = Path(url.removeprefix("file://").split("?")[0]).resolve()
            if path.is_relative_to(STATIC) and path.is_file():
                kind = "text/css" if path.suffix == ".css" else "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
        raise ValueError(f"statements fetch only their own stylesheet, not {url[:80]}")


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["qr_svg"] = qr_svg
    env.filters["css_string"] = _css_string
    return env


def render_html(
    document: Document, lang: str, signature: dict[str, str] | None = None, *, says_unsigned: bool = True
) -> str:
    """The statement as HTML in ``lang`` (vi or en); ``signature`` names who signs it, if anyone
    (statements issued before signatures existed do not say they are unsigned: ``says_unsigned``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"statements are in {' or '.join(LANGUAGES)}, not {lang!r}")
    # Render what a reader of the PDF's attachment will read: the document after a JSON round trip.
    document = json.loads(json.dumps(document))
    template = _environment().get_template(TEMPLATES[document["kind"]])
    return template.render(
        doc=document,
        body=document["body"],
        code=verification_code(document),
        signature=signature,
        says_unsigned=says_unsigned,
        lang=lang,
        t=functools.partial(label, lang),
        money=functools.partial(_money, lang),
        number=functools.partial(_number, lang),
        in_words=functools.partial(in_words, lang=lang),
        said=lambda text: side(str(text), lang),
        day=functools.partial(day_text, lang),
        month=functools.partial(month_text, lang),
        period=functools.partial(_period, lang),
        program=functools.partial(_program, lang),
        account_name=functools.partial(account_name, lang),
        short_account=functools.partial(short_account, lang),
        stylesheet=(STATIC / "statement.css").as_uri(),
    )


def render_pdf(
    document: Document,
    lang: str,
    key: SigningKey | None = None,
    *,
    signature: dict[str, str] | None = None,
    says_unsigned: bool = True,
) -> bytes:
    """The statement as a PDF, with the document attached for verification, signed with ``key``.

    ``signature`` (what the page says about the signature) follows from ``key``; verification
    passes the one the file carries, to render the same pages again without the key.
    """
    if key is not None:
        signature = {"branch": key.branch, "branch_name": key.branch_name}
    html = render_html(document, lang, signature, says_unsigned=says_unsigned)
    attachment = json.dumps(
        {"code": verification_code(document), "lang": lang, "document": document, "signature": signature},
        ensure_ascii=False,
        sort_keys=True,
    )
    pdf: bytes = weasyprint.HTML(string=html, base_url=str(STATIC), url_fetcher=OwnAssetsOnly()).write_pdf(
        attachments=[weasyprint.Attachment(string=attachment, name=ATTACHMENT, description="godmother statement")],
    )
    return sign_statement(pdf, key, lang=lang) if key is not None else pdf


def _money(lang: str, amount: int) -> str:
    return format_vnd(amount, lang)


def _number(lang: str, amount: int) -> str:
    """A figure of a book whose unit is stated once ("Đơn vị tính: đồng"): grouped, no ₫."""
    grouped = f"{amount:,}"
    return grouped.replace(",", ".") if lang == "vi" else grouped


def day_text(lang: str, iso: str) -> str:
    """dd/mm/yyyy in Vietnamese, '5 May 2025' in English."""
    day = date.fromisoformat(iso)
    return f"{day:%d/%m/%Y}" if lang == "vi" else format_date(day, "d MMM y", locale="en_GB")


def month_text(lang: str, text: str) -> str:
    """'05/2025' in Vietnamese, 'May 2025' in English."""
    year, month = (int(x) for x in text.split("-"))
    return f"{month:02d}/{year}" if lang == "vi" else format_date(date(year, month, 1), "MMM y", locale="en_GB")


def _period(lang: str, period: dict[str, str]) -> str:
    first, last = period["from"], period["to"]
    if first == last:
        return label(lang, "month_of").format(month_text(lang, first))
    if first.endswith("-01") and last.endswith("-12") and first[:4] == last[:4]:
        return label(lang, "year_of").format(first[:4])
    return f"{month_text(lang, first)} – {month_text(lang, last)}"


def _program(lang: str, name: str) -> str:
    return label(lang, f"program.{name}") if has_label(f"program.{name}") else name


def qr_svg(payload: str) -> Markup:
    """The QR code as inline SVG (drawn by segno; the payload is ours, ASCII, and escaped by segno)."""
    qr = segno.make(payload, error="m", micro=False)
    return Markup(qr.svg_inline(scale=4, border=4, dark="#000", light="#fff", omitsize=True))


def qr_png(payload: str) -> bytes:
    """The QR code as a PNG a phone keeps in its photos (a banking app reads it from there)."""
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def _css_string(text: str) -> Markup:
    """A CSS string literal for ``content:`` in a <style>: every non-alphanumeric character escaped."""
    escaped = "".join(c if c.isalnum() else f"\\{ord(c):06x}" for c in text)
    return Markup(f'"{escaped}"')
