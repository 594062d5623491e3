"""The books in a real browser, in Vietnamese: an auditor downloads the general ledger and a child's
ledger and reads one account's sổ chi tiết; a treasurer files the children's funds under 3388,
and the auditor's trial balance shows it. Every page passes axe-core and shows no English."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import Session, select

from ledger.money import format_vnd
from ledger.months import Month, today_in_vietnam
from ledger.schedule.models import Notice
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather
from pdf_templates.verify import verify_statement
from tests.api.conftest import IN, OUT, PASSWORD
from tests.web.test_journeys import DESKTOP, sign_in
from tests.web.test_month_end import looked_at

pytestmark = pytest.mark.slow


def test_an_auditor_downloads_the_books_and_a_treasurer_renumbers_the_childrens_funds(browser, live, world):
    month = Month.of(today_in_vietnam())
    auditor = browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True).new_page()
    sign_in(auditor, live, "kiem-toan-an-lao")
    auditor.wait_for_url(live + "/auditor")
    looked_at(auditor, "books-auditor")

    with auditor.expect_download() as sheet:
        auditor.get_by_role("link", name="Sổ chi tiết các tài khoản (Excel)").click()
    workbook = load_workbook(BytesIO(Path(sheet.value.path()).read_bytes()))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert any(str(r[3] or "").startswith("112 · Tiền gửi ngân hàng") for r in rows)  # the bank, under its number

    child = world.codes.child[IN]
    with auditor.expect_download() as ledger:
        auditor.get_by_label("Sổ chi tiết theo trẻ (Mã)").fill(child)
        auditor.get_by_role("button", name="Tải sổ (PDF)").first.click()
    assert ledger.value.suggested_filename.startswith(f"child-ledger-{child}")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(ledger.value.path()).pages).split())
    assert "Sổ chi tiết theo trẻ" in text and "TK đối ứng" in text and child in text

    auditor.locator("a[href^='/auditor/account']").first.click()
    assert auditor.get_by_role("columnheader", name="TK đối ứng").is_visible()
    looked_at(auditor, "books-account")

    auditor.goto(f"{live}/books/numbers?branch={IN}")
    assert auditor.get_by_role("cell", name="111", exact=True).is_visible()
    assert auditor.get_by_role("button", name="Ghi nhận").count() == 0  # an auditor reads, she does not file
    looked_at(auditor, "books-numbers-auditor")

    treasurer = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
    sign_in(treasurer, live, "thu-quy-an-lao")
    treasurer.goto(f"{live}/books/numbers?branch={IN}")
    treasurer.get_by_label("Mã tài khoản (hoặc tiền tố)").fill("liabilities:fund:child:")
    treasurer.get_by_label("Số hiệu TK").fill("3388")
    treasurer.get_by_role("button", name="Ghi nhận").click()
    assert treasurer.get_by_role("status").inner_text().startswith("Đã đặt số hiệu 3388")
    looked_at(treasurer, "books-numbers-treasurer")

    treasurer.get_by_label("Mã tài khoản (hoặc tiền tố)").fill("liabilities:suspense")
    treasurer.get_by_label("Số hiệu TK").fill("33")  # not a number of the regime: told in Vietnamese
    treasurer.get_by_role("button", name="Ghi nhận").click()
    assert treasurer.get_by_text("“33” không phải là số hiệu tài khoản").first.is_visible()

    auditor.goto(f"{live}/auditor?branch={IN}&from={month}&to={month}")
    fund = auditor.locator("table.tb tbody tr", has_text=f"Quỹ của trẻ {child}").first
    assert fund.locator("td").first.inner_text() == "3388"
    with Session(world.database.engine) as session:
        book = gather(session, StatementRequest("trial-balance", IN, Period.month(month)), issued_on=today_in_vietnam())
    row = next(r for r in book["body"]["rows"] if r["account"] == f"liabilities:fund:child:{child}")
    shown = fund.locator("td.num").nth(5).inner_text()  # dư cuối kỳ, Có
    assert shown == (format_vnd(row["closing_credit"], "vi") if row["closing_credit"] else "")


def test_an_auditor_has_a_pack_made_in_the_background_and_finds_it_kept(browser, live, world):
    page = browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True).new_page()
    sign_in(page, live, "kiem-toan-an-lao")
    page.wait_for_url(live + "/auditor")
    page.get_by_role("button", name="Lập trong nền, báo khi xong").click()
    page.wait_for_url(re.compile(r"/statements/jobs/"))
    looked_at(page, "books-pack-progress")
    ready = page.get_by_role("status").filter(has_text="Hồ sơ đã lập xong")
    ready.wait_for(timeout=600_000)  # the page follows the work by itself; generous for a loaded machine
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Tải về")).click()
    pdf = Path(download.value.path()).read_bytes()
    with Session(world.database.engine) as session:
        assert verify_statement(session, pdf).ok
        told = session.scalars(select(Notice).where(Notice.kind == "statement-ready")).all()
    assert any(n.subject.startswith(f"audit:{IN}:") and "Đã lập xong" in n.message_vi for n in told)
    page.goto(live + "/auditor")
    kept = page.get_by_role("region", name="Hồ sơ đã lập")
    assert kept.get_by_role("link", name=re.compile(rf"^audit-{IN}-")).first.is_visible()
    looked_at(page, "books-auditor-kept")


def test_a_pack_outside_the_readers_branches_is_refused_before_it_starts(world):
    client = world.client
    client.cookies.clear()
    form = client.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
    client.post("/sign-in", data={"name": "kiem-toan-an-lao", "password": PASSWORD, "csrf": csrf})
    page = client.get("/auditor")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    month = str(Month.of(today_in_vietnam()))
    before = len(world.app.state.pack_jobs.jobs)
    refused = client.post(
        "/statements/audit/background",
        data={"branch": OUT, "from": month, "to": month, "csrf": csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 404 and len(world.app.state.pack_jobs.jobs) == before
    client.cookies.clear()
