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
from ledger.ground.messages import message
from ledger.models import Branch, LedgerTransaction
from ledger.money import format_vnd
from ledger.months import Month, today_in_vietnam
from ledger.register.models import BankAccount
from tests.api.conftest import IN
from tests.factories import admin
from tests.web.conftest import shot
from tests.web.test_journeys import DESKTOP, confirm, in_english, sign_in

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


class Words:
    """The catalogue's words in one language, as the journey looks for them on the pages."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, /, **fields: object) -> str:
        return message(key if ":" in key else f"web:{key}", self.lang, **fields)

    def parts(self, key: str) -> list[str]:
        """The fixed words of a message with fields, each of which must be on the page."""
        text = message(key if ":" in key else f"web:{key}", self.lang)
        return [part.strip() for part in re.split(r"\{[^}]*\}", text) if len(part.strip()) > 2]

    def month(self, month: Month) -> str:
        return f"{month.month:02d}/{month.year}" if self.lang == "vi" else str(month)

    def money(self, amount: int) -> str:
        return format_vnd(amount, self.lang)


def said_all(parts: list[str], text: str) -> bool:
    return all(part in text for part in parts)


def month_end(browser, live, world, tmp_path, lang: str) -> None:
    """The whole month end of An Lão's treasurer, finding everything by the catalogue's words in ``lang``."""
    w = Words(lang)
    month = Month.of(today_in_vietnam())
    context = browser.new_context(viewport=DESKTOP, locale="en-US", accept_downloads=True)
    if lang == "en":
        in_english(context, live)
    page = context.new_page()
    sign_in(page, live, "thu-quy-an-lao")
    page.wait_for_url(re.compile(r"/treasurer"))
    assert page.locator("html").get_attribute("lang") == lang  # Vietnamese whatever the browser asks
    todo = page.get_by_role("region", name=w("notices")).inner_text()
    assert w.money(250_000) in todo  # suspense, with its amount and age
    assert w("todo:run", month=w.month(month)) in todo
    looked_at(page, f"{lang}-01-dashboard")

    # The month's run: the preview says what it will pay; four eyes: prepared, then approved by another.
    tab(page, w("monthly_run"))
    assert page.get_by_role("heading", name=f"{w('state')}: {w('state.not-run')}").is_visible()
    looked_at(page, f"{lang}-02-run-preview")
    page.get_by_role("button", name=re.compile("^" + re.escape(w("run_it")))).click()
    page.wait_for_selector(f"text={w('state.prepared')}", timeout=600_000)
    looked_at(page, f"{lang}-03-run-prepared")
    page.get_by_role("link", name=re.compile(re.escape(w("monthly_run")))).last.click()
    assert page.get_by_role("heading", name=f"{w('state')}: {w('state.prepared')}").is_visible()
    assert page.get_by_role("button", name=re.compile(re.escape(w("approve_it")))).count() == 0  # not the preparer's

    second = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    if lang == "en":
        in_english(second, live)
    other = second.new_page()
    sign_in(other, live, "thu-quy-xa-an-lao")
    other.wait_for_url(re.compile(r"/treasurer"))
    waiting = other.get_by_role("region", name=w("notices")).inner_text()
    assert said_all(w.parts("todo:approve"), waiting)
    other.locator("nav.staff").get_by_role("link", name=w("monthly_run"), exact=True).click()
    other.get_by_role("button", name=re.compile("^" + re.escape(w("approve_it")))).click()
    assert said_all(w.parts("run_approved"), other.get_by_role("status").inner_text())
    assert other.get_by_role("heading", name=f"{w('state')}: {w('state.done')}").is_visible()
    looked_at(other, f"{lang}-04-run-approved")
    second.close()

    # The bank statement of the month: cash drawn for the meeting, a fee, a transfer nobody knows.
    with Session(world.database.engine) as session:
        proposal = handover_proposal(session, actor=admin("test"), branch=IN, month=month)
    code, _, amount = min(proposal.waiting, key=lambda waits: waits[2])
    assert amount <= 5_000_000 < proposal.total
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
    tab(page, w("bank_status"))
    page.get_by_label(w("statement_file")).set_input_files(str(statement))
    page.get_by_role("button", name=w("import_and_match")).click()
    assert page.get_by_role("heading", name=re.compile(re.escape(w("columns_title")))).is_visible()  # the mapping
    assert "RUT TIEN MAT CHI TRA" in page.get_by_role("table").inner_text()
    looked_at(page, f"{lang}-05a-statement-columns")
    page.get_by_label(w("role.date")).select_option("Ngày")
    page.get_by_label(w("role.description")).select_option("Diễn giải")
    page.get_by_label(w("role.debit")).select_option("Tiền ra")
    page.get_by_label(w("role.credit")).select_option("Tiền vào")
    page.get_by_role("button", name=w("columns_import")).click()
    done = page.get_by_role("status").inner_text()
    assert done.startswith("3 ") and said_all(w.parts("statement_done_named"), done)
    looked_at(page, f"{lang}-05-bank-imported")
    for account, reason in (("as_cash", "Rút tiền mặt chi trả tháng"), ("as_fee", "Phí SMS tháng")):
        page.get_by_text(re.compile(re.escape(w("resolve_line")))).first.click()  # the withdrawal, then the fee
        line = page.locator("details[open]")
        line.get_by_label(w("book_to")).select_option(label=w(account))
        line.get_by_label(w("description")).fill(reason)
        line.get_by_role("button", name=w("book_it")).click()
        looked_at(page, f"{lang}-06-confirm-{account}")
        confirm(page)
        assert said_all(w.parts("line_done"), page.get_by_role("status").inner_text())

    # Suspense: the unknown transfer goes back to its sender, the old one is the budget's.
    tab(page, w("suspense"))
    looked_at(page, f"{lang}-07-suspense")
    unknown = page.locator("section.card", has_text=w.money(275_000))
    unknown.locator("summary", has_text=w("refund")).click()
    unknown.get_by_label(w("reason")).fill("Người gửi nhầm tài khoản, đã gọi xác nhận")
    unknown.get_by_role("button", name=w("refund")).click()
    assert w("suspense_refund", amount=w.money(275_000)) in page.get_by_role("heading", level=1).inner_text()
    confirm(page)
    assert w("suspense_refund", amount=w.money(275_000)) in page.get_by_role("status").inner_text()
    old = page.locator("section.card", has_text=w.money(250_000))
    old.locator("summary", has_text=w("assign_fund")).click()
    opened = old.locator("details[open]")
    opened.get_by_label(w("how_known")).fill("Ngân sách xã chuyển trợ cấp, công văn số 12")
    opened.get_by_role("button", name=w("assign_fund")).click()
    confirm(page)
    assert page.locator("section.card").count() == 0

    # Handing over: the cash box cannot pay everyone; one guardian in cash, the rest by bank.
    tab(page, w("dashboard"))
    handover = page.get_by_role("region", name=w("handover"))
    assert said_all(w.parts("cash_short"), handover.inner_text())  # what the cash box can pay
    handover.get_by_role("button", name=w("handover_all")).click()
    refusal = page.get_by_role("alert").inner_text()  # said before anything is asked, with the figures
    assert said_all(w.parts("error:not-enough-cash"), refusal)
    assert page.get_by_role("button", name=w("confirm_yes")).count() == 0
    looked_at(page, f"{lang}-08-not-enough-cash")
    page.get_by_role("link", name=re.compile(re.escape(w("confirm_back")))).click()
    child_code = f"{w('child')} ({w('code')})"
    for attempt in ("first", "again"):
        page.get_by_label(child_code).fill(code)
        page.get_by_label(w("received_by")).fill("Bà Nguyễn Thị Lan")
        page.get_by_role("button", name=w("handover_record")).click()
        if attempt == "first":
            assert w("handed_one", child=code) in page.get_by_role("status").inner_text()
    told = page.get_by_role("alert").inner_text()  # a domain error, told from its facts
    assert said_all(w.parts("error:already-handed-over"), told) and code in told and w.month(month) in told
    looked_at(page, f"{lang}-08b-already-handed-over")
    page.get_by_role("link", name=re.compile(re.escape(w("back_correct")))).click()
    assert page.get_by_label(child_code).input_value() == code  # what she typed is still there
    handover = page.get_by_role("region", name=w("handover"))
    handover.locator("#h_method").select_option("bank")
    handover.get_by_role("button", name=w("handover_all")).click()
    looked_at(page, f"{lang}-09-confirm-handovers")
    confirm(page)
    assert said_all(w.parts("handovers_done"), page.get_by_role("status").inner_text())
    tab(page, w("cash_book"))
    book = page.get_by_role("region", name=w("cash_book")).inner_text()
    assert w.money(5_000_000) in book and w.money(amount) in book
    looked_at(page, f"{lang}-10-cash-book")

    # A payment typed with too many zeros: asked twice, recorded, then reversed with a reason.
    tab(page, w("dashboard"))
    page.get_by_label(f"{w('sponsor')} ({w('code')})").fill(world.codes.sponsor[IN])
    page.get_by_label(f"{w('amount')} (₫)").fill("50.000.000.000")
    page.get_by_role("button", name=w("save"), exact=True).click()
    assert said_all(w.parts("unusual_pledges"), page.get_by_role("alert").inner_text())
    looked_at(page, f"{lang}-11-unusual-amount")
    page.get_by_label(w("confirm_check")).check()
    confirm(page)
    assert said_all(w.parts("payment_done"), page.get_by_role("status").inner_text())
    page.get_by_role("link", name=w("this_payment")).click()
    page.get_by_label(w("reason")).fill("Gõ thừa số 0")
    page.get_by_role("button", name=w("undo")).click()
    confirm(page)
    assert said_all(w.parts("reversed_done"), page.get_by_role("status").inner_text())
    looked_at(page, f"{lang}-12-reversed")
    tab(page, w("transactions"))  # every entry of the month, each one opening on its own page
    assert w("kind.reversal") in page.get_by_role("table").inner_text()
    looked_at(page, f"{lang}-12b-transactions")

    # Closing: the page lists every month it closes, and asks twice when earlier months close too.
    tab(page, w("dashboard"))
    page.get_by_role("region", name=w("close_month")).get_by_role("button", name=w("close_month")).click()
    assert w.month(month.previous()) in page.get_by_role("main").inner_text()
    looked_at(page, f"{lang}-13-confirm-close")
    if page.get_by_role("alert").count():
        page.get_by_label(w("confirm_check")).check()
    confirm(page)
    assert said_all(w.parts("closed_through"), page.get_by_role("status").inner_text())

    # The reports of the month.
    for name in (w("treasurer_report"), w("guardian_slips"), w("payment_list")):
        with page.expect_download() as download:
            page.get_by_role("link", name=name).click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.read_bytes().startswith(b"%PDF")
    looked_at(page, f"{lang}-14-dashboard-after")
    context.close()

    with Session(world.database.engine) as session:
        acts = set(session.scalars(select(AuditEvent.action).where(AuditEvent.door == "web")))
        assert {"run.start", "run.approve", "bank.book", "bank.mapping", "bank.suspense-cleared", "handover",
                "transaction.reverse", "period.close"} <= acts  # fmt: skip
        assert session.scalar(select(LedgerTransaction).where(LedgerTransaction.kind == "reversal")) is not None


def test_a_commune_treasurer_finishes_her_month_end_in_the_browser_in_vietnamese(browser, live, four_eyes, tmp_path):
    month_end(browser, live, four_eyes, tmp_path, "vi")


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
