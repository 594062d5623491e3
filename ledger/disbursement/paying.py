"""Paying a run: its decisions posted, a chunk of them per database transaction.

Each chunk reads the decisions that pay and are not paid yet (no disbursement row for their
child, program and month), posts them (``post_payouts``) and commits. So a run killed at any
point is finished by posting again, with exactly the postings an uninterrupted run would have
made, and a connection lost on the way costs at most the chunks it was posting. On PostgreSQL two
chunks post at once, each on a connection of its own (``_post_in_turns``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, datetime
from itertools import zip_longest
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, exists, func
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from ledger.accounts import AccountKey
from ledger.db import is_sqlite
from ledger.disbursement.locking import RunLock
from ledger.disbursement.models import Run, RunDecision
from ledger.disbursement.planning import guardian_payable
from ledger.errors import RunNotFound
from ledger.ground.columns import table_of
from ledger.ground.programs import GODMOTHER, SOCIAL_ALLOWANCE
from ledger.models import Account, Branch, Disbursement
from ledger.months import Month
from ledger.posting import DisbursementKey
from ledger.posting.payouts import Payout, post_payouts
from ledger.register.models import Child

Progress = Callable[[str, int, int], None]
"""Told (stage, done, total) as a run advances: stages are "prepare" and "post"."""

CHUNK = 2000
WRITERS = 2
"""Chunks posting at once on PostgreSQL. Two keep both of a 2-core machine's cores busy (one writer
leaves the database waiting on Python and Python on the database); a third gained nothing there."""
PROGRAM_NAMES = {GODMOTHER: ("Mẹ đỡ đầu", "Godmother"), SOCIAL_ALLOWANCE: ("trợ cấp xã hội", "social allowance")}


def unfinished(engine: Engine) -> list[int]:
    """Approved runs whose posting stopped before the end (a crash, a kill): they are finished first."""
    with Session(engine) as session:
        return list(session.scalars(select(Run.id).where(col(Run.status) == "approved").order_by(col(Run.id))))


def _pending(session: Session, run_id: int, first: int, last: int) -> list[Any]:
    """The run's decisions with ids from ``first`` to ``last`` that pay and are not paid yet, in
    the order they were decided. The ids alone choose the rows (the primary key): the run's rows
    were all just written, so the planner's statistics may not know them yet."""
    within = col(RunDecision.id).between(first, last)
    query = _unpaid(lookups=not is_sqlite(session)).add_columns(col(RunDecision.run_id))
    rows = session.execute(query.where(within).order_by(col(RunDecision.id)))
    return [row[:-1] for row in rows if row[-1] == run_id]


def _unpaid(run_id: int | None = None, *, lookups: bool = False) -> Any:
    """The decisions (of ``run_id``) that pay and are not paid yet, with what their payouts name.

    With ``lookups`` (PostgreSQL), each decision's child and fund account are looked up by primary
    key (LATERAL … LIMIT 1): as joins, the planner hashed every child of the nation for each chunk
    of 2,000 decisions (a seq scan of the child table per chunk: 55 ms at 200,000 children, growing
    with the nation, while the lookups take the same at any size). SQLite has no LATERAL, and joins
    through the primary keys as it is."""
    decision = table_of(RunDecision)
    if lookups:
        child: Any = (
            sa.select(col(Child.code), col(Child.branch_id))
            .where(col(Child.id) == RunDecision.child_id)
            .limit(1)
            .lateral("child")
        )
        fund: Any = (
            sa.select(col(Account.code), col(Account.branch_id))
            .where(col(Account.id) == RunDecision.fund_account_id)
            .limit(1)
            .lateral("fund")
        )
        joined = decision.join(child, sa.true()).join(fund, sa.true())
    else:
        child, fund = table_of(Child), table_of(Account)
        joined = decision.join(child, child.c.id == decision.c.child_id).join(
            fund, fund.c.id == decision.c.fund_account_id
        )
    fund_branch = table_of(Branch).alias("fund_branch")
    child_branch = table_of(Branch).alias("child_branch")
    # OFFSET 0 keeps the check a lookup in the unique index for each decision: as a join, the
    # planner may hash every disbursement so far for each chunk (its statistics lag behind a
    # run that is writing them), and a run of a million children would slow as it went.
    paid = exists(
        sa.select(col(Disbursement.transaction_id))
        .where(
            col(Disbursement.child_code) == child.c.code,
            col(Disbursement.program) == RunDecision.program,
            col(Disbursement.month) == RunDecision.month,
        )
        .offset(0)
    )
    return (
        sa.select(
            col(RunDecision.id),
            child.c.code,
            child_branch.c.code,
            col(RunDecision.program),
            col(RunDecision.month),
            col(RunDecision.paid),
            fund.c.code,
            fund_branch.c.code,
        )
        .select_from(
            joined.join(child_branch, child_branch.c.id == child.c.branch_id).join(
                fund_branch, fund_branch.c.id == fund.c.branch_id
            )
        )
        .where(col(RunDecision.paid) > 0, ~paid)
        .where(*([] if run_id is None else [col(RunDecision.run_id) == run_id]))
    )


