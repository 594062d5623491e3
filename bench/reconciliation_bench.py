"""Reconciliation benchmark (issue 8): n statement lines against n ledger entries, auto-matched.

    .venv/bin/python -m bench.reconciliation_bench --sizes 10000 100000 [--engine postgres]

For each size: a branch with one bank account and 1,000 sponsors; n ledger transactions on the
account (60% sponsors' payments, 30% handovers to guardians, 10% other receipts), posted with
the ledger's bulk path (not timed); a statement of n lines for the same money as a bank writes
it (references mangled, amounts grouped, days shifted by up to two), imported (timed apart);
then ``auto_match`` (timed): loading what is open, the rules, writing every match. Targets:
100,000 in under 10 s, and time growing no faster than n log n between the two sizes.
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from bench.ledger_bench import fresh_database
from ledger.accounts import AccountKey, create_branch, open_account
from ledger.db import make_engine, run_in_transaction, upgrade
from ledger.posting import Entry, Leg, post_many
from ledger.reconciliation.importing import import_statement
from ledger.reconciliation.reconcile import auto_match
from ledger.register.models import BankAccount, Payment, Sponsor

START = date(2025, 1, 1)
BANK = "vcb-bench"
SPONSORS = 1_000


def setup(engine, n: int, folder: Path, rng: random.Random) -> Path:
    def register(session: Session) -> None:
        create_branch(session, code="xa", name="Hội LHPN xã Thử", level="commune")
        for code in (
            "equity:opening-balances",
            "liabilities:suspense",
            "income:donations:general",
            "liabilities:payable:guardian:all",
            "expenses:bank-fees",
        ):
            open_account(session, branch="xa", code=code, opened_on=START, may_go_negative=True)
        account = open_account(session, branch="xa", code=f"assets:bank:{BANK}", opened_on=START, may_go_negative=True)
        session.add(
            BankAccount(
                code=BANK,
                branch_id=account.branch_id,
                bank_bin="970436",
                account_number="0011001932418",
                account_name="HOI LHPN XA THU",
                account_id=account.id,
            )
        )
        session.execute(
            insert(Sponsor),
            [
                {
                    "code": f"MDD{i:06d}",
                    "name": f"Nhà tài trợ {i}",
                    "kind": "individual",
                    "branch_id": account.branch_id,
                }
                for i in range(1, SPONSORS + 1)
            ],
        )

    run_in_transaction(engine, register)
    bank, lines, receipts = AccountKey("xa", f"assets:bank:{BANK}"), [], []
    entries = []
    for i in range(n):
        day = START + timedelta(days=rng.randrange(365))
        kind = rng.random()
        amount = rng.choice((300_000, 500_000, 700_000, 1_000_000, 1_500_000)) + rng.randrange(0, 50) * 1_000
        if kind < 0.6:
            sponsor = rng.randrange(1, SPONSORS + 1)
            entries.append(
                Entry(
                    day,
                    f"MDD{sponsor:06d} nộp tiền",
                    (Leg(bank, amount), Leg(AccountKey("xa", "income:donations:general"), -amount)),
                    posted_by="bench",
                    kind="receipt",
                )
            )
            receipts.append((len(entries) - 1, sponsor, amount, day))
            text = f"MBVCB.{rng.randrange(10**9)}.{i:06d}.NGUYEN VAN {i} chuyen tien mdd {sponsor:06d} t{day:%m%y}"
            lines.append((day + timedelta(days=rng.randrange(0, 3)), amount, text))
        elif kind < 0.9:
            entries.append(
                Entry(
                    day,
                    "Trao tiền",
                    (Leg(AccountKey("xa", "liabilities:payable:guardian:all"), amount), Leg(bank, -amount)),
                    posted_by="bench",
                    kind="handover",
                )
            )
            lines.append((day + timedelta(days=rng.randrange(0, 3)), -amount, f"IBFT CHUYEN TIEN NGUOI GIAM HO {i}"))
        else:
            entries.append(
                Entry(
                    day,
                    "Thu khác",
                    (Leg(bank, amount), Leg(AccountKey("xa", "income:donations:general"), -amount)),
                    posted_by="bench",
                )
            )
            lines.append((day + timedelta(days=rng.randrange(0, 3)), amount, f"NOP TIEN MAT {i}"))
    ids: list[int] = []
    for start in range(0, n, 2_000):
        ids += [p.id for p in run_in_transaction(engine, lambda s, c=entries[start : start + 2_000]: post_many(s, c))]

    def payments(session: Session) -> None:
        sponsor_ids = {f"MDD{i:06d}": i for i in range(1, SPONSORS + 1)}  # ids follow codes in a fresh table
        session.execute(
            insert(Payment),
            [
                {
                    "paid_on": day,
                    "sponsor_id": sponsor_ids[f"MDD{s:06d}"],
                    "amount": a,
                    "method": "bank",
                    "bank_account_id": 1,
                    "transaction_id": ids[e],
                }
                for e, s, a, day in receipts
            ],
        )

    run_in_transaction(engine, payments)
    path = folder / f"sao-ke-{n}.csv"
    balance = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            "SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT\n"
            "Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Mô tả\n"
        )
        out.write(',,,,"0",Số dư đầu kỳ\n')
        for day, amount, text in sorted(lines):
            balance += amount
            debit, credit = (f'"{-amount:,}"', "") if amount < 0 else ("", f'"{amount:,}"')
            out.write(f'{day:%d/%m/%Y},,{debit},{credit},"{balance:,}",{text}\n')
        out.write(f',,,,"{balance:,}",Số dư cuối kỳ\n')
    return path


def measure(engine_kind: str, n: int) -> tuple[float, float, dict]:
    url, kwargs = fresh_database(engine_kind)
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    with tempfile.TemporaryDirectory() as folder:
        t = time.perf_counter()
        path = setup(engine, n, Path(folder), random.Random(n))
        print(f"  n={n:,}: ledger and statement made in {time.perf_counter() - t:.0f} s (not timed)")
        t = time.perf_counter()
        run_in_transaction(engine, lambda s: import_statement(s, path=path, account=BANK, by="bench"))
        imported = time.perf_counter() - t
    t = time.perf_counter()
    result = run_in_transaction(engine, lambda s: auto_match(s, account=BANK, by="bench"))
    matched = time.perf_counter() - t
    engine.dispose()
    return (
        imported,
        matched,
        {
            "matched": result.matched_lines,
            "rules": dict(result.rules),
            "created": result.payments_created,
            "suspense": result.to_suspense,
            "left": result.unmatched_lines,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    times = {}
    for n in args.sizes:
        imported, matched, result = measure(args.engine, n)
        times[n] = matched
        print(f"  n={n:,}: import {imported:.1f} s, auto-match {matched:.1f} s ({n / matched:,.0f} lines/s): {result}")
    if len(times) >= 2:
        small, large = min(times), max(times)
        growth = times[large] / times[small]
        nlogn = (large * math.log(large)) / (small * math.log(small))
        print(
            f"growth {small:,} → {large:,}: {growth:.1f}x; n log n would be {nlogn:.1f}x, "
            f"n² {(large / small) ** 2:.0f}x "
            f"({'no faster than n log n' if growth <= nlogn else 'FASTER than n log n'})"
        )
    if max(times) >= 100_000:
        print(
            f"100,000 lines: {times[max(times)]:.1f} s (target < 10 s: {'met' if times[max(times)] < 10 else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
