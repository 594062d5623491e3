"""``godmother statement ...`` writes PDFs and checks them; mistakes get one clear line."""

from __future__ import annotations

import json
from datetime import timedelta

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
