"""The demo: a province of Hải Phòng with two years of pledges, payments, monthly runs and handovers.

Everything goes through the product's own paths, as treasurers would work: the register is
imported from spreadsheets (``demo_register``), sponsors' payments are recorded and allocated
(most on time, some late, a few stopped paying), the social-allowance budget arrives each
quarter (sometimes short), each month is run on the 5th, guardians receive the money by bank
transfer on the 10th, the bank charges its fee, and months are closed two months behind. The
current month's payments are in, its run is left for you. A bank statement of the last full
month is written in Vietcombank's layout for reconciliation. Loading it twice changes nothing.
"""

from __future__ import annotations

import csv
import random
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import Engine, event, or_
from sqlmodel import Session, col, select

from ledger.access.actor import Actor
from ledger.access.models import User
from ledger.access.users import add_user, set_password
from ledger.accounts import AccountKey
from ledger.closing import close_month
from ledger.db import run_in_transaction
from ledger.demo_register import PROVINCE, Register, generate
from ledger.disbursement.handover import record_handovers
from ledger.disbursement.run import run_month
from ledger.models import Account, Branch, LedgerTransaction, Posting
from ledger.months import Month, today_in_vietnam
from ledger.posting import Entry, Leg, post
from ledger.references import as_banks_write, payment_reference
from ledger.register.importing import import_file
from ledger.register.models import Pledge, PledgeChange, Sponsor
from ledger.register.payments import PaymentRequest, record_payments
from ledger.register.pledges import change_pledge

BY = "thu-quy"
DEMO = Actor.local_administrator(BY, door="cli")
FEE = 11_000
OPENING = 5_000_000
MONTHS = 24


@dataclass(frozen=True, slots=True)
class Demo:
    months: list[Month]
    statement: Path | None


def load_demo(
    engine: Engine,
    *,
    today: date | None = None,
    folder: Path | None = None,
    children: int = 300,
    sponsors: int = 250,
    say: Callable[[str], None] = lambda _: None,
    months: int = MONTHS,
    communes: int | None = None,
) -> Demo | None:
    """Load the demo (None if it is there already); the bank statement is written to ``folder``."""
    with Session(engine) as session:
        if session.scalar(select(Branch.id).where(col(Branch.code) == PROVINCE)) is not None:
            return None
    with _without_waiting_for_the_disk(engine):
        return _load(engine, today=today, folder=folder, children=children, sponsors=sponsors, say=say,
                     months=months, communes=communes)  # fmt: skip


@contextmanager
def _without_waiting_for_the_disk(engine: Engine) -> Iterator[None]:
    """On SQLite, the demo's few hundred commits do not each wait for the disk (synchronous=NORMAL: in WAL
    mode a crash may lose the last commits but never corrupts the file, and a half-loaded demo is
    simply loaded again). Afterwards the pool is emptied, so the product's connections are FULL again."""
    if engine.dialect.name != "sqlite":
        yield
        return

    def relaxed(connection: Any, record: Any, proxy: Any) -> None:
        connection.execute("PRAGMA synchronous=NORMAL")

    event.listen(engine, "checkout", relaxed)
    try:
        yield
    finally:
        event.remove(engine, "checkout", relaxed)
        engine.dispose()