def _payout(row: Any) -> Payout:
    _, child, branch, program, month_day, paid, fund_code, fund_branch = row
    month = Month.of(month_day)
    vi, en = PROGRAM_NAMES.get(program, (program, program))
    return Payout(
        fund=AccountKey(fund_branch, fund_code),
        payable=AccountKey(branch, guardian_payable(child)),
        amount=paid,
        description=f"Chi {vi} tháng {month.month:02d}/{month.year} cho trẻ {child} / {en} for {month}",
        # Once only: the disbursement row (unique per child, program and month) sees to it.
        disbursement=DisbursementKey(child, program, month),
    )


def _spread(firsts: Sequence[int], parts: int) -> list[int]:
    """The chunks taken in turns from ``parts`` stretches of the run (for two: 1, n/2 + 1, 2, n/2 + 2, …).

    Decisions are kept province by province, commune by commune; chunks next to each other pay from
    one commune's program fund, and two writers posting them would take turns at its lock."""
    size = max(-(-len(firsts) // parts), 1)
    stretches = [firsts[i : i + size] for i in range(0, len(firsts), size)]
    return [first for turn in zip_longest(*stretches) for first in turn if first is not None]


def _post_in_turns(
    chunks: Iterable[list[Payout]],
    post: Callable[[list[Payout]], int],
    writers: int,
    lock: RunLock,
    posted: Callable[[int], None],
) -> None:
    """``post`` each chunk, ``writers`` of them at once, each on a thread (and connection) of its own.

    Chunks are other decisions and each commits on its own, so they may commit in any order: a run
    stopped at any point is finished by posting what is still unpaid. Accounts are locked in
    ascending id by every chunk, so two never wait on each other in a cycle. On an error no further
    chunk starts; those already posting finish (or fail) before it is raised."""
    if writers == 1:
        for payouts in chunks:
            lock.check()
            if payouts:
                posted(post(payouts))
        return
    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="godmother-run-posts") as posters:
        posting: deque[Future[int]] = deque()
        for payouts in chunks:
            lock.check()
            if payouts:
                posting.append(posters.submit(post, payouts))
            if len(posting) == writers:
                posted(posting.popleft().result())
        while posting:
            posted(posting.popleft().result())


def _read_ahead(engine: Engine, run_id: int, firsts: Sequence[int], size: int) -> Generator[list[Payout]]:
    """The payouts of each chunk of decisions, in the order of ``firsts``. On PostgreSQL the next chunk is read on a
    connection of its own while the caller posts this one, so the database and Python work at once:
    the chunks are other decisions, and nothing but this run pays them (it holds the run lock). On
    SQLite, where a transaction takes the write lock as it begins, one after the other."""

    def read(first: int) -> list[Payout]:
        with Session(engine) as session:
            return [_payout(row) for row in _pending(session, run_id, first, first + size - 1)]

    if is_sqlite(engine) or len(firsts) < 2:
        yield from (read(first) for first in firsts)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="godmother-run-reads") as reader:
        upcoming = reader.submit(read, firsts[0])
        for following in [*firsts[1:], None]:
            current = upcoming.result()
            if following is not None:
                upcoming = reader.submit(read, following)
            yield current


CONNECTION_ATTEMPTS = 3


def post_run(
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
        unpaid = _unpaid(run_id, lookups=not is_sqlite(session))
        total = session.scalar(sa.select(func.count()).select_from(unpaid.subquery())) or 0
        lowest, highest = session.execute(
            sa.select(func.min(RunDecision.id), func.max(RunDecision.id)).where(col(RunDecision.run_id) == run_id)
        ).one()

    def post(payouts: list[Payout]) -> int:
        with Session(engine) as session:
            post_payouts(
                session,
                payouts,
                effective_date=run.posted_on,
                posted_by=run.approved_by or run.prepared_by,
                metadata={"run": run.id},
                now=now,
            )
            session.commit()
        return len(payouts)

    done = 0

    def posted(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress("post", min(done, total), total)

    # A chunk of ids is read, posted and committed at a time: a nation's decisions are never all in memory.
    writers = 1 if is_sqlite(engine) else WRITERS
    firsts = _spread(range(lowest or 0, (highest or -1) + 1, chunk), writers)
    with closing(_read_ahead(engine, run_id, firsts, chunk)) as chunks:  # its reader stops with the loop
        _post_in_turns(chunks, post, writers, lock, posted)
    with Session(engine) as session:
        stored = session.get(Run, run_id)
        assert stored is not None
        stored.status, stored.finished_at = "done", now or datetime.now(UTC)
        session.add(stored)
        session.commit()
