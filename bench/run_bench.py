"""Monthly-run benchmark (issue 4): 100,000 children, 150,000 pledges and the social allowance.

    .venv/bin/python -m bench.run_bench --engine sqlite      # or postgres; --children 10000 to try

Loads the generated register (``ledger.demo_register``) in bulk, funds most children's funds and
the program funds, then runs one month in a fresh process (so its peak memory is its own) and
compares it with a plain bulk insert, into twin tables without triggers, of the same transaction
and posting rows the run wrote, measured in the same run. Targets: under 60 s, under 1 GiB, and
within 3x of the plain insert.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from datetime import date
from typing import Any

from sqlalchemy import Engine, MetaData, insert, select, text
from sqlmodel import Session

from bench.ledger_bench import analyze, bench_posting, bench_txn, fresh_database, twin
from ledger.access.actor import Actor
from ledger.accounts import AccountKey, create_branch
from ledger.db import make_engine, run_in_transaction, upgrade
from ledger.demo_register import Register, generate
from ledger.disbursement.run import run_month
from ledger.models import Account, Branch, LedgerTransaction, Posting
from ledger.months import Month
from ledger.posting import Entry, Leg, copy_rows, post_many
from ledger.register.importing import open_standard_accounts
from ledger.register.models import BankAccount, Child, Enrolment, Pledge, Sponsor

MONTH = Month(2026, 11)
FIRST = Month(2025, 11)


def load_register(engine: Engine, register: Register) -> None:
    """The register in bulk (Core inserts): branches, bank accounts, sponsors, children with their
    accounts, pledges and enrolments."""
    t0 = time.perf_counter()

    def branches(session: Session) -> None:
        for row in register.branches:
            create_branch(
                session, code=row["code"], name=row["name"], level=row["level"], parent=row["parent"] or None,
                province=row["province"] or None,
            )  # fmt: skip
            open_standard_accounts(session, row["code"])
        for row in register.bank_accounts:
            branch = session.scalar(select(Branch).where(Branch.code == row["branch"]))
            account = Account(
                branch_id=branch.id, code=f"assets:bank:{row['code']}", type="asset", opened_on=FIRST.first_day
            )
            session.add(account)
            session.flush()
            session.add(BankAccount(code=row["code"], branch_id=branch.id, bank_bin=row["bank_bin"],
                                    account_number=row["account_number"], account_name=row["account_name"],
                                    account_id=account.id))  # fmt: skip

    run_in_transaction(engine, branches)
    with engine.begin() as connection:
        ids = {code: i for i, code in connection.execute(select(Branch.id, Branch.code))}
        connection.execute(
            insert(Sponsor.__table__),  # type: ignore[attr-defined]
            [
                {
                    "code": s["code"],
                    "name": s["name"],
                    "kind": s["kind"],
                    "phone": s["phone"],
                    "email": "",
                    "language": s["language"],
                    "branch_id": ids[s["branch"]],
                }
                for s in register.sponsors
            ],  # fmt: skip
        )
        accounts = []
        for c in register.children:
            for code in (f"liabilities:fund:child:{c['code']}", f"liabilities:payable:guardian:{c['code']}"):
                accounts.append({"branch_id": ids[c["branch"]], "code": code, "name": "", "type": "liability",
                                 "currency": "VND", "may_go_negative": False, "is_open": True, "balance": 0,
                                 "opened_on": FIRST.first_day})  # fmt: skip
        connection.execute(insert(Account.__table__), accounts)  # type: ignore[attr-defined]
        account_ids = {
            code: i
            for i, code in connection.execute(
                select(Account.id, Account.code).where(Account.code.like("liabilities:%:C-%"))  # type: ignore[attr-defined]
            )
        }
        connection.execute(
            insert(Child.__table__),  # type: ignore[attr-defined]
            [
                {
                    "code": c["code"],
                    "full_name": c["full_name"],
                    "date_of_birth": date.fromisoformat(c["date_of_birth"]),
                    "gender": c["gender"],
                    "branch_id": ids[c["branch"]],
                    "categories": [c["categories"]],
                    "in_school_until": date.fromisoformat(c["in_school_until"]) if c["in_school_until"] else None,
                    "guardian_name": c["guardian_name"],
                    "guardian_relation": "",
                    "guardian_phone": "",
                    "guardian_id_number": "",
                    "guardian_bank": "",
                    "consent_guardian_on": FIRST.first_day,
                    "fund_account_id": account_ids[f"liabilities:fund:child:{c['code']}"],
                    "payable_account_id": account_ids[f"liabilities:payable:guardian:{c['code']}"],
                }
                for c in register.children
            ],  # fmt: skip
        )
        sponsors = {code: i for i, code in connection.execute(select(Sponsor.id, Sponsor.code))}
        children = {code: i for i, code in connection.execute(select(Child.id, Child.code))}
        connection.execute(
            insert(Pledge.__table__),  # type: ignore[attr-defined]
            [
                {
                    "code": p["code"],
                    "sponsor_id": sponsors[p["sponsor"]],
                    "child_id": children[p["child"]],
                    "monthly_amount": int(p["monthly_amount"]),
                    "start_month": Month.parse(p["start_month"]).first_day,
                    "end_month": Month.parse(p["end_month"]).first_day if p["end_month"] else None,
                    "frequency": p["frequency"],
                }
                for p in register.pledges
            ],  # fmt: skip
        )
        connection.execute(
            insert(Enrolment.__table__),  # type: ignore[attr-defined]
            [
                {
                    "child_id": children[e["child"]],
                    "program": e["program"],
                    "decision_number": e["decision_number"],
                    "decision_date": date.fromisoformat(e["decision_date"]),
                }
                for e in register.enrolments
            ],  # fmt: skip
        )
    print(f"  register loaded in {time.perf_counter() - t0:.1f} s")


def load(engine: Engine, register: Register) -> None:
    """The register in bulk, then money for the month: each child's pledges (one child in ten
    left short) and a large program budget for each commune."""
    load_register(engine, register)
    t0 = time.perf_counter()
    pledged = sorted(monthly_pledged(register).items())
    paid = {child: amount for n, (child, amount) in enumerate(pledged) if n % 10}  # one in ten: a shortfall
    budgets = {row["branch"]: 10**11 for row in register.bank_accounts}
    count = post_money(engine, register, MONTH, paid, budgets)
    print(f"  {count:,} receipts posted in {time.perf_counter() - t0:.1f} s")
    analyze(engine)  # a live database has planner statistics (autovacuum, or SQLite's optimize)


def monthly_pledged(register: Register) -> dict[str, int]:
    """What each child's pledges add up to in a month."""
    pledged: dict[str, int] = {}
    for p in register.pledges:
        pledged[p["child"]] = pledged.get(p["child"], 0) + int(p["monthly_amount"])
    return pledged


