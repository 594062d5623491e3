"""The monthly run: decide every child's month, keep the decisions, post the disbursements.

A run has two steps, each safe to interrupt at any point:
1. *Prepare*: plan the month (``planning``) and store every decision with its reasons, in one
   database transaction; either all of them are kept or none.
2. *Post*: for each decision that pays something, post fund → guardian payable, a chunk of
   decisions per database transaction. A decision already paid (its disbursement row exists)
   is skipped, so a run killed halfway is finished by running it again, with exactly the
   postings an uninterrupted run would have made.
Where a branch asks for four eyes, step 2 waits until a second person approves the run, and
the approval re-derives the plan first: if anything changed since preparation, it is refused.
One run at a time per database (a PostgreSQL advisory lock, or a lock file beside SQLite).
Running a month again decides only what was not decided yet: normally nothing.
"""

from __future__ import annotations

import fcntl
import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, exists, insert, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import AccountKey, branch_and_descendants, get_branch
from ledger.branch_settings import FOUR_EYES, setting_in_force
from ledger.db import is_sqlite
from ledger.disbursement.models import Run, RunDecision, ShortfallSettlement
from ledger.disbursement.planning import POSTED_RUN, MonthFacts, Planned, Planner, Summary, guardian_payable
from ledger.errors import LedgerError, NotFound
from ledger.ground.columns import table_of
from ledger.ground.programs import GODMOTHER, SOCIAL_ALLOWANCE
from ledger.models import Account, Branch, Disbursement, LedgerTransaction, Posting
from ledger.months import Month, today_in_vietnam
from ledger.posting import DisbursementKey, Entry, Leg, copy_rows, post_many
from ledger.register.models import Child, Pledge

Progress = Callable[[str, int, int], None]
"""Told (stage, done, total) as a run advances: stages are "prepare" and "post"."""

CHUNK = 2000
RUN_DECISION = table_of(RunDecision)
SETTLEMENT = table_of(ShortfallSettlement)
PROGRAM_NAMES = {GODMOTHER: ("Mẹ đỡ đầu", "Godmother"), SOCIAL_ALLOWANCE: ("trợ cấp xã hội", "social allowance")}


class RunError(LedgerError):
    pass


class RunInProgress(RunError):
    def __init__(self) -> None:
        super().__init__(
            "another monthly run is in progress on this database; wait for it to finish, then run again "
            "(a run that stopped halfway is finished by running it again)"
        )


class RunNotFound(NotFound):
    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        super().__init__(f"run {run_id} does not exist")


class FourEyesRefused(RunError):
    pass


class RunOutdated(RunError):
    def __init__(self, run_id: int, differences: list[str]) -> None:
        self.run_id, self.differences = run_id, differences
        super().__init__(
            f"run {run_id} no longer matches the ledger and register ({len(differences)} decision(s) differ, "
            f"first: {differences[0]}); prepare it again with 'godmother run-month' and approve the new run"
        )


@dataclass
class RunResult:
    """What ``run_month`` did: a run prepared, posted, or nothing new (``run_id`` None)."""

    month: Month
    status: str  # "done", "prepared", "dry-run" or "nothing-new"
    run_id: int | None = None
    summary: Summary = field(default_factory=Summary)
    resumed: list[int] = field(default_factory=list)
    four_eyes: bool = False


def run_month(
    engine: Engine,
    month: Month,
    *,
    actor: Actor,
    branch: str | None = None,
    dry_run: bool = False,
    on: date | None = None,
    progress: Progress | None = None,
    show: Callable[[Planned], None] | None = None,
    now: datetime | None = None,
    chunk: int = CHUNK,
) -> RunResult:
    """Run ``month`` for ``branch`` and below (every branch by default); see the module docstring.

    ``on`` is the effective date of the disbursements (today in Vietnam by default); ``show``
    sees each decision as it is made (``--dry-run`` prints them); ``chunk`` decisions are posted
    per database transaction.
    """
    if chunk < 1:
        raise RunError("a run posts at least one decision per database transaction")
    on = on or today_in_vietnam(now)
    if not actor.user.strip():
        raise RunError("say who runs the month (--by): the run records it")
    _may_run(engine, actor, branch, dry_run)
    by = actor.user
    if month.first_day > on and not dry_run:
        raise RunError(f"{month} has not begun; its run can start from {month.first_day:%d/%m/%Y}")
    if dry_run:
        with Session(engine) as session, _fewer_collections():
            return _prepare(session, month, branch, by, on, progress, show, now, store=False)
    with exclusive_run(engine) as lock, _fewer_collections():
        resumed = _unfinished(engine)
        for run_id in resumed:
            _post(engine, run_id, lock, progress, now, chunk)
        with Session(engine, expire_on_commit=False) as session:
            result = _prepare(session, month, branch, by, on, progress, show, now, store=True)
            audit.record(
                session, actor=actor, action="run.start", subject=f"month:{month}",
                branch_id=_branch_id(session, branch), detail={"run": result.run_id, "status": result.status}, now=now,
            )  # fmt: skip
            session.commit()
        result.resumed = resumed
        if result.status == "approved":
            assert result.run_id is not None
            _post(engine, result.run_id, lock, progress, now, chunk)
            result.status = "done"
        return result


