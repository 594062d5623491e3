"""A nation on PostgreSQL (issue 21): 34 provinces, 3,321 communes with their village groups, and the
register at national size; do the reads that pages make stay flat from 1,000 children to the nation?

    .venv/bin/python -m bench.national                       # 1,000,000 children (about 1.4 million pledges)
    .venv/bin/python -m bench.national --children 100000     # a tenth of it, to try
    .venv/bin/python -m bench.national --run [--one-month]   # the nation's monthly run (see ``the_run``)

Each size gets a fresh PostgreSQL schema (``BENCH_DATABASE_URL``, by default the local ``test``
database). The country is the 2025 map: the 34 provinces' codes (the ones the eligibility parameters
know), 3,321 communes spread over them, two village groups each and a bank account per commune.
The people are the demo register's generator at the asked size (Vietnamese names, 70 sponsors for
100 children, 1.4 pledges a child, the social allowance for about 60 % of the eligible), spread over
the nation's village groups; they are loaded by the monthly-run bench's bulk path (Core inserts,
then one month of sponsors' money posted with ``post_many``, one child in ten left short, and a
budget for each commune).

Then, at 1,000 children and at the asked size, the median of seven runs of: the trial balance of
the whole nation as of a past date and as of now, by kind (each branch's children's accounts on one
line each; target under 2 s) and by account (every account: millions of lines), a commune's list of children
(a page, with count and totals), a child's page and a sponsor's statement. The ratio of the two
sizes says whether the read stays flat.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session, col

from bench.ledger_bench import analyze, fresh_database
from bench.register_bench import timed
from bench.run_bench import (
    FIRST,
    MONTH,
    load,
    load_register,
    monthly_pledged,
    plain_copy,
    post_money,
    run_in_fresh_process,
)
from ledger.access.actor import Actor
from ledger.balances import trial_balance, trial_balance_by_kind
from ledger.db import make_engine, upgrade
from ledger.demo_register import Register, generate
from ledger.disbursement.checking import check_month
from ledger.disbursement.models import Run
from ledger.disbursement.run import run_month
from ledger.ground.columns import table_of
from ledger.models import Branch, Posting
from ledger.months import Month
from ledger.people.child import child_record
from ledger.people.lists import ListRequest, listing
from ledger.register.models import Child, Pledge, PledgeChange, Sponsor
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather

PROVINCES = (
    # the 23 formed by merging (their codes as the parameters' successions name them), then the 11 unchanged
    "tuyen-quang", "lao-cai", "thai-nguyen", "phu-tho", "bac-ninh", "hung-yen", "hai-phong", "ninh-binh",
    "quang-tri", "da-nang", "quang-ngai", "gia-lai", "khanh-hoa", "lam-dong", "dak-lak", "ho-chi-minh",
    "dong-nai", "tay-ninh", "can-tho", "vinh-long", "dong-thap", "ca-mau", "an-giang",
    "ha-noi", "hue", "lai-chau", "dien-bien", "son-la", "lang-son", "quang-ninh", "thanh-hoa", "nghe-an",
    "ha-tinh", "cao-bang",
)  # fmt: skip
COMMUNES = 3_321


def nation(children: int, *, communes: int = COMMUNES, seed: int = 2025) -> Register:
    """The demo register's people at ``children``, living in the nation's village groups."""
    people = generate(children=children, sponsors=children * 7 // 10, first_month=FIRST, today=MONTH,
                      second_sponsor_share=0.4, seed=seed)  # fmt: skip
    rng = random.Random(seed)
    register = Register(children=people.children, sponsors=people.sponsors, pledges=people.pledges,
                        enrolments=people.enrolments)  # fmt: skip
    groups: list[str] = []
    for p, province in enumerate(PROVINCES):
        register.branches.append({"code": province, "name": f"Hội LHPN tỉnh {province}", "parent": "",
                                  "level": "province", "province": province})  # fmt: skip
        for n in range(p, communes, len(PROVINCES)):  # 3,321 communes, dealt round the provinces
            commune = f"{province}-x{n:04d}"
            register.branches.append({"code": commune, "name": f"Hội LHPN xã {n}", "parent": province,
                                      "level": "commune", "province": ""})  # fmt: skip
            register.bank_accounts.append({"code": f"vcb-{commune}", "branch": commune, "bank_bin": "970436",
                                           "account_number": f"{rng.randrange(10**12, 10**13)}",
                                           "account_name": f"HOI LHPN XA {n}"})  # fmt: skip
            for group in ("t1", "t2"):
                register.branches.append({"code": f"{commune}-{group}", "name": f"Chi hội thôn {group}",
                                          "parent": commune, "level": "group", "province": ""})  # fmt: skip
                groups.append(f"{commune}-{group}")
    for child in register.children:
        child["branch"] = groups[rng.randrange(len(groups))]
    for sponsor in register.sponsors:
        sponsor["branch"] = groups[rng.randrange(len(groups))]
    return register


def world(children: int, *, months: bool = False) -> tuple[Engine, str, dict[str, Any]]:
    """A fresh nation of ``children``: one month of money, or (``months``) three months of history
    with the runs of the first two (see ``history``)."""
    url, kwargs = fresh_database("postgres")
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    t0 = time.perf_counter()
    register = nation(children)
    print(f"{children:,} children: {len(register.sponsors):,} sponsors, {len(register.pledges):,} pledges, "
          f"{len(register.enrolments):,} social-allowance enrolments, {len(register.branches):,} branches")  # fmt: skip
    if months:
        load_register(engine, register)
        history(engine, register)
    else:
        load(engine, register)
    print(f"  loaded in {time.perf_counter() - t0:.0f} s")
    return engine, url, kwargs


HISTORY = (Month(2026, 9), Month(2026, 10), MONTH)
ALLOWANCE = 975_000  # about a child's month of the allowance (the budgets are estimates, as in life)


def history(engine: Engine, register: Register, seed: int = 2025) -> None:
    """September to November 2026 as a country lives them, the first two months run:
    - 15 % of the children's sponsors pay late: half of them pay September with October, the other
      half pay nothing until November, then all three months (their runs catch up the shortfalls);
    - 3 % of them stop after September;
    - 4 % of the pledges are paused for October, or October and November;
    - every commune receives a social-allowance budget each month for its enrolled children, one
      commune in eight 80 % of what they are due, the others 105 %."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    pledged = monthly_pledged(register)
    kind = {child: rng.choices(("on-time", "late", "later", "stopped"), (82, 7.5, 7.5, 3))[0] for child in pledged}
    parents = {b["code"]: b["parent"] for b in register.branches}
    branch_of = {c["code"]: c["branch"] for c in register.children}
    enrolled = Counter(parents[branch_of[e["child"]]] for e in register.enrolments)
    communes = [row["branch"] for row in register.bank_accounts]
    budgets = {c: ALLOWANCE * enrolled[c] * (80 if n % 8 == 0 else 105) // 100 for n, c in enumerate(communes)}
    _pauses(engine, register, rng)
    for n, month in enumerate(HISTORY):
        owed = {"on-time": 1, "late": (0, 2, 1)[n], "later": (0, 0, 3)[n], "stopped": (1, 0, 0)[n]}
        paid = {child: amount * owed[kind[child]] for child, amount in pledged.items()}
        post_money(engine, register, month, paid, budgets)
        analyze(engine)
        if month != MONTH:
            run_month(engine, month, actor=Actor.local_administrator("bench"), on=month.first_day.replace(day=5))
    on_time = Counter(kind.values())["on-time"] * 100 // max(len(kind), 1)
    print(f"  three months of money and two runs in {time.perf_counter() - t0:.0f} s "
          f"({on_time} % of children's sponsors on time)")  # fmt: skip


def _pauses(engine: Engine, register: Register, rng: random.Random) -> None:
    with engine.begin() as connection:
        ids = dict(connection.execute(select(Pledge.code, Pledge.id)).all())
        connection.execute(
            insert(table_of(PledgeChange)),
            [
                {
                    "pledge_id": ids[p["code"]],
                    "kind": "pause",
                    "from_month": Month(2026, 10).first_day,
                    "until_month": rng.choice((Month(2026, 10), MONTH)).first_day,
                    "reason": "gia đình khó khăn",
                    "recorded_by": "bench",
                }
                for p in register.pledges
                if rng.random() < 0.04
            ],  # fmt: skip
        )


def the_run(engine: Engine, url: str, kwargs: dict[str, Any]) -> None:
    """November for the whole nation, in a process of its own; then its check, and every row it wrote
    copied into plain tables (the baseline)."""
    seconds, peak, run_id, decisions, paid = run_in_fresh_process(url, kwargs)
    with Session(engine) as session:
        t0 = time.perf_counter()
        checked, differences = check_month(session, MONTH)
        checking = time.perf_counter() - t0
        summary = session.scalar(select(Run.summary).where(col(Run.id) == run_id)) or {}
    baseline = plain_copy(engine, run_id)
    print(f"run-month {MONTH} for the nation: {decisions:,} decisions, {paid:,} children paid, "
          f"{summary.get('catch_up_total', 0):,} ₫ of earlier shortfalls caught up, "
          f"{summary.get('shortfalls', 0):,} decisions short")  # fmt: skip
    print(f"  run: {seconds:.1f} s (target < 180 s), peak memory {peak / 2**20:.0f} MiB with its deciders "
          "(target < 2048 MiB)")  # fmt: skip
    ratio = seconds / baseline
    print(f"  every row it wrote, copied into plain tables: {baseline:.1f} s; ratio {ratio:.2f} (target <= 3)")
    print(f"  run-month --check: {checked:,} decisions checked in {checking:.1f} s (target < 180 s), "
          f"{len(differences):,} differences")  # fmt: skip


def reads(engine: Engine) -> dict[str, float]:
    admin = Actor.local_administrator("bench", door="cli")
    with Session(engine) as session:
        postings = session.scalar(select(func.count()).select_from(Posting)) or 0
        # A commune near the middle of the nation, one of its children, and a sponsor who pledges.
        commune = session.scalar(
            select(Branch.code).where(col(Branch.level) == "commune").order_by(col(Branch.code)).offset(1_600).limit(1)
        )
        child = session.scalar(select(Child.code).order_by(col(Child.code)).offset(1 + session.scalar(
            select(func.count()).select_from(Child)) // 2).limit(1))  # fmt: skip
        sponsor = session.scalar(select(Sponsor.code).order_by(col(Sponsor.code)).limit(1))
        assert commune and child and sponsor
        past = MONTH.first_day.replace(day=3)
        figures = {
            "trial balance of the nation by kind, as of a past date": timed(
                lambda: trial_balance_by_kind(session, as_of=past)
            ),
            "trial balance of the nation by kind, now": timed(lambda: trial_balance_by_kind(session)),
            "trial balance of the nation by account, as of a past date": timed(
                lambda: trial_balance(session, as_of=past)
            ),
            "trial balance of the nation by account, now": timed(lambda: trial_balance(session)),
            "a commune's children (a page, counted)": timed(
                lambda: listing(session, admin, ListRequest(kind="children", branch=commune), today=date.today())
            ),
            "a child's page": timed(lambda: child_record(session, admin, child, today=date.today())),
            "a sponsor's statement (a month)": timed(
                lambda: gather(
                    session, StatementRequest("sponsor", sponsor, Period.month(MONTH)), issued_on=date.today()
                )
            ),
        }
        session.rollback()  # the readings' audit records are not kept
    print(f"  {postings:,} postings")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000, help="the size to compare with")
    parser.add_argument("--run", action="store_true", help="three months of history, then the nation's run")
    parser.add_argument(
        "--one-month", action="store_true", help="with --run: one month of money, not three months' history"
    )
    args = parser.parse_args()
    if args.run:
        the_run(*world(args.children, months=not args.one_month))
        return
    small, large = reads(world(args.small)[0]), reads(world(args.children)[0])
    print(f"\n{'read':<58} {args.small:>12,} {args.children:>12,}   ratio")
    for name in small:
        print(f"{name:<58} {small[name]:>10.1f} ms {large[name]:>10.1f} ms   {large[name] / small[name]:.2f}")


if __name__ == "__main__":
    main()