def post_money(engine: Engine, register: Register, month: Month, paid: dict[str, int], budgets: dict[str, int]) -> int:
    """Sponsors' money (``paid``, by child) into the children's funds through their commune's bank,
    and the social-allowance budget (``budgets``, by commune), received on the month's first day."""
    branch_of = {c["code"]: c["branch"] for c in register.children}
    bank = {row["branch"]: row["code"] for row in register.bank_accounts}
    parents = {b["code"]: b["parent"] for b in register.branches}
    receipts = [
        Entry(month.first_day, "sponsors' money for the month", (
            Leg(AccountKey(parents[branch_of[child]], f"assets:bank:{bank[parents[branch_of[child]]]}"), amount),
            Leg(AccountKey(branch_of[child], f"liabilities:fund:child:{child}"), -amount)), posted_by="bench")
        for child, amount in sorted(paid.items()) if amount > 0
    ]  # fmt: skip
    funded = sorted((commune, amount) for commune, amount in budgets.items() if amount > 0)
    receipts += [
        Entry(month.first_day, f"budget {commune} {month}", (
            Leg(AccountKey(commune, f"assets:bank:{bank[commune]}"), amount),
            Leg(AccountKey(commune, "liabilities:fund:program:social-allowance"), -amount)), posted_by="bench")
        for commune, amount in funded
    ]  # fmt: skip
    for start in range(0, len(receipts), 10_000):
        run_in_transaction(engine, lambda s, b=receipts[start : start + 10_000]: post_many(s, b))
    # The planner pays the allowance from the program fund of a branch that received a budget.
    with engine.begin() as connection:
        ids = {code: i for i, code in connection.execute(select(Branch.id, Branch.code))}
        transactions = {
            description: i
            for i, description in connection.execute(
                select(LedgerTransaction.id, LedgerTransaction.description).where(
                    LedgerTransaction.description.like(f"budget % {month}")  # type: ignore[attr-defined]
                )
            )
        }
        for commune, amount in funded:
            connection.execute(
                text(
                    "INSERT INTO budget_receipt (received_on, branch_id, program, amount, method, reference,"
                    " transaction_id) VALUES (:d, :b, 'social-allowance', :a, 'bank', '', :t)"
                ),
                {"d": month.first_day, "b": ids[commune], "a": amount, "t": transactions[f"budget {commune} {month}"]},
            )
    return len(receipts)


