"""Importing the register from the treasurers' spreadsheets (docs/register-files.md)."""

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.accounts import AccountKey, get_account
from ledger.db import run_in_transaction
from ledger.register.importing import ImportRejected, import_file
from ledger.register.models import BankAccount, Child, Enrolment, Pledge, Sponsor
from tests.factories import admin

TODAY = date(2025, 6, 15)

BRANCHES = """code,name,parent,level,province
hai-duong,Hội LHPN tỉnh Hải Dương,,province,hai-duong
hd-an-phu,Hội LHPN xã An Phú,hai-duong,commune,
hd-an-phu-thon-1,Chi hội thôn 1,hd-an-phu,group,
"""
# Semicolons, a BOM and Vietnamese headers, as Excel in Vietnam saves them.
SPONSORS = (
    "\ufeffMã;Tên;Loại;Điện thoại;Email;Ngôn ngữ;Chi hội\n"
    "MDD000123;Nguyễn Thị Hoa;cá nhân;0912345678;hoa@example.vn;vi;hd-an-phu\n"
    "MDD000124;Công ty TNHH An Phát;organisation;;;en;hd-an-phu\n"
)
CHILDREN = """code,full_name,date_of_birth,gender,branch,categories,in_school_until,guardian_name,guardian_relation,guardian_phone,guardian_id_number,guardian_bank,consent_guardian_on,consent_child_on
C-000123,Trần Minh An,20/03/2021,M,hd-an-phu,orphan_both,,Trần Thị Bình,bà ngoại,0987654321,030123456789,970436:0011001932418,2024-01-10,
C-000124,Lê Thu Hà,2015-09-02,F,hd-an-phu-thon-1,orphan_one;special_hardship,2030-05-31,Lê Văn Cường,chú,,,,2024-01-10,2024-01-12
"""
PLEDGES = """code,sponsor,child,monthly_amount,start_month,end_month,frequency
P-0001,MDD000123,C-000123,500.000 ₫,2025-01,,monthly
P-0002,MDD000124,C-000124,"1,000,000",01/2025,12/2027,quarterly
"""
ENROLMENTS = """child,program,decision_number,decision_date,end_date
C-000123,social-allowance,QĐ 15/2024/UBND,2024-02-05,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(engine, kind: str, path: Path):
    return run_in_transaction(engine, lambda s: import_file(s, kind, path, actor=admin(), today=TODAY))


REGISTER = [
    ("branches", BRANCHES),
    ("sponsors", SPONSORS),
    ("children", CHILDREN),
    ("pledges", PLEDGES),
    ("enrolments", ENROLMENTS),
]


def load_register(engine, tmp_path: Path) -> None:
    for kind, text in REGISTER:
        load(engine, kind, write(tmp_path, f"{kind}.csv", text))


def counts(engine) -> tuple[int, ...]:
    with Session(engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Sponsor, Child, Pledge, Enrolment))


def test_a_whole_register_imports_and_each_child_gets_its_accounts(engine, tmp_path):
    load_register(engine, tmp_path)
    assert counts(engine) == (2, 2, 2, 1)
    with Session(engine) as session:
        hoa = session.scalar(select(Sponsor).where(Sponsor.code == "MDD000123"))
        assert (hoa.name, hoa.kind, hoa.language) == ("Nguyễn Thị Hoa", "individual", "vi")
        ha = session.scalar(select(Child).where(Child.code == "C-000124"))
        assert ha.categories == ["orphan_one", "special_hardship"] and ha.date_of_birth == date(2015, 9, 2)
        pledge = session.scalar(select(Pledge).where(Pledge.code == "P-0002"))
        assert (pledge.monthly_amount, pledge.start_month, pledge.end_month) == (
            1_000_000,
            date(2025, 1, 1),
            date(2027, 12, 1),
        )
        assert get_account(session, AccountKey("hd-an-phu-thon-1", "liabilities:fund:child:C-000124")).balance == 0
        assert get_account(session, AccountKey("hd-an-phu", "liabilities:payable:guardian:C-000123"))
        assert get_account(session, AccountKey("hai-duong", "liabilities:suspense")).may_go_negative


def test_re_importing_the_same_files_changes_nothing(engine, tmp_path):
    load_register(engine, tmp_path)
    before = counts(engine)
    report = load(engine, "children", tmp_path / "children.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    load_register(engine, tmp_path)
    assert counts(engine) == before


def test_an_xlsx_file_imports_like_a_csv(engine, tmp_path):
    load(engine, "branches", write(tmp_path, "branches.csv", BRANCHES))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "branch", "bank_bin", "account_number", "account_name"])
    sheet.append(["vcb-main", "hd-an-phu", "970436", "0011001932418", "HOI LHPN XA AN PHU"])
    workbook.save(tmp_path / "banks.xlsx")
    assert load(engine, "bank-accounts", tmp_path / "banks.xlsx").created == 1
    with Session(engine) as session:
        bank = session.scalar(select(BankAccount))
        assert (bank.bank_bin, bank.account_number) == ("970436", "0011001932418")
        assert get_account(session, AccountKey("hd-an-phu", "assets:bank:vcb-main")).type == "asset"


def test_every_bad_row_is_reported_and_nothing_is_written(engine, tmp_path):
    load(engine, "branches", write(tmp_path, "branches.csv", BRANCHES))
    bad = write(
        tmp_path,
        "children.csv",
        CHILDREN.splitlines()[0]
        + "\n"
        + "\n".join(
            [
                "C-1,Nguyễn Văn A,2018-01-01,M,khong-co,orphan_both,,Bà A,,,,,2024-01-10,2024-01-10",  # 2: unknown branch
                "C-2,Nguyễn Văn B,31/02/2018,M,hd-an-phu,orphan_both,,Bà B,,,,,2024-01-10,2024-01-10",  # 3: bad date
                "C-3,Nguyễn Văn C,2021-01-01,M,hd-an-phu,orphan_both,,Bà C,,,,,2024-01-10,",  # 4: fine (aged 4)
                "C-3,Nguyễn Văn D,2021-01-01,M,hd-an-phu,orphan_both,,Bà D,,,,,2024-01-10,",  # 5: duplicate code
                "C-5,Nguyễn Văn E,2016-06-15,M,hd-an-phu,orphan_both,,Bà E,,,,,2024-01-10,",  # 6: 9 years old, no consent
                "C-6,Nguyễn Văn G,2016-06-16,M,hd-an-phu,mo_coi,,Bà G,,,,,2024-01-10,",  # 7: unknown category; 8 years old...
            ]
        )
        + "\n",
    )
    with pytest.raises(ImportRejected) as caught:
        load(engine, "children", bad)
    problems = {(e.row, e.column) for e in caught.value.errors}
    assert {(2, "branch"), (3, "date_of_birth"), (5, "code"), (6, "consent_child_on"), (7, "categories")} <= problems
    assert not any(row == 4 for row, _ in problems)
    assert counts(engine) == (0, 0, 0, 0)
    vi = [e.text("vi") for e in caught.value.errors]
    assert "dòng 6, cột consent_child_on: trẻ từ 7 tuổi trở lên: cần có sự đồng ý của trẻ" in vi


def test_an_amount_with_letters_and_unknown_references_are_reported(engine, tmp_path):
    load_register(engine, tmp_path)
    bad = write(
        tmp_path,
        "pledges2.csv",
        "code,sponsor,child,monthly_amount,start_month\n"
        "P-9,MDD000123,C-000123,500k,2025-01\n"
        "P-10,MDD999,C-000123,500000,2025-13\n"
        "P-11,MDD000123,C-000123,50000,2025-01\n",
    )
    with pytest.raises(ImportRejected) as caught:
        load(engine, "pledges", bad)
    problems = {(e.row, e.column) for e in caught.value.errors}
    assert problems == {(2, "monthly_amount"), (3, "sponsor"), (3, "start_month"), (4, "monthly_amount")}
    assert counts(engine)[2] == 2


def test_a_missing_column_and_an_unknown_column_reject_the_file(engine, tmp_path):
    with pytest.raises(ImportRejected, match="level: this column is missing"):
        load(engine, "branches", write(tmp_path, "b.csv", "code,name\nx,y\n"))
    with pytest.raises(ImportRejected, match="unknown column"):
        load(engine, "branches", write(tmp_path, "b.csv", "code,name,level,colour\nx,y,province,red\n"))


def test_a_pledge_is_never_changed_by_re_import(engine, tmp_path):
    load_register(engine, tmp_path)
    changed = write(tmp_path, "p.csv", PLEDGES.replace("500.000 ₫", "700.000 ₫"))
    with pytest.raises(ImportRejected, match="other terms"):
        load(engine, "pledges", changed)


def test_the_health_card_comes_in_under_its_vietnamese_name_and_stays_when_the_column_is_absent(engine, tmp_path):
    for kind, text in REGISTER[:3]:
        load(engine, kind, write(tmp_path, f"{kind}.csv", text))
    lines = CHILDREN.splitlines()
    with_card = "\n".join([lines[0] + ",Hạn thẻ BHYT", lines[1] + ",31/12/2026", lines[2] + ","]) + "\n"
    assert load(engine, "children", write(tmp_path, "the.csv", with_card)).updated == 1
    load(engine, "children", write(tmp_path, "children.csv", CHILDREN))  # no card column: cards unchanged
    with Session(engine) as session:
        cards = dict(session.execute(select(Child.code, Child.health_card_valid_until)).all())
    assert cards == {"C-000123": date(2026, 12, 31), "C-000124": None}
