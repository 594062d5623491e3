"""Books benchmark (issue 18): run by hand, each figure against a baseline measured in the same run.

    .venv/bin/python -m bench.books_bench                        # all three, SQLite
    .venv/bin/python -m bench.books_bench --only pack            # pack | auditor | xlsx
    .venv/bin/python -m bench.books_bench --engine postgres --only auditor

- **pack**: the audit pack of a commune for a year of the demo (gathering, Jinja2, WeasyPrint, the
  attached document), against WeasyPrint alone writing the very same HTML; pages per second for
  both. Target: under 20 s, and within 1.25× of WeasyPrint alone.
- **auditor**: what the auditor's page asks of the domain (the trial balance of a commune for the
  last month with its movements, and the ledger check from the newest verified checkpoint) on a
  ledger of 10,000 transactions and again of ``--large`` (default 1,000,000), the last month the
  same in both. Target: flat (ratio ≤ 1.5).
- **xlsx**: the general ledger of 100,000 lines as a spreadsheet (gathered and written, numbers as
  numbers, dates as dates, totals as formulas), against openpyxl's write-only workbook writing the
  same 100,000 rows of plain values. Target: seconds, not minutes; within 3× of plain.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import weasyprint
from openpyxl import Workbook
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session

from bench.ledger_bench import fresh_database
from ledger.accounts import AccountKey, create_branch, open_account
from ledger.checkpoints import verify_fully, verify_since
from ledger.db import make_engine, run_in_transaction, upgrade
from ledger.demo import load_demo
from ledger.months import Month
from ledger.posting import Entry, Leg, post_many
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather
from pdf_templates.books import book_xlsx
from pdf_templates.render import STATIC, render_html, render_pdf

ISSUED = date(2026, 12, 3)
LAST = Month(2026, 11)
ACCOUNTS = 40


def best(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_pack(rounds: int) -> None:
    path = Path(tempfile.mkdtemp()) / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    started = time.perf_counter()
    load_demo(engine)
    print(f"  (loaded the demo in {time.perf_counter() - started:.0f} s)")
    request = StatementRequest("audit", "hp-an-lao", Period(Month(2026, 1), LAST))
    with Session(engine) as session:
        document = gather(session, request, issued_on=ISSUED)
        session.commit()  # the checkpoint the first gathering leaves, as a served page would keep it
    html = render_html(document, "vi")
    pages = len(PdfReader(_pdf_file(render_pdf(document, "vi"))).pages)

    def ours() -> None:
        with Session(engine) as session:
            again = gather(session, request, issued_on=ISSUED)
        render_pdf(again, "vi")

    def alone() -> None:
        weasyprint.HTML(string=html, base_url=str(STATIC)).write_pdf()

    ours_s, alone_s = [], []
    for _ in range(rounds):  # alternating, the best of each counts
        ours_s.append(best(ours, 1))
        alone_s.append(best(alone, 1))
    o, a = min(ours_s), min(alone_s)
    print(
        f"audit pack hp-an-lao 01–11/2026: {pages} pages; ours {o:.1f} s ({pages / o:.1f} pages/s), "
        f"WeasyPrint alone {a:.1f} s ({pages / a:.1f} pages/s): ratio {o / a:.2f} (target < 20 s, ≤ 1.25)"
    )


def _pdf_file(data: bytes) -> Path:
    path = Path(tempfile.mkdtemp()) / "pack.pdf"
    path.write_bytes(data)
    return path


def _ledger(engine: Engine) -> None:
    def work(session: Session) -> None:
        create_branch(session, code="xa", name="Hội LHPN xã Bench", level="province")
        open_account(session, branch="xa", code="equity:opening-balances", opened_on=date(2015, 1, 1))
        for i in range(ACCOUNTS):
            open_account(session, branch="xa", code=f"assets:bank:a{i:02d}", opened_on=date(2015, 1, 1),
                         may_go_negative=True)  # fmt: skip

    run_in_transaction(engine, work)


def _transfers(rng: random.Random, n: int, first: date, days: int) -> list[Entry]:
    entries = []
    for _ in range(n):
        a, b = rng.sample(range(ACCOUNTS), 2)
        amount = rng.randint(1, 5_000_000)
        day = first + timedelta(days=rng.randrange(days))
        legs = (
            Leg(AccountKey("xa", f"assets:bank:a{a:02d}"), amount),
            Leg(AccountKey("xa", f"assets:bank:a{b:02d}"), -amount),
        )
        entries.append(Entry(day, "chuyển khoản", legs, posted_by="bench"))
    return entries


def _grow(engine: Engine, transactions: int, rng: random.Random) -> None:
    """History before the last month, in batches through the ledger's own bulk posting."""
    while transactions > 0:
        size = min(10_000, transactions)
        entries = _transfers(rng, size, date(2016, 1, 1), (LAST.first_day - date(2016, 1, 1)).days)
        run_in_transaction(engine, lambda s, es=entries: post_many(s, es))
        transactions -= size