def approve_run(
    engine: Engine, run_id: int, *, actor: Actor, progress: Progress | None = None, now: datetime | None = None
) -> RunResult:
    """Approve a prepared run (four eyes: not by its preparer) and post it."""
    by = actor.user
    with exclusive_run(engine) as lock, _fewer_collections():
        with Session(engine, expire_on_commit=False) as session:
            run = session.get(Run, run_id)
            if run is None or not (actor.is_admin if run.branch_id is None else actor.sees_branch(run.branch_id)):
                raise RunNotFound(run_id)
            actor.require_writer()
            if not by.strip():
                raise FourEyesRefused("say who approves the run (--by): the approval records it")
            if run.status != "prepared":
                raise FourEyesRefused(f"run {run_id} is {run.status}, not waiting for approval")
            if by.strip().casefold() == run.prepared_by.strip().casefold():
                raise FourEyesRefused(
                    f"run {run_id} was prepared by {run.prepared_by}: another person must approve it (four eyes)"
                )
            differences = _compare_with_plan(session, run)
            if differences:
                raise RunOutdated(run_id, differences)
            run.status, run.approved_by, run.approved_at = "approved", by, now or datetime.now(UTC)
            session.add(run)
            audit.record(
                session, actor=actor, action="run.approve", subject=f"run:{run_id}", branch_id=run.branch_id, now=now
            )
            session.commit()
            month, summary = Month.of(run.month), _summary_of(run)
        _post(engine, run_id, lock, progress, now)
        return RunResult(month, "done", run_id, summary, four_eyes=True)


# --- preparing --------------------------------------------------------------------------


def _may_run(engine: Engine, actor: Actor, branch: str | None, dry_run: bool) -> None:
    """Running (or previewing) a month is for the branch's writers (readers may preview theirs)."""
    if branch is None:
        rights.whole_ledger(actor, "running the month")
        return
    with Session(engine) as session:
        if dry_run:
            rights.branch(session, actor, branch)
        else:
            rights.writable_branch(session, actor, branch)


def _branch_id(session: Session, branch: str | None) -> int | None:
    return get_branch(session, branch).id if branch is not None else None


def scope_of(session: Session, branch: str | None) -> tuple[int | None, set[int] | None]:
    """The root branch id and the ids of it and every branch below it (None: every branch)."""
    if branch is None:
        return None, None
    root = get_branch(session, branch)
    return root.id, {b.id for b in branch_and_descendants(session, branch) if b.id is not None}


def four_eyes_required(session: Session, branch_ids: set[int] | None) -> bool:
    """Whether any branch in scope asks for a second person to approve its runs."""
    ids = branch_ids if branch_ids is not None else set(session.scalars(select(Branch.id)))
    return any(setting_in_force(session, branch_id, FOUR_EYES) == "on" for branch_id in ids)


