"""Each user's main journey in a real browser: a sponsor on a phone, a treasurer and an auditor on a desktop."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from sqlalchemy import select
from sqlmodel import Session

from ledger.disbursement.models import Handover
from ledger.models import Branch, Disbursement
from ledger.months import Month, today_in_vietnam
from ledger.register.models import Child
from tests.api.conftest import IN, PASSWORD
from tests.web.conftest import shot

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def in_english(context, live):
    """English is a choice the reader makes (a cookie); whatever the browser asks, pages start in Vietnamese."""
    context.add_cookies([{"name": "lang", "value": "en", "url": live}])


def confirm(page):
    """The page that says what a form will do asks once; say yes."""
    page.get_by_role("button", name=re.compile("Đồng ý, thực hiện|Yes, do it")).click()


def sign_in(page, live, name):
    page.goto(live + "/")
    assert page.url.endswith("/sign-in")
    page.get_by_label(re.compile("Tên đăng nhập|User name")).fill(name)
    page.get_by_label(re.compile("Mật khẩu|Password")).fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Đăng nhập|Sign in")).click()


def test_a_sponsor_on_a_phone_sees_pledges_pays_and_downloads(browser, live, world, tmp_path):
    context = browser.new_context(viewport=PHONE, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    sign_in(page, live, "nha-tai-tro")
    page.wait_for_url(live + "/sponsor")
    assert page.get_by_role("heading", name="Nộp kỳ tới").is_visible()
    assert page.locator(".qr svg").count() == 1  # the VietQR code to scan
    assert page.get_by_text(world.codes.sponsor_user_sponsor).first.is_visible()
    assert page.locator("article").count() >= 1  # a pledge with its months
    shot(page, "sponsor-vi-phone")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", name="Pay the next instalment").is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the statement for")).first.click()
    path = tmp_path / "statement.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    with page.expect_download() as kept:  # a statement the scheduler issued, as it was sent
        page.locator("a[href^='/sponsor/stored/']").first.click()
    assert kept.value.suggested_filename == "s.pdf"
    shot(page, "sponsor-en-phone")
    # Nothing of the staff's is open to a sponsor.
    page.goto(live + "/treasurer")
    assert "You may not do this" in page.content() or "sponsors see only" in page.content()
    context.close()


def test_a_treasurer_records_a_payment_and_finds_a_child(browser, live, world):
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    sign_in(page, live, "thu-quy-an-lao")
    page.wait_for_url(live + "/treasurer")
    assert page.get_by_text("Đã thu trong tháng").is_visible()
    shot(page, "treasurer-dashboard")
    page.get_by_label(re.compile(r"Mẹ đỡ đầu \(Mã\)")).fill(world.codes.sponsor[IN])
    page.get_by_label(re.compile("Số tiền")).fill("300.000")
    page.get_by_role("button", name="Ghi nhận", exact=True).click()
    assert "300.000" in page.get_by_role("heading", level=1).inner_text()  # what it will record, asked once
    confirm(page)
    status = page.get_by_role("status")
    assert "300.000" in status.inner_text() and "Đã ghi nhận" in status.inner_text()
    page.get_by_role("link", name="Tìm").click()
    page.get_by_label(re.compile("Trẻ em")).fill(world.codes.child[IN])
    page.get_by_role("button", name="Tìm").click()
    assert page.get_by_role("cell", name=world.codes.child[IN]).is_visible()
    shot(page, "treasurer-search")
    context.close()


def test_an_auditor_reads_the_trial_balance_and_the_ledger_check(browser, live, world):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", accept_downloads=True)
    in_english(context, live)
    page = context.new_page()
    sign_in(page, live, "kiem-toan-an-lao")
    page.wait_for_url(live + "/auditor")
    assert page.get_by_text(re.compile("Intact: hash chain")).is_visible()
    total = page.locator("tr.sum")  # opening, movements and closing: debit beside credit, each pair equal
    opening_d, opening_c, debit, credit, closing_d, closing_c = (c.inner_text() for c in total.locator("td.num").all())
    assert (opening_d, debit, closing_d) == (opening_c, credit, closing_c) and debit != "0 ₫"
    for name in ("Excel (XLSX)", "Bank book (Excel)"):  # the trial balance's, and the bank book's
        with page.expect_download() as sheet:
            page.get_by_role("link", name=name).click()
        assert sheet.value.suggested_filename.endswith(".xlsx")
    with page.expect_download() as download:
        page.get_by_role("link", name="Auditor pack (PDF)").click()
    assert download.value.suggested_filename.startswith("audit-")
    shot(page, "auditor")
    with page.expect_download() as statement:
        page.get_by_label("Sponsor statement (Code)").fill(world.codes.sponsor[IN])
        page.get_by_role("button", name="Download").click()
    assert statement.value.suggested_filename.startswith(f"sponsor-{world.codes.sponsor[IN]}")
    page.locator("a[href^='/auditor/account']").first.click()
    assert page.get_by_role("cell", name="Opening balance").is_visible()
    shot(page, "auditor-account")
    context.close()


def test_a_treasurer_imports_runs_hands_over_and_reconciles(browser, live, world, tmp_path):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    in_english(context, live)
    page = context.new_page()
    sign_in(page, live, "thu-quy-an-lao")
    page.wait_for_url(live + "/treasurer")
    # A spreadsheet with a bad row: the row report, nothing imported.
    bad = tmp_path / "nha-tai-tro.csv"
    bad.write_text("code,name,kind,phone,email,language,branch\nMDD777001,Trần Thị Mới,individual,,,vi,hp-an-lao\n"
                   "MDD777002,Lê Văn Sai,company,,,vi,hp-an-lao\n", encoding="utf-8")  # fmt: skip
    page.get_by_role("link", name="Import a spreadsheet").click()
    page.get_by_label("The file holds").select_option("sponsors")
    page.get_by_label("File (.csv, .xlsx)").set_input_files(str(bad))
    page.get_by_role("button", name="Import a spreadsheet").click()
    report = page.get_by_role("alert")
    assert "nothing was imported" in report.inner_text() and "3" in report.inner_text()  # row 3
    shot(page, "treasurer-import-rejected")
    good = tmp_path / "nha-tai-tro-2.csv"
    good.write_text("code,name,kind,phone,email,language,branch\nMDD777001,Trần Thị Mới,individual,,,vi,hp-an-lao\n",
                    encoding="utf-8")  # fmt: skip
    page.get_by_label("File (.csv, .xlsx)").set_input_files(str(good))
    page.get_by_role("button", name="Import a spreadsheet").click()
    assert "1 new" in page.get_by_role("status").inner_text()  # the preview: nothing imported yet
    page.get_by_role("button", name="Import 1 rows").click()
    assert "1 rows: 1 new" in page.get_by_role("status").inner_text()
    # The month's run: preview, then run with progress until done.
    page.goto(live + "/treasurer")
    page.get_by_role("link", name="Monthly run").click()
    assert page.get_by_text("A preview: nothing is posted yet.").is_visible()
    page.get_by_role("button", name=re.compile("^Run the month")).click()
    page.wait_for_selector("text=The run is done.", timeout=600_000)
    shot(page, "treasurer-run")
    # One guardian receives the month's money in cash and signs the slip; its photo is kept.
    this_month = Month.of(today_in_vietnam())
    with Session(world.database.engine) as session:
        paid = session.scalar(
            select(Disbursement.child_code)
            .join(Child, Child.code == Disbursement.child_code)
            .join(Branch, Branch.id == Child.branch_id)
            .where(Disbursement.month == this_month.first_day, Branch.code.like(f"{IN}%"))
            .order_by(Disbursement.child_code)
        )
    photo = tmp_path / "phieu-ky.png"
    Image.new("RGB", (40, 20), "white").save(photo)
    page.goto(live + "/treasurer")
    page.get_by_label("Child (Code)").fill(paid)
    page.get_by_label("Received by").fill("Bà Nguyễn Thị Lan")
    page.locator("#one_method").select_option("bank")
    page.get_by_label("Photo of the signed slip").set_input_files(str(photo))
    page.get_by_role("button", name="Record the handover").click()
    assert f"{paid}: handed over" in page.get_by_role("status").inner_text()
    with Session(world.database.engine) as session:
        kept = session.scalar(select(Handover).join(Child, Child.id == Handover.child_id).where(Child.code == paid))
        assert kept is not None and kept.evidence_id is not None and kept.received_by == "Bà Nguyễn Thị Lan"
    # The bank: import a statement, see what did not match, resolve a line by hand.
    statement = tmp_path / "sao-ke.csv"
    statement.write_text("SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT\nNgày giao dịch,Số tham chiếu,Số tiền ghi nợ,"
                         "Số tiền ghi có,Số dư,Mô tả\n03/03/2030,S3,2.200,,,PHI SMS THANG 3\n", encoding="utf-8")  # fmt: skip
    page.goto(live + "/treasurer/bank?month=2030-03")
    page.get_by_label("Bank statement (.csv, .xlsx, .xml)").set_input_files(str(statement))
    page.get_by_role("button", name="Import and match").click()
    assert "1 new lines" in page.get_by_role("status").inner_text()
    assert page.get_by_role("heading", name="In the bank, not in the ledger").is_visible()
    shot(page, "treasurer-bank")
    page.get_by_text(re.compile("Resolve line #")).click()
    page.get_by_label("Description").fill("Phí SMS tháng 3")
    page.get_by_role("button", name="Book and match").click()
    confirm(page)
    assert "done" in page.get_by_role("status").inner_text()
    assert page.get_by_role("heading", name="In the bank, not in the ledger").count() == 0
    context.close()


def test_an_administrator_adds_a_user_and_changes_a_branch_setting(browser, live):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    in_english(context, live)
    page = context.new_page()
    sign_in(page, live, "admin")
    page.wait_for_url(live + "/admin")
    page.get_by_label("User name", exact=True).fill("thu-quy-moi")
    page.get_by_label("Role", exact=True).select_option("treasurer")
    page.get_by_role("region", name="Users and roles").get_by_label("Branch").select_option(IN)
    page.get_by_label("Password", exact=True).fill("mat-khau-rat-dai-1")
    page.get_by_role("button", name="Add the user").click()
    assert "+ thu-quy-moi (treasurer)" in page.get_by_role("status").inner_text()
    assert page.get_by_role("cell", name="thu-quy-moi", exact=True).is_visible()
    page.locator("#s_branch").select_option("hp-tien-lang")
    page.locator("#s_name").select_option("four-eyes")
    page.locator("#s_value").fill("on")
    page.get_by_role("button", name="Record").click()
    assert "hp-tien-lang: four-eyes = on" in page.get_by_role("status").inner_text()
    assert page.get_by_text("Standard social-assistance level").first.is_visible()
    page.get_by_role("button", name="Disable thu-quy-moi").click()
    confirm(page)
    assert "− thu-quy-moi" in page.get_by_role("status").inner_text()
    shot(page, "admin")
    context.close()


def test_the_backup_status_is_on_the_admin_page_and_a_missing_backup_on_the_to_do_list(browser, live, world, tmp_path):
    from ledger.backup.take import take_backup
    from tests.factories import admin

    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    sign_in(page, live, "admin")
    page.wait_for_url(live + "/admin")
    backups = page.get_by_role("region", name="Sao lưu dữ liệu")
    if "Chưa có bản sao lưu nào" in backups.inner_text():
        page.goto(live + "/treasurer")
        assert "Chưa có bản sao lưu nào" in page.get_by_role("region", name="Việc cần làm").inner_text()
    taken = take_backup(world.database.engine, folder=tmp_path, actor=admin("admin"))
    page.goto(live + "/admin")
    text = backups.inner_text()
    assert "Bản sao lưu tốt gần nhất" in text and taken.path.name in text
    assert f"#{taken.manifest.ledger.chain_seq}" in text
    shot(page, "admin-backups")
    page.goto(live + "/treasurer")
    assert "sao lưu" not in page.get_by_role("region", name="Việc cần làm").inner_text()
    context.close()


def test_a_sponsor_chooses_not_to_be_named_and_anyone_reads_the_public_account(browser, live, world):
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    sign_in(page, live, "nha-tai-tro")
    page.wait_for_url(live + "/sponsor")
    privacy = page.get_by_role("region", name="Tên tôi trong công khai tài chính")
    assert "đang được nêu" in privacy.inner_text()
    privacy.get_by_role("button", name="Không nêu tên tôi").click()
    page.wait_for_url(re.compile(r"/sponsor"))
    assert (
        "Bạn đã chọn không nêu tên" in page.get_by_role("region", name="Tên tôi trong công khai tài chính").inner_text()
    )
    page.get_by_role("link", name="Xem bảng công khai").click()
    page.wait_for_url(re.compile(r"/cong-khai/"))
    assert "Công khai tài chính" in page.get_by_role("heading", level=1).inner_text()
    shot(page, "public-account")
    page.goto(live + "/sponsor")
    page.get_by_role("button", name="Nêu tên tôi").click()
    assert "đang được nêu" in page.get_by_role("region", name="Tên tôi trong công khai tài chính").inner_text()
    context.close()