def bench_auditor(kind: str, large: int) -> None:
    url, kwargs = fresh_database(kind)
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    _ledger(engine)
    rng = random.Random(18)
    recent = _transfers(rng, 2_000, LAST.first_day, 30)  # the month the page shows: the same in both
    run_in_transaction(engine, lambda s: post_many(s, recent))
    _grow(engine, 8_000, rng)
    run_in_transaction(engine, lambda s: verify_fully(s, by="bench"))

    def page() -> None:
        with Session(engine) as session:
            gather(session, StatementRequest("trial-balance", "xa", Period.month(LAST)), issued_on=ISSUED)
            verify_since(session, by="bench")
            session.commit()

    small = best(page, 5)
    started = time.perf_counter()
    _grow(engine, large - 10_000, rng)
    run_in_transaction(engine, lambda s: verify_fully(s, by="bench"))
    print(
        f"  (grew the ledger to {large:,} transactions and verified it fully in {time.perf_counter() - started:.0f} s)"
    )
    big = best(page, 5)
    print(
        f"auditor page ({kind}): {small * 1e3:.0f} ms at 10,000 transactions, {big * 1e3:.0f} ms at {large:,}: "
        f"ratio {big / small:.2f} (target ≤ 1.5)"
    )


def bench_xlsx(kind: str, lines: int) -> None:
    url, kwargs = fresh_database(kind)
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    _ledger(engine)
    entries = _transfers(random.Random(6), lines // 2, LAST.first_day, 30)
    for i in range(0, len(entries), 10_000):
        run_in_transaction(engine, lambda s, es=entries[i : i + 10_000]: post_many(s, es))
    request = StatementRequest("general-ledger", "xa", Period.month(LAST))
    with Session(engine) as session:
        document = gather(session, request, issued_on=ISSUED)
    rows = [
        (line["date"], line["voucher"], line["transaction"], line["description"], ", ".join(line["contra"]),
         line["debit"], line["credit"], line["balance_debit"], line["balance_credit"])
        for book in document["body"]["books"] for line in book["lines"]
    ]  # fmt: skip

    def ours() -> None:
        with Session(engine) as session:
            book_xlsx(gather(session, request, issued_on=ISSUED), "vi")

    def plain() -> None:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        for row in rows:
            sheet.append(row)
        workbook.save(Path(tempfile.mkdtemp()) / "plain.xlsx")

    o, p = best(ours, 2), best(plain, 2)
    tracemalloc.start()
    ours()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"general ledger of {len(rows):,} lines as XLSX ({kind}): ours {o:.1f} s (gathered and written), "
        f"openpyxl write-only alone {p:.1f} s: ratio {o / p:.2f} (target ≤ 3); Python peak {peak / 2**20:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--only", choices=["pack", "auditor", "xlsx"])
    parser.add_argument("--large", type=int, default=1_000_000, help="transactions for the auditor page's second run")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.only in (None, "pack"):
        bench_pack(args.rounds)
    if args.only in (None, "auditor"):
        bench_auditor(args.engine, args.large)
    if args.only in (None, "xlsx"):
        bench_xlsx(args.engine, 100_000)


if __name__ == "__main__":
    main()
