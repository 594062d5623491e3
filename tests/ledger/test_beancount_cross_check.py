"""Our independent cross-check: beancount re-adds the exported ledger and must agree."""

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from sqlmodel import Session

from ledger.db import run_in_transaction
from ledger.demo import load_demo
from ledger.export_beancount import beancount_account, export_beancount
from ledger.models import AccountType
from ledger.posting import reverse
from tests.factories import BANK, commune, fund, transfer

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round


def test_the_exported_ledger_passes_bean_check_and_beancount_balances_equal_ours(engine, tmp_path: Path):
    load_demo(engine, today=date(2026, 11, 23), children=40, sponsors=30)
    commune(engine, "dong-hoa", children=("C-9",), name='Hội "Đông Hòa"')
    wrong = transfer(engine, "dong-hoa", BANK, fund("C-9"), 123_456, on=date(2026, 10, 2), description='nhầm "số"')
    run_in_transaction(engine, lambda s: reverse(s, wrong.id, posted_by="t"))
    transfer(engine, "dong-hoa", BANK, fund("C-9"), 700_000, on=date(2026, 10, 3))

    path = tmp_path / "ledger.beancount"
    with Session(engine) as session, path.open("w", encoding="utf-8") as out:
        written = export_beancount(session, out)

    bean_check = Path(sys.executable).with_name("bean-check")
    result = subprocess.run([bean_check, path], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    theirs: dict[str, int] = {}
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                theirs[posting.account] = theirs.get(posting.account, 0) + int(posting.units.number)
    assert sum(isinstance(e, data.Transaction) for e in entries) == written

    with Session(engine) as session:
        from ledger.balances import trial_balance

        ours = {
            beancount_account(line.branch, line.account, line.type): line.balance
            for line in trial_balance(session).lines
        }
    assert {k: v for k, v in theirs.items() if v} == {k: v for k, v in ours.items() if v}
    assert ours[beancount_account("dong-hoa", BANK, AccountType.asset)] == 700_000


def test_a_wrong_balance_makes_bean_check_fail(engine, tmp_path: Path):
    """The cross-check can fail: tamper with one assertion in the file and bean-check says so."""
    commune(engine)
    transfer(engine, "an-lao", BANK, fund("C-000123"), 500_000)
    path = tmp_path / "ledger.beancount"
    with Session(engine) as session, path.open("w", encoding="utf-8") as out:
        export_beancount(session, out)
    text = path.read_text(encoding="utf-8")
    assertion = "balance Assets:An-lao:Bank:Vcb-0011001932418  500000 VND"
    assert assertion in text
    path.write_text(text.replace(assertion, assertion.replace("500000", "500001")), encoding="utf-8")
    result = subprocess.run([Path(sys.executable).with_name("bean-check"), path], capture_output=True, text=True)
    assert result.returncode != 0
    assert "Balance failed" in result.stdout + result.stderr
