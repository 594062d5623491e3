"""Which scheduled jobs exist, from the branches' settings, and which due moments were missed.

- ``monthly-run:<branch>`` for each top-most branch whose ``monthly-run`` is on (its run covers
  the branches below it, so a branch below one that runs gets no run of its own);
- ``sponsor-statements:<branch>`` and ``arrears-reminders:<branch>`` for each branch with
  sponsors of its own, each for those sponsors;
- ``eligibility-sweep:<branch>`` for each top branch (a province), for every child below it;
- ``backup`` for the whole deployment (its database), daily by the ``BACKUP_SCHEDULE`` setting;
- ``ledger-check`` for the whole deployment, the full verification each night (``LEDGER_CHECK_SCHEDULE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from ledger.branch_settings import (
    ARREARS_REMINDERS,
    ELIGIBILITY_SWEEP,
    MONTHLY_RUN,
    SPONSOR_STATEMENTS,
    Setting,
    setting_in_force,
)
from ledger.errors import NotFound
from ledger.models import Branch
from ledger.register.models import Sponsor
from ledger.schedule.executions import last_scheduled
from ledger.schedule.timetable import When, parse_when
from ledger.settings import Settings

KINDS = ("monthly-run", "sponsor-statements", "arrears-reminders", "eligibility-sweep", "backup", "ledger-check")
CATCH_UP_LIMIT = 12


@dataclass(frozen=True, slots=True)
class JobSpec:
    kind: str
    branch: str
    when: When

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.branch}" if self.branch else self.kind  # "backup": the whole deployment


def _when(session: Session, branch_id: int, setting: Setting) -> When | None:
    assert setting.every is not None
    return parse_when(setting_in_force(session, branch_id, setting), setting.every, setting.default_when)


def job_specs(session: Session) -> list[JobSpec]:
    branches = {b.id: b for b in session.scalars(select(Branch).order_by(col(Branch.code)))}
    specs: list[JobSpec] = []
    for branch in branches.values():
        when = _when(session, branch.id, MONTHLY_RUN)
        parent_runs = branch.parent_id is not None and _when(session, branch.parent_id, MONTHLY_RUN) is not None
        if when is not None and not parent_runs:
            specs.append(JobSpec("monthly-run", branch.code, when))
    with_sponsors = set(session.scalars(select(Sponsor.branch_id).distinct()))
    for branch in branches.values():
        if branch.id in with_sponsors:
            for kind, setting in (("sponsor-statements", SPONSOR_STATEMENTS), ("arrears-reminders", ARREARS_REMINDERS)):
                when = _when(session, branch.id, setting)
                if when is not None:
                    specs.append(JobSpec(kind, branch.code, when))
    for branch in branches.values():
        if branch.parent_id is None:
            when = _when(session, branch.id, ELIGIBILITY_SWEEP)
            if when is not None:
                specs.append(JobSpec("eligibility-sweep", branch.code, when))
    settings = Settings()
    for kind, schedule, default in (("backup", settings.backup_schedule, "02:00"),
                                    ("ledger-check", settings.ledger_check_schedule, "03:00")):  # fmt: skip
        when = parse_when(schedule, "day", default)
        if when is not None:
            specs.append(JobSpec(kind, "", when))
    return specs


def spec_of(session: Session, job: str) -> JobSpec:
    found = next((s for s in job_specs(session) if s.id == job), None)
    if found is None:
        kind, _, branch = job.partition(":")
        if kind not in KINDS:
            raise NotFound(f"there is no job {job!r}: jobs are {', '.join(k + ':BRANCH' for k in KINDS)}")
        raise NotFound(
            f"job {job!r} is not scheduled: is it switched on for {branch or 'the branch'}? (godmother jobs list)"
        )
    return found


def missed(session: Session, spec: JobSpec, now: datetime) -> list[datetime]:
    """Due moments since the job's last execution (or within its last period, the first time), oldest first."""
    since = last_scheduled(session, spec.id)
    if since is None:
        span = {"month": 32, "week": 8, "day": 2}[spec.when.every]
        since = now - timedelta(days=span)
        due = spec.when.due_times(since, now)[-1:]  # the first time: only the latest due moment
    else:
        due = spec.when.due_times(since, now)
    return due[-CATCH_UP_LIMIT:]