def peak_memory_mib(pid: int | str = "self") -> int:
    """This process's own peak resident memory (or process ``pid``'s). (``ru_maxrss`` of a process
    started by fork and exec begins at its parent's peak: a bench that built a nation in memory
    would be counted.)"""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _run_in_child(url: str, kwargs: dict[str, Any], queue: Any) -> None:
    engine = make_engine(url, **kwargs)
    stages: dict[str, float] = {}
    peaks: dict[str, int] = {}
    t0 = time.perf_counter()

    told: dict[str, int] = {}
    deciders: dict[int, int] = {}  # the peak of each process deciding provinces for the run

    def progress(stage: str, done: int, total: int) -> None:
        for child in mp.active_children():
            deciders[child.pid or 0] = max(deciders.get(child.pid or 0, 0), peak_memory_mib(child.pid or 0))
        if stage not in stages:
            stages[stage] = time.perf_counter()
            peaks[stage] = peak_memory_mib()
        if done >= told.get(stage, 0):  # a line at every tenth: where the time and the memory go
            told[stage] = done + max(total // 10, 1)
            print(
                f"    {stage} {done:,}/{total:,} at {time.perf_counter() - t0:.1f} s, "
                f"peak memory {peak_memory_mib()} MiB",
                flush=True,
            )

    result = run_month(
        engine, MONTH, actor=Actor.local_administrator("bench"), on=MONTH.first_day.replace(day=5), progress=progress
    )
    seconds = time.perf_counter() - t0
    if "post" in stages:
        print(f"  deciding and keeping the decisions: {stages['post'] - t0:.1f} s; "
              f"posting: {t0 + seconds - stages['post']:.1f} s; peak memory when posting began: "
              f"{peaks['post']} MiB")  # fmt: skip
    if deciders:
        print(f"  peak memory of the run's own process {peak_memory_mib()} MiB, of its {len(deciders)} deciders "
              f"{' + '.join(f'{p} MiB' for p in deciders.values())}")  # fmt: skip
    peak = (peak_memory_mib() + sum(deciders.values())) * 2**20
    queue.put((seconds, peak, result.run_id, result.summary.decisions, result.summary.children_paid))


def run_in_fresh_process(url: str, kwargs: dict[str, Any]) -> tuple[float, int, int, int, int]:
    """Run MONTH in a process of its own: (seconds, peak bytes, run id, decisions, children paid)."""
    context = mp.get_context("spawn")
    queue: Any = context.Queue()
    process = context.Process(target=_run_in_child, args=(url, kwargs, queue))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"the run failed in its process (exit code {process.exitcode})")
    found: tuple[float, int, int, int, int] = queue.get()
    return found


