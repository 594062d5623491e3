"""A nation on PostgreSQL (issue 21): 34 provinces, 3,321 communes with their village groups, and the
register at national size; do the reads that pages make stay flat from 1,000 children to the nation?

    .venv/bin/python -m bench.national                       # 1,000,000 children (about 1.4 million pledges)
    .venv/bin/python -m bench.national --children 100000     # a tenth of it, to try

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
from datetime import date

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from bench.ledger_bench import fresh_database
from bench.register_bench import timed
from bench.run_bench import FIRST, MONTH, load
from ledger.access.actor import Actor
from ledger.balances import trial_balance, trial_balance_by_kind
from ledger.db import make_engine, upgrade
from ledger.demo_register import Register, generate
from ledger.models import Branch, Posting
from ledger.people.child import child_record
from ledger.people.lists import ListRequest, listing
from ledger.register.models import Child, Sponsor
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


def world(children: int) -> Engine:
    url, kwargs = fresh_database("postgres")
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    t0 = time.perf_counter()
    register = nation(children)
    print(f"{children:,} children: {len(register.sponsors):,} sponsors, {len(register.pledges):,} pledges, "
          f"{len(register.enrolments):,} social-allowance enrolments, {len(register.branches):,} branches")  # fmt: skip
    load(engine, register)
    print(f"  loaded in {time.perf_counter() - t0:.0f} s")
    return engine


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
    args = parser.parse_args()
    small, large = reads(world(args.small)), reads(world(args.children))
    print(f"\n{'read':<58} {args.small:>12,} {args.children:>12,}   ratio")
    for name in small:
        print(f"{name:<58} {small[name]:>10.1f} ms {large[name]:>10.1f} ms   {large[name] / small[name]:.2f}")


if __name__ == "__main__":
    main()
