"""``/cong-khai/{branch}``: the public account, for anyone, as a page, a CSV file and a PDF.

Figures come from ``ledger.public_account``; this door only shapes them and keeps each answer
for a few minutes per branch, month, language and format, so that a crowd of readers costs the
database nothing. The page also says through which transaction the ledger was last verified
(``verify`` runs at most once per new chain head, in the background of the first reader).
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

import weasyprint
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from weasyprint.urls import URLFetcher, URLFetcherResponse

from api.web.session import page, reader_lang, say
from ledger.db import reading
from ledger.months import Month, today_in_vietnam
from ledger.public_account import PublicMonth, public_month
from ledger.verify import verify
from pdf_templates.labels import label

router = APIRouter(include_in_schema=False)
SITE_STATIC = FilePath(__file__).parent / "static"


class SiteStylesheetOnly(URLFetcher):
    """The PDF of the page reads the site's own stylesheet, and nothing else: no network, no file."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        name = url.removeprefix("file:///static/")
        if name == "site.css":
            return URLFetcherResponse(url, (SITE_STATIC / name).read_bytes(), {"Content-Type": "text/css"})
        raise ValueError(f"the public account's PDF reads only its stylesheet, not {url[:80]}")


TTL_SECONDS = 300.0
MAX_KEPT = 512
_kept: OrderedDict[tuple[str, ...], tuple[float, Response]] = OrderedDict()
_lock = threading.Lock()
_verified: dict[str, object] = {}  # seq, ok, at: the last verification of the whole ledger
computed = 0  # how many answers were computed (the cache's tests read it)


def _program(lang: str, name: str) -> str:
    if not name:
        return say(lang, "other_programs")
    try:
        return label(lang, f"program.{name}")
    except KeyError:
        return name


def _integrity(session: Session, seq: int, head: str) -> dict[str, object]:
    if (_verified.get("seq"), _verified.get("hash")) != (seq, head):
        report = verify(session)
        _verified.update(seq=report.head_seq, hash=report.head_hash, ok=report.ok, at=datetime.now(UTC))
    return dict(_verified)


def _cached(key: tuple[str, ...], make: Callable[[], Response]) -> Response:
    now = time.monotonic()
    with _lock:
        hit = _kept.get(key)
        if hit is not None and hit[0] > now:
            _kept.move_to_end(key)
            return hit[1]
    response = make()
    with _lock:
        _kept[key] = (now + TTL_SECONDS, response)
        while len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)
    return response


def _month(text: str | None) -> Month:
    return Month.parse(text) if text else Month.of(today_in_vietnam()).previous()


Branch = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
MonthQuery = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]


@router.get("/cong-khai/{branch}")
async def public_page(request: Request, branch: Branch, month: MonthQuery = None) -> Response:
    lang = reader_lang(request)
    wanted = _month(month)
    fmt = "html"
    for suffix in (".csv", ".pdf"):
        if branch.endswith(suffix):
            branch, fmt = branch.removesuffix(suffix), suffix[1:]
    key = (branch, str(wanted), lang, fmt)
    kept = _kept.get(key)  # the crowd's path: no session, no thread, no database
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]

    def make() -> Response:
        global computed
        computed += 1
        with Session(reading(request.app.state.engine)) as db:
            return _answer(request, db, branch, wanted, lang, fmt)

    return await run_in_threadpool(_cached, key, make)


def _answer(request: Request, db: Session, branch: str, wanted: Month, lang: str, fmt: str) -> Response:
    account = public_month(db, branch, wanted)
    integrity = _integrity(db, account.chain_seq, account.chain_hash)
    if fmt == "csv":
        return Response(_csv(account, lang), media_type="text/csv; charset=utf-8", headers=_download(account, "csv"))
    shown = page(
        request, "public.html", lang, user=None, account=account, integrity=integrity,
        program=lambda name: _program(lang, name), months=_recent(wanted), printing=fmt == "pdf",
    )  # fmt: skip
    html = bytes(shown.body).decode()
    if fmt == "pdf":
        pdf = weasyprint.HTML(string=html, base_url="file:///", url_fetcher=SiteStylesheetOnly()).write_pdf()
        return Response(pdf, media_type="application/pdf", headers=_download(account, "pdf"))
    return Response(html, media_type="text/html; charset=utf-8", headers={"Cache-Control": "public, max-age=300"})


def _download(account: PublicMonth, suffix: str) -> dict[str, str]:
    name = f"cong-khai-{account.branch}-{account.month}.{suffix}"
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "public, max-age=300"}


def _recent(month: Month) -> list[str]:
    months, current = [], Month.of(today_in_vietnam())
    for _ in range(12):
        current = current.previous()
        months.append(str(current))
    return months if str(month) in months else [str(month), *months]


def _csv(account: PublicMonth, lang: str) -> bytes:
    vi = lang == "vi"
    out = io.StringIO()
    write = csv.writer(out).writerow
    write(["muc" if vi else "section", "dien_giai" if vi else "item", "so_tre" if vi else "children", "so_tien_dong"])
    for name, amount in account.sponsors:
        write(["nhan_tu_nha_tai_tro" if vi else "received_from_sponsor", name, "", amount])
    if account.anonymous_amount:
        who = f"{account.anonymous_sponsors} nhà tài trợ ẩn danh" if vi else f"{account.anonymous_sponsors} anonymous"
        write(["nhan_tu_nha_tai_tro" if vi else "received_from_sponsor", who, "", account.anonymous_amount])
    for program, decision, amount in account.budgets:
        write(["nhan_ngan_sach" if vi else "received_from_budget", f"{_program(lang, program)} {decision}".strip(),
               "", amount])  # fmt: skip
    for line in account.paid_out:
        write(["chi_tra" if vi else "paid_out", _program(lang, line.program),
               line.children if line.children is not None else "<5", line.amount])  # fmt: skip
    write(["giao_nguoi_giam_ho" if vi else "handed_to_guardians", "", "", account.handed_over])
    write(["phi_ngan_hang" if vi else "bank_fees", "", "", account.bank_fees])
    write(["khac" if vi else "other", "", "", account.other])
    write(["so_du_quy_cuoi_thang" if vi else "held_in_funds_at_month_end", "", "", account.held_in_funds])
    shortfall = account.shortfall_children
    write(["thieu_hut" if vi else "shortfalls", "", shortfall if shortfall is not None else "<5",
           account.shortfall_amount if account.shortfall_amount is not None else ""])  # fmt: skip
    write(["dau_chuoi_so_cai" if vi else "ledger_chain_head", account.chain_hash, "", account.chain_seq])
    return ("\ufeff" + out.getvalue()).encode()  # with a BOM: Excel opens Vietnamese text right
