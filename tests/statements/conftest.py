"""A small demo world to issue statements from, and tools to read PDFs back."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.demo import load_demo
from ledger.models import Disbursement
from ledger.months import Month
from ledger.statements.document import Document, Period, StatementRequest
from ledger.statements.issue import gather
from pdf_templates import render_pdf
from tests.conftest import TestDatabase, make_test_database

ISSUED = date(2026, 11, 23)


@dataclass
class StatementWorld:
    database: TestDatabase
    month: Month  # the last month the demo paid out

    def document(self, kind: str, subject: str, period: Period | None = None, child: str | None = None) -> Document:
        with Session(self.database.engine) as session:
            return gather(
                session, StatementRequest(kind, subject, period or Period.month(self.month), child), issued_on=ISSUED
            )

    def pdf(self, kind: str, subject: str, lang: str = "vi", **kwargs: object) -> bytes:
        return render_pdf(self.document(kind, subject, **kwargs), lang)  # type: ignore[arg-type]


def load_small_demo(database: TestDatabase, *, children: int = 40, sponsors: int = 30, months: int = 3) -> Month:
    load_demo(database.engine, children=children, sponsors=sponsors, months=months, communes=1)
    with Session(database.engine) as session:
        return Month.of(session.scalar(select(func.max(Disbursement.month))))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[StatementWorld]:
    for database in make_test_database(tmp_path_factory.mktemp("statements"), sqlite_template):
        yield StatementWorld(database, load_small_demo(database))


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text, read by pypdf (an extractor independent of the one verification uses)."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def page_images(pdf: bytes, scale: float = 1.0) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [document[i].render(scale=scale).to_pil() for i in range(len(document))]
    finally:
        document.close()