def plain_insert(engine: Engine, run_id: int) -> tuple[float, int, int]:
    """Insert the run's own transaction and posting rows into twin tables with plain Core."""
    with Session(engine) as session:
        txns = [dict(r._mapping) for r in session.execute(
            select(LedgerTransaction.__table__).where(LedgerTransaction.kind == "disbursement")  # type: ignore[attr-defined]
        )]  # fmt: skip
        ids = [t["id"] for t in txns]
        postings = [dict(r._mapping) for r in session.execute(
            select(Posting.__table__).join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)  # type: ignore[attr-defined]
            .where(LedgerTransaction.kind == "disbursement")
        )]  # fmt: skip
    for t in txns:
        t.pop("reverses_id", None)
        t["metadata"] = "{}"
    by_transaction: dict[int, list[dict[str, Any]]] = {}
    for p in postings:
        by_transaction.setdefault(p["transaction_id"], []).append(p)
    t0 = time.perf_counter()
    for start in range(0, len(txns), 2000):  # the run's own chunk size, one commit each
        chunk = txns[start : start + 2000]
        with engine.begin() as connection:
            connection.execute(insert(bench_txn), chunk)
            connection.execute(insert(bench_posting), [p for t in chunk for p in by_transaction[t["id"]]])
    return time.perf_counter() - t0, len(ids), len(postings)


PLAIN = ("run_decision", "ledger_transaction", "posting", "disbursement")


def plain_copy(engine: Engine, run_id: int) -> float:
    """Every row the run wrote (its decisions, transactions, postings and disbursement rows) written
    again into plain tables of the same columns (no keys, triggers or checks): COPY on PostgreSQL,
    a multi-row INSERT on SQLite, 2,000 rows per commit as the run posts."""
    queries = {
        "run_decision": f"SELECT * FROM run_decision WHERE run_id = {run_id}",
        "ledger_transaction": "SELECT * FROM ledger_transaction WHERE kind = 'disbursement'",
        "posting": "SELECT p.* FROM posting p JOIN ledger_transaction t ON t.id = p.transaction_id"
        " WHERE t.kind = 'disbursement'",
        "disbursement": "SELECT * FROM disbursement",
    }
    with engine.begin() as connection:
        rows = {name: [dict(r._mapping) for r in connection.execute(text(query))] for name, query in queries.items()}
        for name in PLAIN:
            connection.execute(text(f"DROP TABLE IF EXISTS plain_{name}"))
            connection.execute(text(f"CREATE TABLE plain_{name} AS SELECT * FROM {name} WHERE 1 = 0"))
    tables = MetaData()
    tables.reflect(engine, only=[f"plain_{name}" for name in PLAIN])
    sqlite = engine.dialect.name == "sqlite"
    t0 = time.perf_counter()
    for name in PLAIN:
        table = tables.tables[f"plain_{name}"]
        for start in range(0, len(rows[name]), 2000):
            chunk = rows[name][start : start + 2000]
            with engine.begin() as connection:
                if sqlite:  # the values as SQLite gave them, through no type
                    names = list(chunk[0])
                    connection.execute(
                        text(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES (:{', :'.join(names)})"), chunk
                    )
                else:
                    copy_rows(connection, table, chunk)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--children", type=int, default=100_000)
    args = parser.parse_args()
    url, kwargs = fresh_database(args.engine)
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    twin.create_all(engine)
    print(f"{args.engine}: generating {args.children:,} children")
    register = generate(
        children=args.children, sponsors=args.children * 3 // 4, first_month=FIRST, today=MONTH,
        second_sponsor_share=0.5,
    )  # fmt: skip
    print(f"  {len(register.pledges):,} pledges, {len(register.enrolments):,} social-allowance enrolments")
    load(engine, register)
    seconds, peak, run_id, decisions, paid = run_in_fresh_process(url, kwargs)
    baseline, transactions, postings = plain_insert(engine, run_id)
    copied = plain_copy(engine, run_id)
    print(f"run-month {MONTH}: {decisions:,} decisions, {paid:,} children paid, {transactions:,} transactions, "
          f"{postings:,} postings")  # fmt: skip
    print(f"  run: {seconds:.1f} s (target < 60 s), peak memory {peak / 2**20:.0f} MiB (target < 1024 MiB)")
    print(
        f"  plain bulk insert of the same transactions and postings: {baseline:.1f} s; ratio {seconds / baseline:.2f}"
    )
    print(
        f"  every row the run wrote, {'inserted' if args.engine == 'sqlite' else 'copied'} into plain tables: "
        f"{copied:.1f} s; ratio {seconds / copied:.2f} (target <= 3)"
    )


if __name__ == "__main__":
    main()