def _load(
    engine: Engine,
    *,
    today: date | None,
    folder: Path | None,
    children: int,
    sponsors: int,
    say: Callable[[str], None],
    months: int,
    communes: int | None,
) -> Demo:
    today = today or today_in_vietnam()
    current = Month.of(today)
    history = [current]
    while len(history) <= months:
        history.insert(0, history[0].previous())
    first, past = history[0], history[:-1]
    register = generate(children=children, sponsors=sponsors, first_month=first, today=current, communes=communes)
    say(f"importing the register: {len(register.children)} children, {len(register.sponsors)} sponsors")
    _import(engine, register, today)
    _pledge_changes(engine, register)
    banks = _opening_balances(engine, register, first)
    commune_of = _communes(register)
    rng = random.Random(7)
    habits = {s["code"]: rng.choices(("on-time", "late", "stopped"), (85, 10, 5))[0] for s in register.sponsors}
    for index, month in enumerate(past):
        say(f"{month}: payments, run, handovers")
        _payments(engine, register, month, habits, banks, commune_of, until=month.first_day.replace(day=4))
        if index % 3 == 0:
            _budget(engine, register, month, banks, commune_of, short=index % 6 == 3)
        run_month(engine, month, actor=DEMO, on=month.first_day.replace(day=5))
        for branch in banks:
            handovers = partial(
                record_handovers,
                month=month,
                on=month.first_day.replace(day=10),
                actor=DEMO,
                branch=branch,
                method="bank",
                bank_account=banks[branch],
            )
            run_in_transaction(engine, handovers)
            _fee(engine, branch, banks[branch], month)
        if index >= 2:
            for branch in [b["code"] for b in register.branches]:
                run_in_transaction(engine, partial(close_month, branch=branch, month=past[index - 2], actor=DEMO))
    _payments(engine, register, current, habits, banks, commune_of, until=min(today, current.first_day.replace(day=4)))
    statement = None
    if folder is not None:
        branch = next(iter(banks))
        statement = write_statement(engine, branch, banks[branch], past[-1], folder)
    return Demo(history, statement)


def _import(engine: Engine, register: Register, today: date) -> None:
    with TemporaryDirectory() as folder:
        for kind, path in register.write(Path(folder)).items():
            run_in_transaction(engine, partial(import_file, kind=kind, path=path, actor=DEMO, today=today))


def _pledge_changes(engine: Engine, register: Register) -> None:
    """A few of the changes life brings, a quarter after each pledge starts: a pause, a raise, an early end."""
    starts = {p["code"]: Month.parse(p["start_month"]) for p in register.pledges}
    changes: list[tuple[str, str, int, dict[str, Any]]] = [
        ("P-000002", "pause", 3, {"until_month": 1, "reason": "nhà tài trợ tạm khó khăn"}),
        ("P-000005", "amount", 4, {"amount": 700_000, "reason": "nhà tài trợ tăng mức đỡ đầu"}),
        ("P-000009", "end", 5, {"reason": "nhà tài trợ chuyển công tác"}),
    ]
    for pledge, kind, after, details in changes:
        if pledge not in starts:
            continue  # a small demo has fewer pledges
        start = _later(starts[pledge], after)
        if "until_month" in details:
            details = {**details, "until_month": _later(start, details["until_month"])}
        run_in_transaction(
            engine, partial(change_pledge, pledge=pledge, kind=kind, from_month=start, actor=DEMO, **details)
        )


def _later(month: Month, months: int) -> Month:
    for _ in range(months):
        month = month.next()
    return month


def _opening_balances(engine: Engine, register: Register, first: Month) -> dict[str, str]:
    """Each commune's bank account starts with money of its own (to pay its bank's fees)."""
    banks = {row["branch"]: row["code"] for row in register.bank_accounts}
    for branch, bank in banks.items():
        opening = Entry(
            effective_date=first.first_day,
            description="Số dư đầu kỳ chuyển sang / opening balance brought forward",
            legs=(
                Leg(AccountKey(branch, f"assets:bank:{bank}"), OPENING),
                Leg(AccountKey(branch, "equity:opening-balances"), -OPENING),
            ),
            posted_by=BY,
            kind="opening",
            idempotency_key=f"demo-opening-{branch}",
        )
        run_in_transaction(engine, partial(post, entry=opening))
    return banks


def _communes(register: Register) -> dict[str, str]:
    """The commune of every branch below the province (a group's parent, a commune itself)."""
    parents = {b["code"]: b["parent"] for b in register.branches}
    return {
        b["code"]: b["parent"] if b["level"] == "group" else b["code"] for b in register.branches if parents[b["code"]]
    }


