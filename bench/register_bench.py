"""The register's lists and search at scale (issue 17): 100,000 children on PostgreSQL or SQLite.

    .venv/bin/python -m bench.register_bench --engine postgres --children 100000

Loads the monthly-run bench's register (bench/run_bench.py: Core inserts, one child's month of money),
then times, as the web pages call them, a page of each list (with its count and totals), searches
typed as treasurers type them, and a child's and a sponsor's page, for an administrator (every branch)
and a commune's treasurer. Each figure is the median of several runs, beside a bare page of the same
table read in the same run (``SELECT … ORDER BY code LIMIT 50``): the ratio says what the filters,
counts and ranking cost.
Target: every page under 300 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session, col

from bench.ledger_bench import fresh_database
from bench.run_bench import FIRST, MONTH, load
from ledger.access.actor import Actor
from ledger.accounts import branch_and_descendants
from ledger.db import make_engine, upgrade
from ledger.demo_register import generate
from ledger.models import Branch
from ledger.people.child import child_record
from ledger.people.lists import ListRequest, listing
from ledger.people.sponsor import sponsor_record
from ledger.register.finding import find_people
from ledger.register.models import Child, Sponsor

RUNS = 7


def timed(work: Callable[[], Any]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--children", type=int, default=100_000)
    args = parser.parse_args()
    url, kwargs = fresh_database(args.engine)
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    register = generate(children=args.children, sponsors=args.children * 3 // 4, first_month=FIRST, today=MONTH,
                        second_sponsor_share=0.5)  # fmt: skip
    load(engine, register)
    today = date(MONTH.year, MONTH.month, 15)
    with Session(engine) as session:
        everyone = Actor.local_administrator("bench")
        commune = session.scalar(select(Branch).where(col(Branch.level) == "commune").order_by(col(Branch.code)))
        assert commune is not None
        ids = frozenset(b.id for b in branch_and_descendants(session, commune.code))
        treasurer = Actor("thu-quy", "treasurer", ids, home_branch_id=commune.id)
        someone = session.scalar(select(Child).order_by(col(Child.code)).offset(args.children // 2).limit(1))
        assert someone is not None
        sponsor = session.scalar(select(Sponsor.code).order_by(col(Sponsor.code)).offset(args.children // 3).limit(1))
        assert sponsor is not None
        typed = someone.search_text.split(" ", 1)[1]  # her name, folded as typed without accents
        plain = select(col(Child.code), col(Child.full_name), col(Child.date_of_birth)).order_by(col(Child.code))
        bare = timed(lambda: session.execute(plain.limit(50)).all())
        print(f"{args.engine}, {args.children:,} children; bare page of 50: {bare:.1f} ms")
        cases: list[tuple[str, Actor, Callable[[Session, Actor], Any]]] = [
            ("children, page 1", everyone, lambda s, a: listing(s, a, ListRequest("children"), today=today)),
            ("children, Godmother, by name, page 1", everyone, lambda s, a: listing(
                s, a, ListRequest("children", program="godmother", sort="full_name"), today=today)),
            ("children, Godmother, by name, page 200", everyone, lambda s, a: listing(
                s, a, ListRequest("children", program="godmother", sort="full_name", page=200), today=today)),
            ("children, allowance, age 6-10", everyone, lambda s, a: listing(
                s, a, ListRequest("children", program="social-allowance", age_band="6-10"), today=today)),
            ("children ageing out soon", everyone, lambda s, a: listing(
                s, a, ListRequest("children", ageing_out=True), today=today)),
            ("children of a commune (treasurer)", treasurer, lambda s, a: listing(
                s, a, ListRequest("children", sort="full_name"), today=today)),
            ("pledges, active, page 1", everyone, lambda s, a: listing(
                s, a, ListRequest("pledges", status="active"), today=today)),
            ("sponsors, page 1", everyone, lambda s, a: listing(s, a, ListRequest("sponsors"), today=today)),
            (f"search '{typed}'", everyone, lambda s, a: find_people(s, a, typed)),
            ("search 'hoa'", everyone, lambda s, a: find_people(s, a, "hoa")),
            ("search 'nguyen thi'", everyone, lambda s, a: find_people(s, a, "nguyen thi")),
            (f"search code {someone.code}", everyone, lambda s, a: find_people(s, a, someone.code)),
            ("search a reference MDD000123T1126", everyone, lambda s, a: find_people(s, a, "MDD000123T1126")),
            ("search 'hoa' (treasurer)", treasurer, lambda s, a: find_people(s, a, "hoa")),
            (f"a child's page ({someone.code})", everyone, lambda s, a: child_record(s, a, someone.code, today=today)),
            ("a sponsor's page", everyone, lambda s, a: sponsor_record(s, a, sponsor, today=today)),
        ]  # fmt: skip
        for name, actor, work in cases:
            ms = timed(lambda work=work, actor=actor: (work(session, actor), session.rollback()))
            verdict = "ok" if ms < 300 else "SLOW"
            print(f"  {name:<45} {ms:8.1f} ms  {ms / bare:6.1f}× bare  {verdict}")
    with engine.begin() as connection:
        connection.execute(text("SELECT 1"))


if __name__ == "__main__":
    main()