def _prepare(
    session: Session,
    month: Month,
    branch: str | None,
    by: str,
    on: date,
    progress: Progress | None,
    show: Callable[[Planned], None] | None,
    now: datetime | None,
    *,
    store: bool,
) -> RunResult:
    root_id, scope = scope_of(session, branch)
    four_eyes = four_eyes_required(session, scope)
    planner = Planner(session, month, scope)
    summary = Summary(pledges_ended=list(planner.facts.pledges_ended))
    run: Run | None = None
    if store:
        for stale in session.scalars(
            select(Run).where(
                col(Run.month) == month.first_day, col(Run.branch_id) == root_id, col(Run.status) == "prepared"
            )
        ):
            stale.status = "superseded"
            session.add(stale)
        run = Run(
            month=month.first_day,
            branch_id=root_id,
            status="prepared" if four_eyes else "approved",
            posted_on=on,
            prepared_by=by,
            prepared_at=now or datetime.now(UTC),
        )
        session.add(run)
        session.flush()
    total, chunk = len(planner.queue), []
    for done, planned in enumerate(planner.plan(), start=1):
        summary.add(planned)
        if show is not None:
            show(planned)
        if run is not None:
            chunk.append(planned)
            if len(chunk) >= CHUNK:
                _store(session, run.id, chunk)
                chunk = []
        if progress is not None and done % 500 == 0:
            progress("prepare", done, total)
    if progress is not None:
        progress("prepare", total, total)
    if run is None:
        return RunResult(month, "dry-run", None, summary, four_eyes=four_eyes)
    if summary.decisions == 0:
        session.rollback()
        return RunResult(month, "nothing-new", None, summary, four_eyes=four_eyes)
    _store(session, run.id, chunk)
    run.summary = summary.as_json()
    session.add(run)
    session.flush()
    return RunResult(month, run.status, run.id, summary, four_eyes=four_eyes)


def _store(session: Session, run_id: int, planned: list[Planned]) -> None:
    """Keep a chunk of decisions, with the settlements of earlier shortfalls they pay."""
    if not planned:
        return
    connection = session.connection()
    rows = [
        {
            "run_id": run_id,
            "child_id": p.child_id,
            "program": p.program,
            "month": p.month.first_day,
            "eligible": p.eligible,
            "due": p.due,
            "catch_up": p.catch_up,
            "paid": p.paid,
            "shortfall": p.shortfall,
            "fund_account_id": p.fund_account_id,
            "reasons": [_reason_json(r) for r in p.reasons],
        }
        for p in planned
    ]
    if is_sqlite(session):
        connection.execute(insert(RUN_DECISION), rows)
    else:
        copy_rows(connection, RUN_DECISION, rows)  # PostgreSQL: far cheaper than multi-row INSERT text
    paying = [p for p in planned if p.settlements]
    if paying:
        ids = {
            (child_id, program): decision_id
            for decision_id, child_id, program in connection.execute(
                select(RunDecision.id, RunDecision.child_id, RunDecision.program).where(
                    col(RunDecision.run_id) == run_id,
                    col(RunDecision.child_id).in_([p.child_id for p in paying]),
                )
            )
        }
        connection.execute(
            insert(SETTLEMENT),
            [
                {"decision_id": ids[(p.child_id, p.program)], "shortfall_id": s.shortfall_id, "amount": s.amount}
                for p in paying
                for s in p.settlements
            ],
        )


def _reason_json(reason: Any) -> dict[str, str]:
    found = {"rule": reason.rule, "vi": reason.vi, "en": reason.en}
    if reason.source:
        found["source"] = reason.source
    return found


def _summary_of(run: Run) -> Summary:
    data = dict(run.summary)
    return Summary(**{k: v for k, v in data.items() if k in Summary.__dataclass_fields__ and not k.startswith("_")})


def _compare_with_plan(session: Session, run: Run) -> list[str]:
    """Differences between a prepared run's decisions and the plan the ledger gives now."""
    assert run.id is not None
    root = session.get(Branch, run.branch_id) if run.branch_id is not None else None
    _, scope = scope_of(session, root.code if root else None)
    stored = {
        (child_id, program): (eligible, due, catch_up, paid, shortfall)
        for child_id, program, eligible, due, catch_up, paid, shortfall in session.execute(
            sa.select(
                col(RunDecision.child_id),
                col(RunDecision.program),
                col(RunDecision.eligible),
                col(RunDecision.due),
                col(RunDecision.catch_up),
                col(RunDecision.paid),
                col(RunDecision.shortfall),
            ).where(col(RunDecision.run_id) == run.id)
        )
    }
    planner = Planner(session, Month.of(run.month), scope)
    codes = {c.id: c.code for c in planner.facts.children.values()}
    differences = []
    seen = set()
    for planned in planner.plan():
        key = (planned.child_id, planned.program)
        seen.add(key)
        now = (planned.eligible, planned.due, planned.catch_up, planned.paid, planned.shortfall)
        if stored.get(key) != now:
            before = stored.get(key)
            differences.append(
                f"{planned.child} {planned.program}: prepared "
                + (f"paid {before[3]:,} of {before[1]:,}" if before else "nothing")
                + f", now paid {planned.paid:,} of {planned.due:,}"
            )
    for key in stored.keys() - seen:
        differences.append(f"{codes.get(key[0], key[0])} {key[1]}: prepared, but no longer a decision of the month")
    return differences