def _payments(
    engine: Engine,
    register: Register,
    month: Month,
    habits: dict[str, str],
    banks: dict[str, str],
    communes: dict[str, str],
    *,
    until: date,
) -> None:
    """Each sponsor pays the month's pledges: on time, two months every other month, or one year in two."""
    owed: dict[str, int] = {}
    for pledge in register.pledges:
        start = Month.parse(pledge["start_month"])
        end = Month.parse(pledge["end_month"]) if pledge["end_month"] else None
        if start <= month and (end is None or month <= end):
            owed[pledge["sponsor"]] = owed.get(pledge["sponsor"], 0) + int(pledge["monthly_amount"])
    branches = {s["code"]: s["branch"] for s in register.sponsors}
    names = {s["code"]: s["name"] for s in register.sponsors}
    n = month.year * 12 + month.month
    paying = []
    for sponsor, amount in sorted(owed.items()):
        habit = habits[sponsor]
        if habit == "late":
            if n % 2:
                continue  # pays two months at once, every other month
            amount *= 2
        if habit == "stopped" and n % 24 >= 12:
            continue
        day = min(until, month.first_day.replace(day=1 + (int(sponsor[-3:]) % 4)))
        paying.append((sponsor, amount, banks[communes[branches[sponsor]]], day))

    requests = [
        PaymentRequest(
            sponsor=sponsor,
            amount=amount,
            paid_on=day,
            method="bank",
            bank_account=bank,
            reference=f"{as_banks_write(names[sponsor])} chuyen tien {payment_reference(sponsor, month)}",
            idempotency_key=f"demo-payment-{sponsor}-{month}",
        )
        for sponsor, amount, bank, day in paying
    ]
    run_in_transaction(engine, partial(record_payments, requests=requests, actor=DEMO))


def _budget(
    engine: Engine, register: Register, month: Month, banks: dict[str, str], communes: dict[str, str], *, short: bool
) -> None:
    """A quarter of social allowance for each commune (about 1,200,000 ₫ a child a month); sometimes short."""
    enrolled: dict[str, int] = {}
    branch_of = {c["code"]: c["branch"] for c in register.children}
    for row in register.enrolments:
        commune = communes[branch_of[row["child"]]]
        enrolled[commune] = enrolled.get(commune, 0) + 1
    lines = ["date,branch,program,amount,method,bank_account,reference"]
    for commune, bank in banks.items():
        amount = enrolled.get(commune, 0) * 1_200_000 * 3 * (80 if short else 100) // 100
        if amount:
            lines.append(f"{month.first_day.replace(day=2)},{commune},social-allowance,{amount},bank,{bank},KP-{month}")
    with TemporaryDirectory() as folder:
        path = Path(folder) / "budget.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        run_in_transaction(engine, lambda s: import_file(s, "budget", path, actor=DEMO))


def _fee(engine: Engine, branch: str, bank: str, month: Month) -> None:
    run_in_transaction(
        engine,
        lambda s: post(
            s,
            Entry(
                month.last_day,
                f"Phí quản lý tài khoản tháng {month.month}/{month.year}",
                (
                    Leg(AccountKey(branch, "expenses:bank-fees"), FEE),
                    Leg(AccountKey(branch, f"assets:bank:{bank}"), -FEE),
                ),
                posted_by=BY,
                kind="bank-fee",
                idempotency_key=f"demo-fee-{branch}-{month}",
            ),
        ),
    )


