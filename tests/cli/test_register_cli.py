"""Import, export and eligibility through the ``godmother`` command."""

import json

from openpyxl import load_workbook

from tests.cli.test_cli import run
from tests.register.test_import import REGISTER, write


def import_all(database, tmp_path) -> None:
    for kind, text in REGISTER:
        result = run(database, "import", kind, str(write(tmp_path, f"{kind}.csv", text)))
        assert result.returncode == 0, result.stderr


def test_eligibility_explains_the_amount_with_rules_and_sources(database, tmp_path):
    import_all(database, tmp_path)
    # Born 20/03/2021 in Hải Dương; March 2025: aged 3 on 28/02 → 2.5 × 550,000 (provincial level)
    march = json.loads(run(database, "eligibility", "C-000123", "--month", "2025-03", "--json").stdout)
    assert (march["eligible"], march["amount"]) == (True, 1_375_000)
    assert any("Resolution 07" in r["source"] for r in march["reasons"])
    # April 2025: aged 4 on 31/03 → 1.5 × 550,000
    april = run(database, "eligibility", "C-000123", "--month", "2025-04", "--lang", "en")
    assert april.returncode == 0
    assert "Child C-000123, social-allowance, 2025-04: eligible, 825,000\u00a0₫" in april.stdout
    assert "age on 31 March 2025: 4 → coefficient 1.5 (Decree 20/2021/NĐ-CP Art. 6(1))" in april.stdout
    # Godmother: two pledges would add up; C-000124 has one of 1,000,000 from 01/2025 to 12/2027
    godmother = json.loads(
        run(database, "eligibility", "C-000124", "--month", "2025-06", "--program", "godmother", "--json").stdout
    )
    assert (godmother["eligible"], godmother["amount"]) == (True, 1_000_000)
    vi = run(database, "eligibility", "C-000124", "--month", "2028-01", "--program", "godmother")
    assert "không được hưởng" in vi.stdout


def test_a_rejected_import_lists_every_bad_row_and_exits_non_zero(database, tmp_path):
    result = run(
        database,
        "import",
        "branches",
        str(write(tmp_path, "b.csv", "code,name,parent,level\nhp,HP,,province\nx,X,nowhere,commune\nhp,HP,,tinh\n")),
        "--lang",
        "vi",
    )
    assert result.returncode == 1
    assert "chưa nhập dòng nào" in result.stderr
    assert "dòng 3, cột parent" in result.stderr and "dòng 4, cột code: trùng với dòng 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_writes_the_treasurers_excel_in_the_import_format(database, tmp_path):
    import_all(database, tmp_path)
    out = tmp_path / "pledges.xlsx"
    assert run(database, "export", "pledges", "-o", str(out)).returncode == 0
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0] == ("code", "sponsor", "child", "monthly_amount", "start_month", "end_month", "frequency")
    assert rows[1] == ("P-0001", "MDD000123", "C-000123", 500000, "2025-01", None, "monthly")
    # and it imports back with nothing to change
    again = run(database, "import", "pledges", str(out))
    assert "0 created, 0 updated, 2 unchanged" in again.stdout


def test_pledge_changes_from_the_command_line(database, tmp_path):
    import_all(database, tmp_path)
    assert (
        run(database, "pledge", "change-amount", "P-0001", "--from", "2025-06", "--amount", "700.000").returncode == 0
    )
    assert (
        run(database, "pledge", "end", "P-0001", "--last-month", "2025-07", "--reason", "chuyển công tác").returncode
        == 0
    )
    history = run(database, "pledge", "history", "P-0001").stdout.splitlines()
    assert history[:2] == ["2025-06  amount  ", "2025-08  end     chuyển công tác"]
    assert [line.split()[0] for line in history[2:]] == [f"2025-0{m}" for m in range(1, 8)]
    assert history[-1].endswith("700.000\u00a0₫") and history[0].endswith("amount  ")
    refused = run(database, "pledge", "pause", "P-0001", "--from", "2025-03", "--to", "2025-02", "--reason", "x")
    assert refused.returncode == 1 and "needs its last month" in refused.stderr