# --- posting ----------------------------------------------------------------------------


def _unfinished(engine: Engine) -> list[int]:
    """Approved runs whose posting stopped before the end (a crash, a kill): they are finished first."""
    with Session(engine) as session:
        return list(session.scalars(select(Run.id).where(col(Run.status) == "approved").order_by(col(Run.id))))


def _pending(session: Session, run_id: int) -> list[Any]:
    fund_branch = table_of(Branch).alias("fund_branch")
    child_branch = table_of(Branch).alias("child_branch")
    paid = exists().where(
        col(Disbursement.child_code) == Child.code,
        col(Disbursement.program) == RunDecision.program,
        col(Disbursement.month) == RunDecision.month,
    )
    return list(
        session.execute(
            sa.select(
                col(RunDecision.id),
                col(Child.code),
                child_branch.c.code,
                col(RunDecision.program),
                col(RunDecision.month),
                col(RunDecision.paid),
                col(Account.code),
                fund_branch.c.code,
            )
            .join(Child, col(Child.id) == RunDecision.child_id)
            .join(child_branch, child_branch.c.id == Child.branch_id)
            .join(Account, col(Account.id) == RunDecision.fund_account_id)
            .join(fund_branch, fund_branch.c.id == Account.branch_id)
            .where(col(RunDecision.run_id) == run_id, col(RunDecision.paid) > 0, ~paid)
            .order_by(col(Child.code), col(RunDecision.program))
        )
    )


def _entry(run: Run, row: Any) -> Entry:
    _, child, branch, program, month_day, paid, fund_code, fund_branch = row
    month = Month.of(month_day)
    vi, en = PROGRAM_NAMES.get(program, (program, program))
    return Entry(
        effective_date=run.posted_on,
        description=f"Chi {vi} tháng {month.month:02d}/{month.year} cho trẻ {child} / {en} for {month}",
        legs=(
            Leg(AccountKey(fund_branch, fund_code), paid),
            Leg(AccountKey(branch, guardian_payable(child)), -paid),
        ),
        posted_by=run.approved_by or run.prepared_by,
        # Once only: the disbursement row (unique per child, program and month) sees to it.
        metadata={"run": run.id},
        kind="disbursement",
        disbursement=DisbursementKey(child, program, month),
    )


CONNECTION_ATTEMPTS = 3


def _post(
    engine: Engine, run_id: int, lock: RunLock, progress: Progress | None, now: datetime | None, chunk: int = CHUNK
) -> None:
    """Post every decision of an approved run not yet paid, a chunk per database transaction.

    A connection lost on the way (a database restart, a terminated backend) costs at most the
    chunk it was posting: what is still unpaid is read again and posted, as long as the run
    still holds its lock.
    """
    for attempt in range(1, CONNECTION_ATTEMPTS + 1):
        lock.check()
        try:
            _post_pending(engine, run_id, lock, progress, now, chunk)
            return
        except DBAPIError as exc:
            if not exc.connection_invalidated or attempt == CONNECTION_ATTEMPTS:
                raise