def write_statement(engine: Engine, branch: str, bank: str, month: Month, folder: Path) -> Path:
    """The month's statement of a bank account as Vietcombank exports it (sao kê), from the ledger."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sao-ke-{bank}-{month}.csv"
    with Session(engine) as session:
        account = session.scalar(
            select(Account).join(Branch).where(col(Branch.code) == branch, col(Account.code) == f"assets:bank:{bank}")
        )
        assert account is not None
        rows = session.execute(
            select(
                col(Posting.effective_date),
                col(Posting.amount),
                col(LedgerTransaction.id),
                col(LedgerTransaction.description),
            )
            .join(LedgerTransaction, col(LedgerTransaction.id) == Posting.transaction_id)
            .where(
                col(Posting.account_id) == account.id,
                col(Posting.effective_date) <= month.last_day,
            )
            .order_by(col(Posting.effective_date), col(LedgerTransaction.id))
        ).all()
    opening = sum(amount for day, amount, _, _ in rows if day < month.first_day)
    balance = opening
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT"])
        writer.writerow([f"Số tài khoản / Account number: {bank}", f"Kỳ / Period: {month}"])
        writer.writerow(
            [
                "Ngày giao dịch/Transaction Date",
                "Số tham chiếu/Reference No.",
                "Số tiền ghi nợ/Debit",
                "Số tiền ghi có/Credit",
                "Số dư/Balance",
                "Mô tả/Description",
            ]  # fmt: skip
        )
        writer.writerow(["", "", "", "", f"{opening:,}", "Số dư đầu kỳ/Opening balance"])
        for day, amount, txn, description in rows:
            if day < month.first_day:
                continue
            balance += amount
            debit, credit = (f"{-amount:,}", "") if amount < 0 else ("", f"{amount:,}")
            writer.writerow(
                [
                    day.strftime("%d/%m/%Y"),
                    f"{5_000_000 + txn}",
                    debit,
                    credit,
                    f"{balance:,}",
                    f"MBVCB.{4_530_998_360 + txn}.{txn:06d}.{as_banks_write(description)}",
                ]  # fmt: skip
            )
        writer.writerow(["", "", "", "", f"{balance:,}", "Số dư cuối kỳ/Closing balance"])
    return path


DEMO_USERS = (
    # name, role, branch, sponsor
    ("quan-tri", "admin", None, None),
    ("thu-quy-an-lao", "treasurer", "hp-an-lao", None),
    ("kiem-toan-hp", "auditor", PROVINCE, None),
)


def demo_logins(engine: Engine) -> list[tuple[str, str, str]]:
    """Throw-away sign-ins for the demo: new random passwords every time they are asked for.

    Returns (name, role and scope, password). The demo's sponsor user is the first sponsor
    of An Lão who pledges this month; a real deployment has no such users (``godmother user add``).
    """

    def work(session: Session) -> list[tuple[str, str, str]]:
        an_lao = session.scalar(select(Branch.id).where(col(Branch.code) == "hp-an-lao"))
        # One who pledges now (no pledge ended or moved), so her page shows a year of pledging and paying.
        this = Month.of(today_in_vietnam()).first_day
        changed = select(PledgeChange.pledge_id).where(col(PledgeChange.kind).in_(("end", "move")))
        sponsor = session.scalar(
            select(Sponsor.code)
            .join(Pledge, col(Pledge.sponsor_id) == Sponsor.id)
            .where(
                col(Sponsor.branch_id) == an_lao,
                col(Pledge.start_month) <= this,
                or_(col(Pledge.end_month).is_(None), col(Pledge.end_month) >= this),
                col(Pledge.id).not_in(changed),
            )
            .order_by(col(Sponsor.code))
            .limit(1)
        ) or session.scalar(select(Sponsor.code).where(col(Sponsor.branch_id) == an_lao).order_by(col(Sponsor.code)))
        wanted = [*DEMO_USERS, ("nha-tai-tro", "sponsor", None, sponsor)]
        logins = []
        for name, role, branch, sponsor_code in wanted:
            password = secrets.token_urlsafe(9)
            if session.scalar(select(User.id).where(col(User.name) == name)) is None:
                add_user(
                    session, name=name, role=role, password=password, branch=branch, sponsor=sponsor_code, actor=DEMO
                )
            else:
                set_password(session, name=name, password=password, actor=DEMO)
            logins.append((name, f"{role} {branch or sponsor_code or ''}".strip(), password))
        return logins

    return run_in_transaction(engine, work)
