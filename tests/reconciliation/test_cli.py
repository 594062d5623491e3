"""``godmother bank ...`` from import to a reconciled month."""

from __future__ import annotations

import json

from ledger.demo import write_statement
from tests.cli.test_cli import run
from tests.statements.conftest import load_small_demo


def test_import_match_report_and_the_mistakes(database, tmp_path):
    month = load_small_demo(database, children=12, sponsors=10, months=2)
    path = write_statement(database.engine, "hp-an-lao", "vcb-hp-an-lao", month, tmp_path)
    imported = run(database, "bank", "import", str(path), "--account", "vcb-hp-an-lao")
    assert imported.returncode == 0, imported.stderr
    assert "vietcombank statement" in imported.stdout and "✓" in imported.stdout
    assert "0 new" in run(database, "bank", "import", str(path), "--account", "vcb-hp-an-lao").stdout

    before = run(database, "bank", "report", "--account", "vcb-hp-an-lao", "--month", str(month))
    assert before.returncode == 1 and "in the bank, not in the ledger" in before.stdout

    matched = run(database, "bank", "match", "--account", "vcb-hp-an-lao")
    assert matched.returncode == 0 and "0 lines left for you" in matched.stdout

    report = run(database, "bank", "report", "--account", "vcb-hp-an-lao", "--month", str(month), "--json")
    assert report.returncode == 0, report.stdout
    body = json.loads(report.stdout)
    assert body["status"] == "reconciled" and body["difference"] == 0 and body["unexplained"] == 0

    for args, code, message in [
        (["bank", "import", str(path), "--account", "khong-co"], 1, "not in the register"),
        (["bank", "import", str(tmp_path / "none.csv"), "--account", "vcb-hp-an-lao"], 1, "does not exist"),
        (["bank", "import", str(path), "--account", "vcb-hp-an-lao", "--format", "sacombank"], 1, "--format is one of"),
        (["bank", "unmatch", "99999", "--reason", "x"], 1, "does not exist"),
        (["bank", "match", "--account", "vcb-hp-an-lao", "--line", "abc"], 2, "line's number"),
    ]:
        result = run(database, *args)
        assert result.returncode == code, (args, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