def _post_pending(
    engine: Engine, run_id: int, lock: RunLock, progress: Progress | None, now: datetime | None, chunk: int
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        run = session.get(Run, run_id)
        if run is None:
            raise RunNotFound(run_id)
        pending = _pending(session, run_id)
    total = len(pending)
    for start in range(0, total, chunk):
        lock.check()
        with Session(engine) as session:
            post_many(session, [_entry(run, row) for row in pending[start : start + chunk]], now=now)
            session.commit()
        if progress is not None:
            progress("post", min(start + chunk, total), total)
    with Session(engine) as session:
        stored = session.get(Run, run_id)
        assert stored is not None
        stored.status, stored.finished_at = "done", now or datetime.now(UTC)
        session.add(stored)
        session.commit()


# --- checking ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    child: str
    program: str
    run_id: int | None
    what: str


def check_month(session: Session, month: Month, *, branch: str | None = None) -> tuple[int, list[Difference]]:
    """Re-derive the month's decisions with today's code and register; compare with what was paid.

    Returns how many decisions were checked and every difference: an entitlement that is now
    decided otherwise, a payment that differs from its decision, a disbursement without one.
    """
    _, scope = scope_of(session, branch)
    facts = MonthFacts(session, month, scope)
    rows = session.execute(
        sa.select(
            col(RunDecision.run_id),
            col(RunDecision.child_id),
            col(RunDecision.program),
            col(RunDecision.eligible),
            col(RunDecision.due),
            col(RunDecision.paid),
        )
        .join(Run, col(Run.id) == RunDecision.run_id)
        .where(col(RunDecision.month) == month.first_day, col(Run.status).in_(POSTED_RUN))
    ).all()
    ledger_paid = _disbursed(session, month)
    differences: list[Difference] = []
    checked, decided = 0, set()
    for run_id, child_id, program, eligible, due, paid in rows:
        child = facts.children[child_id]
        if scope is not None and child.branch_id not in scope:
            continue
        checked += 1
        decided.add((child.code, program))
        again = facts.decide(child, program, month)
        due_now = again.amount if again.eligible else 0
        if again.eligible != eligible or due_now != due:
            reason = "; ".join(r.en for r in again.reasons[-2:])
            differences.append(
                Difference(child.code, program, run_id, f"decided {due:,} ₫ then, {due_now:,} ₫ now ({reason})")
            )
        posted = ledger_paid.get((child.code, program), 0)
        if posted != paid:
            differences.append(
                Difference(child.code, program, run_id, f"the decision pays {paid:,} ₫, the ledger shows {posted:,} ₫")
            )
    for (child_code, program), amount in sorted(ledger_paid.items()):
        if (child_code, program) in decided:
            continue
        child_row = facts.by_code.get(child_code)
        if child_row is not None and scope is not None and child_row.branch_id not in scope:
            continue
        differences.append(
            Difference(child_code, program, None, f"{amount:,} ₫ disbursed without a decision of a monthly run")
        )
    return checked, differences


def _disbursed(session: Session, month: Month) -> dict[tuple[str, str], int]:
    """What the ledger paid each child and program for ``month`` (the payable's credit)."""
    rows = session.execute(
        select(Disbursement.child_code, Disbursement.program, Posting.amount, Account.code)
        .join(LedgerTransaction, col(LedgerTransaction.id) == Disbursement.transaction_id)
        .join(Posting, col(Posting.transaction_id) == Disbursement.transaction_id)
        .join(Account, col(Account.id) == Posting.account_id)
        .where(col(Disbursement.month) == month.first_day)
    )
    paid: dict[tuple[str, str], int] = {}
    for child, program, amount, code in rows:
        if code == guardian_payable(child):
            paid[(child, program)] = paid.get((child, program), 0) - amount
    return paid


# --- one run at a time ------------------------------------------------------------------


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect garbage less often while a run holds hundreds of thousands of live objects.

    With the default thresholds Python rescans them all again and again: a third of a run's time
    at 40,000 children. Cycles are still collected, just in larger batches.
    """
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*before)


class RunLockLost(RunError):
    def __init__(self) -> None:
        super().__init__(
            "the run lost its lock on the database (its connection ended), so it stopped: what it posted "
            "stays, nothing is half-posted; run the month again to finish it"
        )


@dataclass(slots=True)
class RunLock:
    """The monthly-run lock as held: ``check`` before each chunk, so that a lock lost with its
    connection stops the run instead of letting a second run start beside it unseen."""

    connection: Any = None  # PostgreSQL: the session holding the advisory lock

    def check(self) -> None:
        if self.connection is None:
            return  # SQLite: a file lock lives as long as this process
        try:
            self.connection.scalar(text("SELECT 1"))
            self.connection.commit()
        except DBAPIError:
            raise RunLockLost() from None


@contextmanager
def exclusive_run(engine: Engine) -> Iterator[RunLock]:
    """Hold the database's monthly-run lock, or raise ``RunInProgress`` at once.

    The lock dies with its holder (a killed process releases it): PostgreSQL ends the
    session's advisory lock, the kernel closes the SQLite lock file.
    """
    if is_sqlite(engine):
        path = f"{engine.url.database}.run-lock"
        handle = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RunInProgress() from None
            yield RunLock()
        finally:
            os.close(handle)
        return
    with engine.connect() as connection:
        key = text("SELECT hashtext('godmother-monthly-run:' || current_schema())")
        lock_id = connection.scalar(key)
        if not connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_id}):
            connection.rollback()
            raise RunInProgress()
        connection.commit()
        lock = RunLock(connection)
        try:
            yield lock
        finally:
            if not connection.invalidated:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id})
                    connection.commit()
                except DBAPIError:
                    pass  # the connection is gone, and the lock with it


# --- reading runs -----------------------------------------------------------------------


def runs(session: Session, month: Month | None = None) -> list[Run]:
    """Monthly runs, newest first (of one month if given)."""
    query = select(Run).order_by(col(Run.id).desc())
    if month is not None:
        query = query.where(col(Run.month) == month.first_day)
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decision as a run kept it, with the disbursement transaction that paid it, if any."""

    id: int
    run_id: int
    child: str
    program: str
    month: Month
    eligible: bool
    due: int
    catch_up: int
    paid: int
    shortfall: int
    reasons: list[dict[str, str]]
    transaction_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "child": self.child,
            "program": self.program,
            "month": str(self.month),
            "eligible": self.eligible,
            "due": self.due,
            "catch_up": self.catch_up,
            "paid": self.paid,
            "shortfall": self.shortfall,
            "transaction": self.transaction_id,
            "reasons": self.reasons,
        }


