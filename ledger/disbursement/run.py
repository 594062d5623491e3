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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import branch_and_descendants, get_branch
from ledger.branch_settings import FOUR_EYES, settings_in_force
from ledger.db import is_sqlite
from ledger.disbursement.deciders import DECIDERS, Deciders, recipe
from ledger.disbursement.facts import SharedFacts
from ledger.disbursement.keeping import keep, keep_copied
from ledger.disbursement.locking import exclusive_run, fewer_collections
from ledger.disbursement.models import Run, RunDecision
from ledger.disbursement.parts import PART_CHILDREN, independent_parts
from ledger.disbursement.paying import CHUNK, Progress, post_run, unfinished
from ledger.disbursement.planning import PROGRAMS, Planned, Summary, owed_and_done, planners
from ledger.errors import (
    FourEyesRefused,
    RunError,
    RunNotFound,
    RunOutdated,
)
from ledger.models import Branch
from ledger.months import Month, today_in_vietnam
from ledger.register.models import Child

PARTS_EACH = 4  # a province is split no finer than a run's children over PARTS_EACH × deciders
DECIDERS_FROM = 20_000  # children: below, the processes' start costs more than they save


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
    deciders: int | None = None,
) -> RunResult:
    """Run ``month`` for ``branch`` and below (every branch by default); see the module docstring.

    ``on`` is the effective date of the disbursements (today in Vietnam by default); ``show``
    sees each decision as it is made (``--dry-run`` prints them); ``chunk`` decisions are posted
    per database transaction; on PostgreSQL, up to ``deciders`` processes decide the run's parts
    (``parts.independent_parts``; by default ``DECIDERS`` from ``DECIDERS_FROM`` children, else the
    run's own process decides).
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
        with Session(engine) as session, fewer_collections():
            return _prepare(session, month, branch, by, on, progress, show, now, store=False)
    with exclusive_run(engine) as lock, fewer_collections():
        resumed = unfinished(engine)
        for run_id in resumed:
            post_run(engine, run_id, lock, progress, now, chunk)
        with Session(engine, expire_on_commit=False) as session:
            result = _prepare(session, month, branch, by, on, progress, show, now, store=True, deciders=deciders)
            audit.record(
                session, actor=actor, action="run.start", subject=f"month:{month}",
                branch_id=_branch_id(session, branch), detail={"run": result.run_id, "status": result.status}, now=now,
            )  # fmt: skip
            session.commit()
        result.resumed = resumed
        if result.status == "approved":
            assert result.run_id is not None
            post_run(engine, result.run_id, lock, progress, now, chunk)
            result.status = "done"
        return result


def approve_run(
    engine: Engine, run_id: int, *, actor: Actor, progress: Progress | None = None, now: datetime | None = None
) -> RunResult:
    """Approve a prepared run (four eyes: not by its preparer) and post it."""
    by = actor.user
    with exclusive_run(engine) as lock, fewer_collections():
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
        post_run(engine, run_id, lock, progress, now)
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
    return "on" in settings_in_force(session, ids, FOUR_EYES).values()


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
    deciders: int | None = None,
) -> RunResult:
    root_id, scope = scope_of(session, branch)
    four_eyes = four_eyes_required(session, scope)
    summary = Summary()
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
    total = _children_in(session, scope)
    if deciders is None:
        deciders = DECIDERS if total >= DECIDERS_FROM else 1
    groups: list[tuple[str, set[int]]] = []
    if run is not None and show is None and deciders > 1 and not is_sqlite(session):
        # Parts enough for the deciders to share the work evenly: a part's queries cost time too
        # (a nation in parts of 20,000 decided 3–5 s slower than in its provinces).
        size = max(PART_CHILDREN, total // (PARTS_EACH * deciders))
        groups = independent_parts(session, SharedFacts.read(session), scope, PROGRAMS, size)
    if groups:  # one part too: a process decides it while this one keeps its decisions
        assert run is not None
        _decide_in_processes(session, month, scope, run.id, groups, deciders, summary, progress, total)
    else:
        _decide_here(session, month, scope, run, summary, progress, show, total)
    if run is None:
        return RunResult(month, "dry-run", None, summary, four_eyes=four_eyes)
    if summary.decisions == 0:
        session.rollback()
        return RunResult(month, "nothing-new", None, summary, four_eyes=four_eyes)
    run.summary = summary.as_json()
    session.add(run)
    session.flush()
    if not is_sqlite(session):  # posting reads them chunk by chunk next: the planner must know they are there
        session.execute(text("ANALYZE run_decision"))
    return RunResult(month, run.status, run.id, summary, four_eyes=four_eyes)


def _decide_here(
    session: Session,
    month: Month,
    scope: set[int] | None,
    run: Run | None,
    summary: Summary,
    progress: Progress | None,
    show: Callable[[Planned], None] | None,
    total: int,
) -> None:
    """Decide the month a province at a time in this process, keeping the decisions (with a ``run``)
    a chunk at a time."""
    before, chunk = 0, []
    for planner in planners(session, month, scope):
        summary.pledges_ended.extend(planner.facts.pledges_ended)
        queued, children = max(len(planner.queue), 1), len(planner.facts.children)
        for done, planned in enumerate(planner.plan(), start=1):
            summary.add(planned)
            if show is not None:
                show(planned)
            if run is not None:
                chunk.append(planned)
                if len(chunk) >= CHUNK:
                    keep(session, run.id, chunk)
                    chunk = []
            if progress is not None and done % 500 == 0:
                progress("prepare", before + min(children, children * done // queued), total)
        before += children
    if run is not None:
        keep(session, run.id, chunk)
    if progress is not None:
        progress("prepare", total, total)


def _decide_in_processes(
    session: Session,
    month: Month,
    scope: set[int] | None,
    run_id: int,
    groups: list[tuple[str, set[int]]],
    deciders: int,
    summary: Summary,
    progress: Progress | None,
    total: int,
) -> None:
    """Decide the month's provinces in ``deciders`` processes of their own (``disbursement.deciders``),
    keeping their decisions here, in the run's transaction, as they come."""
    owed, done = owed_and_done(session, month, scope)
    before = 0
    with Deciders(recipe(session, month, run_id, owed, done), min(deciders, len(groups))) as team:
        for decided in team.decide(groups):
            keep_copied(session, run_id, decided.rows, decided.settlements)
            summary.merge(decided.summary)
            before += decided.children
            if progress is not None and decided.last:
                progress("prepare", before, total)


def _children_in(session: Session, scope: set[int] | None) -> int:
    """How many children a run over ``scope`` decides for (its progress is told in children)."""
    query = sa.select(func.count()).select_from(Child)
    if scope is not None:
        query = query.where(col(Child.branch_id).in_(sorted(scope)))
    return int(session.scalar(query) or 0)


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
    codes: dict[int, str] = {}
    differences = []
    seen = set()
    for planner in planners(session, Month.of(run.month), scope):
        codes.update((c.id, c.code) for c in planner.facts.children.values())
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
