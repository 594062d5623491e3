"""Statements benchmark (issue 6): 1,000 sponsor statements, in parallel over the machine's cores.

    .venv/bin/python -m bench.statements_bench                 # SQLite; --sponsors 200 to try

Loads a demo with 1,000 sponsors, then times, in the same run and with the same processes:
- **baseline**: WeasyPrint alone writing the very same HTML documents (made beforehand, not
  timed) to PDF files with the default URL fetcher;
- **ours**: the whole batch as ``godmother statement sponsors`` does it: gathering every
  sponsor's figures from the database, Jinja2, verification code, the restricted fetcher,
  the attached document, writing the files.
Each is run ``--rounds`` times, alternating; the best of each counts. Target: ours ≤ 1.25×.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import weasyprint
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.db import make_engine, reading, upgrade
from ledger.demo import load_demo
from ledger.models import Disbursement
from ledger.months import Month, today_in_vietnam
from ledger.statements.document import Period, StatementRequest
from ledger.statements.sponsor import sponsor_statements
from pdf_templates.batch import Job, default_workers, render_all
from pdf_templates.render import STATIC, render_html


@dataclass(frozen=True, slots=True)
class PlainJob:
    html: str
    path: Path


def weasyprint_only(job: PlainJob) -> int:
    data = weasyprint.HTML(string=job.html, base_url=str(STATIC)).write_pdf()
    job.path.write_bytes(data)
    return len(data)


def ours(engine, month: Month, out: Path, workers: int) -> tuple[float, int]:
    start = time.perf_counter()
    with Session(reading(engine)) as session:
        documents = sponsor_statements(session, period=Period.month(month), issued_on=today_in_vietnam())
    jobs = [
        Job(d, d["body"]["sponsor"]["language"], out / StatementRequest.from_json(d["request"]).filename)
        for d in documents
    ]
    size = render_all(jobs, workers=workers)
    return time.perf_counter() - start, size


def baseline(plain: list[PlainJob], workers: int) -> tuple[float, int]:
    start = time.perf_counter()
    size = render_all(plain, workers=workers, work=weasyprint_only)
    return time.perf_counter() - start, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sponsors", type=int, default=1000)
    parser.add_argument("--months", type=int, default=4, help="months of demo history")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        engine = make_engine(f"sqlite:///{root / 'bench.db'}")
        upgrade(engine)
        t = time.perf_counter()
        load_demo(engine, children=int(args.sponsors * 1.2), sponsors=args.sponsors, months=args.months, folder=root)
        with Session(engine) as session:
            month = Month.of(session.scalar(select(func.max(Disbursement.month))))
        print(f"demo: {args.sponsors} sponsors, {args.months} months, loaded in {time.perf_counter() - t:.0f} s")

        with Session(engine) as session:
            documents = sponsor_statements(session, period=Period.month(month), issued_on=today_in_vietnam())
        plain_dir, ours_dir = root / "plain", root / "ours"
        plain_dir.mkdir()
        ours_dir.mkdir()
        plain = [
            PlainJob(render_html(d, d["body"]["sponsor"]["language"]), plain_dir / f"{i}.pdf")
            for i, d in enumerate(documents)
        ]
        print(f"{len(plain)} statements for {month}, {args.workers} worker processes")

        best_plain = best_ours = float("inf")
        for round_ in range(1, args.rounds + 1):
            seconds, size = baseline(plain, args.workers)
            best_plain = min(best_plain, seconds)
            print(f"round {round_}: WeasyPrint alone {seconds:6.1f} s ({len(plain) / seconds:5.1f}/s, {size >> 20} MB)")
            seconds, size = ours(engine, month, ours_dir, args.workers)
            best_ours = min(best_ours, seconds)
            print(f"round {round_}: whole batch      {seconds:6.1f} s ({len(plain) / seconds:5.1f}/s, {size >> 20} MB)")
        ratio = best_ours / best_plain
        verdict = "met" if ratio <= 1.25 else "MISSED"
        print(
            f"best: WeasyPrint alone {best_plain:.1f} s, whole batch {best_ours:.1f} s: "
            f"{ratio:.2f}x (target 1.25x: {verdict})"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