def summary_seen_by(session: Session, found: Run, actor: Actor) -> dict[str, Any]:
    """A run's summary as the actor may read it. A run wider than their branches (the province's,
    or every branch's) shows its totals, but names only the children and pledges of their own."""
    summary = dict(found.summary)
    if actor.branch_ids is None:
        return summary
    covered = (
        {b.id for b in branch_and_descendants(session, get_branch_by_id(session, found.branch_id).code)}
        if found.branch_id is not None
        else set(session.scalars(select(Branch.id)))
    )
    if covered <= actor.branch_ids:
        return summary
    children = set(session.scalars(select(Child.code).where(col(Child.branch_id).in_(actor.branch_ids))))
    pledges = set(
        session.scalars(
            select(Pledge.code)
            .join(Child, col(Child.id) == Pledge.child_id)
            .where(col(Child.branch_id).in_(actor.branch_ids))
        )
    )
    summary["aged_out"] = [c for c in summary.get("aged_out", []) if c in children]
    if "left_school" in summary:
        summary["left_school"] = [c for c in summary["left_school"] if c in children]
    summary["pledges_ended"] = [p for p in summary.get("pledges_ended", []) if p in pledges]
    return summary


def get_branch_by_id(session: Session, branch_id: int) -> Branch:
    found = session.get(Branch, branch_id)
    assert found is not None
    return found


def decisions_of(session: Session, run_id: int, *, child: str | None = None) -> list[StoredDecision]:
    """The decisions of a run (of one child if given), in child-code order."""
    if session.get(Run, run_id) is None:
        raise RunNotFound(run_id)
    query = (
        select(RunDecision, Child.code, Disbursement.transaction_id)
        .join(Child, col(Child.id) == RunDecision.child_id)
        .outerjoin(
            Disbursement,
            (col(Disbursement.child_code) == Child.code)
            & (col(Disbursement.program) == RunDecision.program)
            & (col(Disbursement.month) == RunDecision.month),
        )
        .where(col(RunDecision.run_id) == run_id)
        .order_by(col(Child.code), col(RunDecision.program))
    )
    if child is not None:
        query = query.where(col(Child.code) == child)
    return [
        StoredDecision(
            d.id,
            d.run_id,
            code,
            d.program,
            Month.of(d.month),
            d.eligible,
            d.due,
            d.catch_up,
            d.paid,
            d.shortfall,
            list(d.reasons),
            transaction_id if d.paid else None,
        )
        for d, code, transaction_id in session.execute(query)
    ]
