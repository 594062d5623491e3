"""What people type into the register is printed as text, never obeyed as markup or a link."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from ledger.models import Branch
from ledger.register.models import Sponsor
from pdf_templates.render import STATIC, OwnAssetsOnly
from tests.statements.conftest import load_small_demo, pages_text, squeeze

HOSTILE = '<img src="file:///etc/passwd"><link rel=stylesheet href="http://169.254.169.254/x.css">'


def test_the_fetcher_serves_our_stylesheet_and_nothing_else():
    fetcher = OwnAssetsOnly()
    assert b"@page" in fetcher.fetch((STATIC / "statement.css").as_uri()).read()
    for url in (
        "file:///etc/passwd",
        (STATIC / ".." / "render.py").as_uri(),
        "http://127.0.0.1:5432/",
        "https://example.com/logo.png",
        "data:text/plain,hello",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_markup_in_names_renders_as_text_and_fetches_nothing(database, monkeypatch):
    month = load_small_demo(database, children=12, sponsors=10, months=2)
    with Session(database.engine) as session:
        code = session.scalar(select(Sponsor.code).order_by(Sponsor.code))
        session.execute(update(Sponsor).where(Sponsor.code == code).values(name=HOSTILE))
        session.execute(update(Branch).values(name='Chi hội "}</style><b>X'))
        session.commit()
    fetched = []
    original = OwnAssetsOnly.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(OwnAssetsOnly, "fetch", spy)
    from ledger.statements.document import Period, StatementRequest
    from ledger.statements.issue import gather
    from pdf_templates import render_pdf

    with Session(database.engine) as session:
        document = gather(session, StatementRequest("sponsor", code, Period.month(month)), issued_on=month.last_day)
    text = squeeze(" ".join(pages_text(render_pdf(document, "vi"))))
    assert '<img src="file:///etc/passwd">' in text
    assert 'Chi hội "}</style><b>X' in text
    assert "root:x:0:0" not in text
    assert fetched == [(STATIC / "statement.css").as_uri()]
