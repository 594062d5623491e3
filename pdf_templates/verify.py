"""Is this PDF a statement we issued, untouched, and does the ledger still say the same?

Four checks, each a sentence for the reader:
1. the file is a PDF carrying a godmother statement (its document is attached);
2. the verification code printed on it is the hash of that document;
3. the text on its pages is what the document renders to (nothing painted over or edited);
4. today's ledger gives the same document: the chain still holds the head it was issued
   with, and gathering the same figures again gives the same figures.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from sqlmodel import Session

from ledger.errors import LedgerError, TooLarge
from ledger.signing.check import SignatureFinding, Trust, check_signature
from ledger.signing.records import issued_unsigned, signatures_of
from ledger.statements.document import verification_code
from ledger.statements.issue import recompute
from pdf_templates.render import ATTACHMENT, render_pdf

KIND_NAMES = {
    "sponsor": "a sponsor statement",
    "guardian": "guardian slips",
    "treasurer": "a treasurer's monthly report",
    "audit": "an auditor pack",
}


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(slots=True)
class Verdict:
    code: str | None = None
    request: dict[str, Any] | None = None
    issued_on: str | None = None
    checks: list[Check] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    document: dict[str, Any] | None = None  # the attached figures, for the ledger check
    signature: SignatureFinding | None = None  # what the file's digital signature says

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


MAX_PAGES = 2_000  # a year of a commune's guardian slips is a few hundred pages


def read_statement(pdf: bytes) -> tuple[dict[str, Any] | None, str]:
    """The attached statement (None if there is none) and the text of every page."""
    reader = PdfReader(io.BytesIO(pdf))
    text = page_text(pdf)
    attached = reader.attachments.get(ATTACHMENT)
    if not attached:
        return None, text
    return json.loads(attached[0]), text


def attached_statement(pdf: bytes, max_pages: int = MAX_PAGES) -> dict[str, Any] | None:
    """The statement attached to ``pdf`` without reading its pages (refused beyond ``max_pages``)."""
    count_pages(pdf, max_pages)
    attached = PdfReader(io.BytesIO(pdf)).attachments.get(ATTACHMENT)
    found = json.loads(attached[0]) if attached else None
    return found if isinstance(found, dict) else None


def count_pages(pdf: bytes, max_pages: int) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        pages = len(document)
    finally:
        document.close()
    if pages > max_pages:
        raise TooLarge(f"this file has {pages:,} pages", f"{max_pages:,} pages for a statement to check")
    return pages


def page_text(pdf: bytes) -> str:
    """The text of every page (PDFium: some twenty times faster than pure-Python extraction)."""
    document = pdfium.PdfDocument(pdf)
    try:
        return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def inspect_statement(pdf: bytes, max_pages: int = MAX_PAGES, trust: Trust | None = None) -> Verdict:
    """Checks 1 to 3, which read only the file: all the PDF parsing and rendering happens here.

    It needs no database, so the server runs it in a separate process where a crash in a PDF
    library cannot take the service down. ``trust`` is read by the caller (a pool's processes keep
    the environment they started with), or from this process's environment.
    """
    verdict = Verdict()
    try:
        count_pages(pdf, max_pages)
        attached, text = read_statement(pdf)
    except TooLarge:
        raise
    except (PdfReadError, pdfium.PdfiumError, ValueError, KeyError, OSError) as exc:
        verdict.checks.append(Check("statement", False, f"this file cannot be read as a PDF ({exc})"))
        return verdict
    if attached is None or not isinstance(attached.get("document"), dict):
        verdict.checks.append(Check("statement", False, "this PDF carries no godmother statement"))
        return verdict
    document, lang = attached["document"], attached.get("lang", "vi")
    verdict.document = document
    verdict.code, verdict.request = attached.get("code"), document.get("request")
    verdict.issued_on = document.get("issued_on")
    kind = KIND_NAMES.get(str(document.get("kind")), "a statement")
    verdict.checks.append(Check("statement", True, f"{kind} issued on {verdict.issued_on}"))
    verdict.signature = finding = check_signature(pdf, trust or Trust.from_environment())
    if attached.get("signature") and not finding.signed:
        verdict.checks.append(
            Check("signature", False, "the statement was issued signed, but its signature was removed")
        )
    else:
        verdict.checks.append(Check("signature", finding.ok, finding.detail))

    code = verification_code(document)
    printed = code in _squeezed(text)
    verdict.checks.append(
        Check(
            "code",
            code == verdict.code and printed,
            f"verification code {code} matches the statement's figures"
            if code == verdict.code and printed
            else f"the code on the file ({verdict.code}) is not the hash of its figures ({code}): the file was altered",
        )
    )
    try:
        again = render_pdf(
            document, lang if lang in ("vi", "en") else "vi",
            signature=attached.get("signature"), says_unsigned="signature" in attached,
        )  # fmt: skip
        same_text = _squeezed(read_statement(again)[1]) == _squeezed(text)
    except (KeyError, TypeError, ValueError) as exc:
        same_text = False
        text_detail = f"the statement's figures cannot be rendered again ({exc})"
    else:
        text_detail = (
            "the pages show exactly the statement's figures"
            if same_text
            else "the text on the pages differs from the statement's figures: the file was edited"
        )
    verdict.checks.append(Check("pages", same_text, text_detail))
    return verdict


def compare_with_ledger(session: Session, verdict: Verdict) -> Verdict:
    """Check 4: gathering the same statement today gives the same figures; and the signature on
    the file is the one the product put on the statement with this code."""
    if verdict.document is None:
        return verdict
    _signed_as_issued(session, verdict)
    try:
        _, problems = recompute(session, verdict.document)
    except (LedgerError, KeyError, ValueError) as exc:
        problems = [f"the statement cannot be gathered again: {exc}"]
    verdict.differences = problems
    verdict.checks.append(
        Check(
            "ledger",
            not problems,
            "the ledger still gives the same figures"
            if not problems
            else f"the ledger has changed since the statement was issued ({len(problems)} differences)",
        )
    )
    return verdict


def _signed_as_issued(session: Session, verdict: Verdict) -> None:
    finding, code = verdict.signature, verdict.code
    if finding is None or code is None:
        return
    issued = signatures_of(session, code)
    if finding.signed:
        if any(s.get("certificate_sha256") == finding.certificate_sha256 for s in issued):
            return
        who = ", ".join(sorted({str(s.get("signer")) for s in issued}))
        detail = (
            f"this statement was issued signed by {who}, this file by {finding.signer}: it was signed again"
            if issued
            else f"the product never signed a statement with this code; this file is signed by {finding.signer}"
        )
        verdict.checks.append(Check("signer", False, detail))
    elif issued and not _issued_unsigned(session, verdict.request, code):
        verdict.checks.append(Check("signer", False, "this statement was issued signed; this file's signature is gone"))


def _issued_unsigned(session: Session, request: dict[str, Any] | None, code: str) -> bool:
    if not request:
        return False
    return issued_unsigned(session, kind=str(request.get("kind")), subject=str(request.get("subject")), code=code)


def verify_statement(session: Session, pdf: bytes, max_pages: int = MAX_PAGES) -> Verdict:
    """All four checks in this process (the CLI's way; the server isolates ``inspect_statement``)."""
    return compare_with_ledger(session, inspect_statement(pdf, max_pages))
