"""Deciding a run's provinces in processes of their own (PostgreSQL).

Deciding is mostly Python (the eligibility rules, each fund's allocation, the reasons' JSON), which
runs on one core at a time in one process. A province's plan needs nothing from another's
(``facts.provinces``), nor does a part of a province that shares no fund with the rest
(``parts.independent_parts``), so a run hands its parts to ``DECIDERS`` processes, and keeps what
they decided while they decide the next:
- every decider reads in the run's own snapshot (``pg_export_snapshot``): all the provinces are
  decided from one state of the register and the ledger, as one plan over them would be;
- the shortfalls owed and what was already decided are read once, by the run, and given to each;
- a decider sends back its province's decisions as COPY text, ``PART`` at a time, and the run keeps
  them on its own connection, in its own transaction, while the decider goes on: either all of the
  run's decisions are kept or none;
- a decider's error stops the run (nothing is kept) and is raised as the decider raised it; a
  decider whose run is gone (its process killed) finds its pipe closed and ends.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import re
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from ledger.db import engine_recipe, make_engine
from ledger.disbursement.facts import SharedFacts
from ledger.disbursement.keeping import Paying, as_copy_text, paying
from ledger.disbursement.locking import fewer_collections
from ledger.disbursement.planning import Owed, Planned, Planner, Summary
from ledger.errors import DecidingStopped
from ledger.months import Month

DECIDERS = 2  # processes; measured on two cores (bench/national.py)
PART = 10_000  # decisions per answer
SNAPSHOT = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


@dataclass(frozen=True)
class Recipe:
    """What every decider of a run is given once: where to read, in which snapshot, and what the
    run read before its first province."""

    url: str
    connect_args: dict[str, Any]
    snapshot: str
    month: Month
    run_id: int
    owed: list[Owed]
    done: set[tuple[int, str]]
    part: int = PART  # decisions per answer


@dataclass
class Decided:
    """Some of a province's decisions, ready to keep; the last part of a province says so, and how
    many children the province has (the run's progress is told in children)."""

    province: str
    rows: bytes  # COPY text of their run_decision rows
    settlements: list[Paying]
    summary: Summary = field(default_factory=Summary)
    last: bool = True
    children: int = 0


def recipe(session: Session, month: Month, run_id: int, owed: list[Owed], done: set[tuple[int, str]]) -> Recipe:
    """The recipe of a run prepared in ``session``'s transaction, which must stay open until every
    decider has begun (its snapshot lives as long as it)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    url, connect_args = engine_recipe(engine)
    snapshot = session.connection().exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
    return Recipe(url, connect_args, snapshot, month, run_id, owed, done)


class Deciders:
    """``size`` decider processes, stopped when the block ends (``with Deciders(…) as deciders``)."""

    def __init__(self, recipe: Recipe, size: int) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process holding connections and threads
        self._pipes: list[Connection] = []
        self._processes: list[Any] = []
        for n in range(size):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=decide_provinces, args=(theirs, recipe), name=f"godmother-decider-{n + 1}", daemon=True
            )
            process.start()
            theirs.close()
            self._pipes.append(ours)
            self._processes.append(process)

    def __enter__(self) -> Deciders:
        return self

    def __exit__(self, *exc: object) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError):  # one that ended already needs no word
                pipe.send(None)  # nothing more: the decider ends
            pipe.close()
        for process in self._processes:
            if exc[0] is not None:
                process.terminate()  # its province will not be kept: no use finishing it
            process.join()

    def decide(self, provinces: list[tuple[str, set[int]]]) -> Iterator[Decided]:
        """Each province's decisions (or each part of one: ``parts.independent_parts``), ``PART`` at a
        time, as soon as decided (not in the order given)."""
        waiting = list(reversed(provinces))
        working: dict[Connection, str] = {}
        for pipe in self._pipes:
            if waiting:
                working[pipe] = self._give(pipe, waiting.pop())
        while working:
            for ready in wait(list(working)):
                pipe = next(p for p in working if p is ready)
                try:
                    answer = pipe.recv()
                except (EOFError, OSError):
                    raise DecidingStopped(working[pipe], "its process ended without an answer") from None
                if isinstance(answer, BaseException):
                    raise answer
                if answer.last:
                    del working[pipe]
                    if waiting:
                        working[pipe] = self._give(pipe, waiting.pop())
                yield answer

    @staticmethod
    def _give(pipe: Connection, province: tuple[str, set[int]]) -> str:
        try:
            pipe.send(province)
        except OSError:
            raise DecidingStopped(province[0], "its process ended before it was given the province") from None
        return province[0]


# --- in the decider's process --------------------------------------------------------------


def decide_provinces(pipe: Connection, recipe: Recipe) -> None:
    """A decider's life: read in the run's snapshot, decide each province it is given, answer."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle: it ends its deciders
    province = "?"
    try:
        url, connect_args = recipe.url, recipe.connect_args
        engine = make_engine(url, connect_args=connect_args, poolclass=NullPool, pool_pre_ping=False)
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            if not SNAPSHOT.fullmatch(recipe.snapshot):
                raise ValueError(f"not a snapshot: {recipe.snapshot!r}")
            connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{recipe.snapshot}'")
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            session = Session(bind=connection)
            shared = SharedFacts.read(session)
            with fewer_collections():
                while (task := _next(pipe)) is not None:
                    province, branch_ids = task
                    for part in _decide(session, recipe, province, branch_ids, shared):
                        pipe.send(part)
        engine.dispose()
    except (BrokenPipeError, EOFError):
        return  # the run is gone
    except Exception as exc:  # noqa: BLE001 - handed to the run, which raises it
        _answer_failure(pipe, exc, province)


def _next(pipe: Connection) -> tuple[str, set[int]] | None:
    task: tuple[str, set[int]] | None = pipe.recv()
    return task


def _decide(
    session: Session, recipe: Recipe, province: str, branch_ids: set[int], shared: SharedFacts
) -> Iterator[Decided]:
    """A province's decisions, ``PART`` at a time: the run keeps each part while the next is decided,
    and no process holds a whole province's decisions."""
    planner = Planner(session, recipe.month, branch_ids, shared=shared, owed=recipe.owed, done=recipe.done)
    part: list[Planned] = []
    summary = Summary()
    summary.pledges_ended.extend(planner.facts.pledges_ended)
    for planned in planner.plan():
        summary.add(planned)
        part.append(planned)
        if len(part) >= recipe.part:
            yield Decided(province, as_copy_text(recipe.run_id, part), paying(part), summary, last=False)
            part, summary = [], Summary()
    rows = as_copy_text(recipe.run_id, part)
    yield Decided(province, rows, paying(part), summary, last=True, children=len(planner.facts.children))


def _answer_failure(pipe: Connection, exc: Exception, province: str) -> None:
    """Send the error itself when it crosses processes intact, else what it said."""
    try:
        answer: BaseException = pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an error whose arguments do not pickle
        answer = DecidingStopped(province, f"{type(exc).__name__}: {exc}")
    with contextlib.suppress(OSError):  # the run is gone
        pipe.send(answer)
