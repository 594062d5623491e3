"""A commune treasurer's whole month end in the browser, in Vietnamese, as she works: no typed URL, no CLI.

Her browser asks for English (en-US) and the pages still speak Vietnamese. Every page of the journey is
checked by axe-core and for English words; screenshots are kept in test-output/screenshots.
"""

from __future__ import annotations

import re
import string
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select
from sqlmodel import Session

from ledger import cash
from ledger.access.models import AuditEvent
from ledger.branch_settings import FOUR_EYES, set_branch_setting
from ledger.db import run_in_transaction
from ledger.disbursement.handover import handover_proposal
from ledger.models import Branch, LedgerTransaction
from ledger.months import Month, today_in_vietnam
from ledger.register.models import BankAccount
from tests.api.conftest import IN
from tests.factories import admin
from tests.web.conftest import shot
from tests.web.test_journeys import DESKTOP, confirm, sign_in

pytestmark = pytest.mark.slow

# Words of English a Vietnamese page must not show (none is also a Vietnamese word without its marks).
ENGLISH = set(
    [
        "the",
        "and",
        "of",
        "is",
        "was",
        "not",
        "from",
        "with",
        "for",
        "this",
        "that",
        "has",
        "have",
        "will",
        "would",
        "paid",
        "month",
        "account",
        "transaction",
        "bank",
        "cash",
        "run",
        "payment",
        "payments",
        "sponsor",
        "child",
        "children",
        "give",
        "choose",
        "waits",
        "done",
        "error",
        "balance",
        "received",
        "record",
        "close",
        "closed",
        "reversal",
        "reverse",
        "amount",
        "days",
        "line",
        "lines",
        "statement",
        "unmatched",
        "nothing",
        "there",
        "yes",
        "should",
        "please",
    ]
)
VISIBLE_TEXT = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('[lang]:not([lang="vi"]), script, style, input, textarea').forEach(e => e.remove());
  return copy.textContent;
}"""
AXE = Axe()


def english_words(text: str) -> list[str]:
    found = []
    for token in text.split():
        if any(mark in token for mark in ":-_/@.#0123456789") or token.isupper():
            continue  # codes, accounts, amounts, dates, user names; a bank's unaccented capitals ("TAP THE")
        word = token.strip(string.punctuation + "“”‘’…·←").lower()
        if word in ENGLISH:
            found.append(word)
    return found


def looked_at(page, name: str) -> None:
    """The page as she sees it: saved, no axe-core violation, and (in Vietnamese) no English."""
    page.wait_for_load_state("load")
    shot(page, f"month-end-{name}")
    results = AXE.run(page)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    if page.locator("html").get_attribute("lang") == "vi":
        words = english_words(page.evaluate(VISIBLE_TEXT))
        assert not words, f"{name} shows English on a Vietnamese page: {words}"


def tab(page, name: str) -> None:
    page.locator("nav.staff").get_by_role("link", name=name, exact=True).click()


@pytest.fixture(scope="module")
def four_eyes(world):
    run_in_transaction(
        world.database.engine,
        lambda s: set_branch_setting(s, branch=IN, name=FOUR_EYES.name, value="on", actor=admin("quan-tri")),
    )
    return world


def test_a_commune_treasurer_finishes_her_month_end_in_the_browser(browser, live, four_eyes, tmp_path):
    world = four_eyes
    month = Month.of(today_in_vietnam())
    context = browser.new_context(viewport=DESKTOP, locale="en-US", accept_downloads=True)
    page = context.new_page()
    sign_in(page, live, "thu-quy-an-lao")
    page.wait_for_url(re.compile(r"/treasurer"))
    assert page.locator("html").get_attribute("lang") == "vi"  # Vietnamese whatever the browser asks
    todo = page.get_by_role("region", name="Việc cần làm")
    assert "250.000" in todo.inner_text() and "tạm thu" in todo.inner_text()  # suspense, with amount and age
    assert f"Chưa chạy chi trả tháng {month.month:02d}/{month.year}" in todo.inner_text()
    looked_at(page, "01-dashboard")

    # The month's run: the preview says what it will pay; four eyes: prepared, then approved by another.
    tab(page, "Chi trả tháng")
    assert page.get_by_role("heading", name=re.compile("Trạng thái: Chưa chạy")).is_visible()
    looked_at(page, "02-run-preview")
    page.get_by_role("button", name=re.compile("^Chi trả tháng này")).click()
    page.wait_for_selector("text=Đã lập, chờ duyệt", timeout=600_000)
    looked_at(page, "03-run-prepared")
    page.get_by_role("link", name=re.compile("Chi trả tháng")).last.click()
    assert page.get_by_role("heading", name=re.compile("Đã lập, chờ duyệt")).is_visible()
    assert page.get_by_role("button", name=re.compile("Duyệt")).count() == 0  # not by the one who prepared it

    second = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    other = second.new_page()
    sign_in(other, live, "thu-quy-xa-an-lao")
    other.wait_for_url(re.compile(r"/treasurer"))
    assert "chờ người thứ hai duyệt" in other.get_by_role("region", name="Việc cần làm").inner_text()
    other.locator("nav.staff").get_by_role("link", name="Chi trả tháng", exact=True).click()
    other.get_by_role("button", name=re.compile("^Duyệt và chi trả")).click()
    assert "Đã duyệt và chi" in other.get_by_role("status").inner_text()
    assert other.get_by_role("heading", name=re.compile("Trạng thái: Đã chi trả")).is_visible()
    looked_at(other, "04-run-approved")
    second.close()

    # The bank statement of the month: cash drawn for the meeting, a fee, a transfer nobody knows.
    with Session(world.database.engine) as session:
        proposal = handover_proposal(session, actor=admin("test"), branch=IN, month=month)
    code, _, amount = min(proposal.waiting, key=lambda w: w[2])
    drawn = 5_000_000
    assert amount <= drawn < proposal.total
    # The commune banks at the People's Credit Fund, whose export the product does not know yet.
    statement = tmp_path / "quy-tin-dung-thang.csv"
    day = f"{month.month:02d}/{month.year}"
    statement.write_text(
        "QUỸ TÍN DỤNG NHÂN DÂN AN LÃO\nBảng kê giao dịch\n\nNgày,Diễn giải,Tiền ra,Tiền vào,Còn lại\n"
        f"01/{day},RUT TIEN MAT CHI TRA,5.000.000,,\n02/{day},PHI SMS,1.100,,\n"
        f"02/{day},CHUYEN KHOAN KHONG RO NGUOI GUI,,275.000,\n",
        encoding="utf-8",
    )
    page.goto(page.url)  # back on her own page after the approval
    tab(page, "Đối chiếu ngân hàng")
    page.get_by_label("Sao kê ngân hàng (.csv, .xlsx, .xml)").set_input_files(str(statement))
    page.get_by_role("button", name="Nhập và đối chiếu").click()
    assert page.get_by_role("heading", name=re.compile("Cách đọc sao kê")).is_visible()  # the mapping step
    assert "RUT TIEN MAT CHI TRA" in page.get_by_role("table").inner_text()
    looked_at(page, "05a-statement-columns")
    page.get_by_label("Ngày giao dịch").select_option("Ngày")
    page.get_by_label("Nội dung").select_option("Diễn giải")
    page.get_by_label("Ghi nợ (tiền ra)").select_option("Tiền ra")
    page.get_by_label("Ghi có (tiền vào)").select_option("Tiền vào")
    page.get_by_role("button", name="Đọc tệp theo cách này và nhập").click()
    done = page.get_by_role("status").inner_text()
    assert "3 dòng mới" in done and "ghi nhớ" in done
    looked_at(page, "05-bank-imported")
    page.get_by_text(re.compile("Xử lý dòng")).first.click()  # the withdrawal: into the cash box
    withdrawal = page.locator("details[open]")
    withdrawal.get_by_label("Ghi vào tài khoản").select_option(label="Rút tiền mặt về quỹ")
    withdrawal.get_by_label("Diễn giải").fill("Rút tiền mặt chi trả tháng")
    withdrawal.get_by_role("button", name="Ghi sổ và khớp").click()
    looked_at(page, "06-confirm-withdrawal")
    confirm(page)
    assert "✓" in page.get_by_role("status").inner_text()
    page.get_by_text(re.compile("Xử lý dòng")).first.click()  # the fee
    fee = page.locator("details[open]")
    fee.get_by_label("Ghi vào tài khoản").select_option(label="Phí ngân hàng")
    fee.get_by_label("Diễn giải").fill("Phí SMS tháng")
    fee.get_by_role("button", name="Ghi sổ và khớp").click()
    confirm(page)

    # Suspense: the unknown transfer goes back to its sender, the old one is the budget's.
    tab(page, "Khoản tạm thu chờ xác định")
    looked_at(page, "07-suspense")
    unknown = page.locator("section.card", has_text="275.000")
    unknown.locator("summary", has_text="Hoàn trả người gửi").click()
    unknown.get_by_label("Lý do").fill("Người gửi nhầm tài khoản, đã gọi xác nhận")
    unknown.get_by_role("button", name="Hoàn trả người gửi").click()
    assert "Hoàn trả 275.000" in page.get_by_role("heading", level=1).inner_text()
    confirm(page)
    assert "Hoàn trả" in page.get_by_role("status").inner_text()
    old = page.locator("section.card", has_text="250.000")
    old.locator("summary", has_text="Ghi vào quỹ").click()
    opened = old.locator("details[open]")
    opened.get_by_label("Căn cứ xác định").fill("Ngân sách xã chuyển trợ cấp, công văn số 12")
    opened.get_by_role("button", name="Ghi vào quỹ").click()
    confirm(page)
    assert page.locator("section.card").count() == 0

    # Handing over: the cash box cannot pay everyone; one guardian in cash, the rest by bank.
    tab(page, "Tổng quan tháng")
    handover = page.get_by_role("region", name="Giao tiền cho người giám hộ")
    assert "Rút thêm" in handover.inner_text()  # the form says what the cash box can pay
    handover.get_by_role("button", name="Tất cả người giám hộ đã nhận").click()
    refusal = page.get_by_role("alert").inner_text()  # said before anything is asked, with the figures
    assert "Quỹ tiền mặt" in refusal and "Hãy rút thêm" in refusal
    assert page.get_by_role("button", name=re.compile("Đồng ý")).count() == 0
    looked_at(page, "08-not-enough-cash")
    page.get_by_role("link", name=re.compile("Quay lại")).click()
    for attempt in ("first", "again"):
        page.get_by_label("Cháu (Mã)").fill(code)
        page.get_by_label("Người nhận").fill("Bà Nguyễn Thị Lan")
        page.get_by_role("button", name="Ghi nhận đã giao").click()
        if attempt == "first":
            assert f"{code}: đã giao" in page.get_by_role("status").inner_text()
    told = page.get_by_role("alert").inner_text()  # a domain error, told in Vietnamese from its facts
    assert f"Người giám hộ của {code} đã nhận tiền tháng {month.month:02d}/{month.year}" in told
    looked_at(page, "08b-already-handed-over")
    page.get_by_role("link", name=re.compile("Quay lại sửa")).click()
    assert page.get_by_label("Cháu (Mã)").input_value() == code  # what she typed is still there
    handover = page.get_by_role("region", name="Giao tiền cho người giám hộ")
    handover.locator("#h_method").select_option("bank")
    handover.get_by_role("button", name="Tất cả người giám hộ đã nhận").click()
    looked_at(page, "09-confirm-handovers")
    confirm(page)
    assert "người giám hộ đã nhận" in page.get_by_role("status").inner_text()
    tab(page, "Sổ quỹ tiền mặt")
    book = page.get_by_role("region", name="Sổ quỹ tiền mặt").inner_text()
    assert "5.000.000" in book and "Rút tiền" in book
    looked_at(page, "10-cash-book")

    # A payment typed with too many zeros: asked twice, recorded, then reversed with a reason.
    tab(page, "Tổng quan tháng")
    page.get_by_label(re.compile(r"Mẹ đỡ đầu \(Mã\)")).fill(world.codes.sponsor[IN])
    page.get_by_label(re.compile("Số tiền")).fill("50.000.000.000")
    page.get_by_role("button", name="Ghi nhận", exact=True).click()
    assert "Có gõ nhầm không?" in page.get_by_role("alert").inner_text()
    looked_at(page, "11-unusual-amount")
    page.get_by_label("Tôi đã kiểm tra lại và vẫn muốn làm").check()
    confirm(page)
    assert "Đã ghi nhận" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="Xem hoặc đảo khoản này").click()
    page.get_by_label("Lý do").fill("Gõ thừa số 0")
    page.get_by_role("button", name="Đảo bút toán").click()
    confirm(page)
    assert "Đã đảo bằng giao dịch" in page.get_by_role("status").inner_text()
    looked_at(page, "12-reversed")

    # Closing: the page lists every month it closes, and asks twice when earlier months close too.
    tab(page, "Tổng quan tháng")
    page.get_by_role("region", name="Khóa sổ").get_by_role("button", name="Khóa sổ").click()
    previous = month.previous()
    assert f"{previous.month:02d}/{previous.year}" in page.get_by_role("main").inner_text()
    looked_at(page, "13-confirm-close")
    if page.get_by_role("alert").count():
        page.get_by_label("Tôi đã kiểm tra lại và vẫn muốn làm").check()
    confirm(page)
    assert "Đã khóa sổ đến" in page.get_by_role("status").inner_text()

    # The reports of the month.
    for name in ("Báo cáo tháng của thủ quỹ (PDF)", "Phiếu chi trả người giám hộ (PDF)"):
        with page.expect_download() as download:
            page.get_by_role("link", name=name).click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.read_bytes().startswith(b"%PDF")
    looked_at(page, "14-dashboard-after")
    context.close()

    with Session(world.database.engine) as session:
        acts = set(session.scalars(select(AuditEvent.action).where(AuditEvent.door == "web")))
        assert {"run.start", "run.approve", "bank.book", "bank.suspense-cleared", "handover", "transaction.reverse",
                "period.close"} <= acts  # fmt: skip
        reversal = session.scalar(select(LedgerTransaction).where(LedgerTransaction.kind == "reversal"))
        assert reversal is not None


def test_the_same_pages_in_english_keep_the_page_when_switching(browser, live, four_eyes):
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    sign_in(page, live, "thu-quy-an-lao")
    page.wait_for_url(re.compile(r"/treasurer"))
    tab(page, "Sổ quỹ tiền mặt")
    page.get_by_label("Tháng làm việc").fill("2026-11")
    page.get_by_role("button", name="Xem", exact=True).click()
    page.get_by_role("link", name="English").click()
    assert "month=2026-11" in page.url and page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Cash book")
    for name, heading in (("The month at a glance", "The month at a glance"), ("Monthly run", "Monthly run"),
                          ("Bank reconciliation", "Bank reconciliation"), ("Money in suspense", "Money in suspense"),
                          ("Cash book", "Cash book")):  # fmt: skip
        tab(page, name)
        assert page.get_by_role("heading", level=1).inner_text().startswith(heading)
        assert "month=2026-11" in page.url  # the working month is carried from page to page
        looked_at(page, f"en-{name.lower().replace(' ', '-')}")
    context.close()


def test_a_bank_line_is_matched_by_picking_the_transaction_not_typing_its_number(browser, live, four_eyes, tmp_path):
    """Cash drawn on the 1st that the bank booked on the 7th: too far apart to match by itself."""
    world = four_eyes
    first = Month.of(today_in_vietnam()).first_day
    with Session(world.database.engine) as session:
        bank = session.scalar(select(BankAccount.code).join(Branch, Branch.id == BankAccount.branch_id)
                              .where(Branch.code == IN))  # fmt: skip
    drawn = run_in_transaction(
        world.database.engine,
        lambda s: cash.move_cash(s, branch=IN, bank_account=bank, amount=1_234_000, direction="withdraw", on=first,
                                 actor=admin("thu-quy-an-lao")),
    )  # fmt: skip
    statement = tmp_path / "sao-ke-rut.csv"
    statement.write_text(
        "SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT\nNgày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Mô tả\n"
        f"{first + timedelta(days=6):%d/%m/%Y},R7,1.234.000,,,RUT TIEN MAT TAI QUAY\n",
        encoding="utf-8",
    )
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    sign_in(page, live, "thu-quy-an-lao")
    page.wait_for_url(re.compile(r"/treasurer"))
    tab(page, "Đối chiếu ngân hàng")
    page.get_by_label("Sao kê ngân hàng (.csv, .xlsx, .xml)").set_input_files(str(statement))
    page.get_by_role("button", name="Nhập và đối chiếu").click()
    assert "1 dòng mới, 0 dòng đã khớp" in page.get_by_role("status").inner_text()
    row = page.get_by_role("row", name=re.compile("RUT TIEN MAT TAI QUAY"))
    row.get_by_text(re.compile("Xử lý dòng")).click()
    row.get_by_role("link", name="Khớp với giao dịch trong sổ…").click()
    candidates = page.get_by_role("group", name="Các giao dịch có thể khớp")
    assert str(drawn.id) in candidates.inner_text() and "±6" in candidates.inner_text()
    page.get_by_label("Tìm giao dịch (tên, mã, số)").fill("rut tien")  # as typed, without accents
    page.get_by_role("button", name="Tìm", exact=True).click()
    assert str(drawn.id) in page.get_by_role("group", name="Các giao dịch có thể khớp").inner_text()
    looked_at(page, "15-line-candidates")
    page.get_by_label(str(drawn.id), exact=True).check()
    page.get_by_label("Lý do").fill("Ngân hàng ghi sổ chậm 6 ngày")
    page.get_by_role("button", name="Khớp", exact=True).click()
    confirm(page)
    assert "✓" in page.get_by_role("status").inner_text()
    assert page.get_by_role("row", name=re.compile("RUT TIEN MAT TAI QUAY")).count() == 0
    context.close()
