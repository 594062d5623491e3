"""``godmother statement ...`` writes PDFs and checks them; mistakes get one clear line."""

from __future__ import annotations

import json
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import Session

from ledger.db import run_in_transaction
from ledger.register.models import Sponsor
from ledger.register.payments import record_payment
from tests.cli.test_cli import run
from tests.factories import admin
from tests.statements.conftest import load_small_demo, pages_text


def test_issue_verify_and_catch_a_later_change(database, tmp_path):
    month = load_small_demo(database, children=12, sponsors=10, months=2)
    with Session(database.engine) as session:
        sponsor = session.scalar(select(Sponsor).order_by(Sponsor.code))
    out = tmp_path / "s.pdf"
    issued = run(database, "statement", "sponsor", sponsor.code, "--month", str(month), "--lang", "en", "-o", str(out))
    assert issued.returncode == 0, issued.stderr
    assert "verification code" in issued.stdout
    assert "Sponsor statement" in " ".join(pages_text(out.read_bytes()))

    checked = run(database, "statement", "verify", str(out), "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["valid"] is True

    run_in_transaction(
        database.engine,
        lambda s: record_payment(
            s,
            sponsor=sponsor.code,
            amount=500_000,
            paid_on=month.first_day + timedelta(days=1),
            method="cash",
            actor=admin("test"),
        ),
    )
    checked = run(database, "statement", "verify", str(out))
    assert checked.returncode == 1
    assert "NOT VALID" in checked.stdout and "500.000" in checked.stdout


def test_batch_writes_one_statement_per_sponsor(database, tmp_path):
    month = load_small_demo(database, children=12, sponsors=10, months=2)
    result = run(
        database, "statement", "sponsors", "--month", str(month), "--out-dir", str(tmp_path / "out"), "--workers", "2"
    )
    assert result.returncode == 0, result.stderr
    with Session(database.engine) as session:
        codes = set(session.scalars(select(Sponsor.code)))
    written = sorted((tmp_path / "out").glob("*.pdf"))
    assert {p.name.split("-")[1] for p in written} == codes
    assert not list((tmp_path / "out").glob("*.part"))
    assert all(p.read_bytes().startswith(b"%PDF") for p in written)


def test_mistakes_are_one_line(database, tmp_path):
    load_small_demo(database, children=12, sponsors=10, months=2)
    cases = [
        (["statement", "sponsor", "MDD000001", "--month", "2026-13"], 2, "is not a month"),
        (["statement", "sponsor", "MDD000001"], 2, "--month YYYY-MM or --year YYYY"),
        (["statement", "sponsor", "KHONG-CO", "--month", "2026-01"], 1, "not in the register"),
        (["statement", "audit", "hp-an-lao", "--from", "2026-05", "--to", "2026-01"], 1, "ends (2026-01) before"),
        (["statement", "treasurer", "khong-co", "--month", "2026-01"], 1, "khong-co"),
    ]
    for args, code, message in cases:
        result = run(database, *args)
        assert result.returncode == code, (args, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
    not_pdf = tmp_path / "x.pdf"
    not_pdf.write_bytes(b"hello")
    result = run(database, "statement", "verify", str(not_pdf))
    assert result.returncode == 1 and "cannot be read as a PDF" in result.stdout


def test_books_and_account_numbers_from_the_command_line(database, tmp_path):
    month = load_small_demo(database, children=12, sponsors=10, months=2)
    filed = run(database, "branch", "number", "hp-an-lao", "liabilities:fund:child:", "3388", "--by", "ke-toan")
    assert filed.returncode == 0, filed.stderr
    listed = run(database, "branch", "numbers", "hp-an-lao")
    assert "3388" in listed.stdout and "liabilities:fund:child:" in listed.stdout and "111" in listed.stdout
    wrong = run(database, "branch", "number", "hp-an-lao", "liabilities:suspense", "33")
    assert wrong.returncode != 0 and "three or four digits" in wrong.stderr and "Traceback" not in wrong.stderr
    sheet = tmp_path / "so-chi-tiet.xlsx"
    written = run(database, "statement", "book", "general-ledger", "hp-an-lao", "--from", str(month), "--to",
                  str(month), "--xlsx", "-o", str(sheet))  # fmt: skip
    assert written.returncode == 0, written.stderr
    rows = list(load_workbook(sheet).worksheets[0].iter_rows(values_only=True))
    assert any(str(r[3] or "").startswith("3388 · Quỹ của trẻ") for r in rows)
    pdf = tmp_path / "tre.pdf"
    child = run(database, "statement", "book", "child-ledger", "C-000001", "--from", str(month), "--to", str(month),
                "-o", str(pdf))  # fmt: skip
    assert child.returncode == 0, child.stderr
    assert "Sổ chi tiết theo trẻ" in " ".join(pages_text(pdf.read_bytes()))
    unknown = run(database, "statement", "book", "so-cai", "hp-an-lao", "--from", str(month), "--to", str(month))
    assert unknown.returncode == 2 and "a book is one of" in unknown.stderr
