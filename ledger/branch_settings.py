"""Operational settings of a branch (e.g. four eyes on monthly runs), kept as history.

A setting holds from the moment it is set; a branch without its own value follows the nearest
branch above it that has one, else the default. Setting a value again adds a row: who changed
what, and when, is never lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.accounts import get_branch
from ledger.disbursement.models import BranchSetting
from ledger.errors import BranchNotFound, InvalidEntry
from ledger.models import Branch
from ledger.schedule.timetable import parse_when


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str
    choices: tuple[str, ...]  # empty: a schedule, checked by ``timetable.parse_when``
    help: str
    every: str | None = None  # for a schedule: "month", "week" or "day"
    default_when: str = ""  # what "on" means for a schedule
    is_path: bool = False  # a file on the server (kept as written), or off
    is_amount: bool = False  # whole đồng


FOUR_EYES = Setting(
    "four-eyes",
    "off",
    ("on", "off"),
    "a monthly run is prepared by one person and approved by another before anything is posted",
)
RECONCILED_BEFORE_CLOSE = Setting(
    "reconciled-before-close",
    "off",
    ("on", "off"),
    "a month can be closed only when every bank account of the branch is reconciled for it",
)
MONTHLY_RUN = Setting(
    "monthly-run", "off", (), "the monthly run by itself: 'D HH:MM' (Vietnam time), 'on' for 1 06:00, or off",
    every="month", default_when="1 06:00",
)  # fmt: skip
SPONSOR_STATEMENTS = Setting(
    "sponsor-statements", "3 07:00", (), "every sponsor's statement of the month before: 'D HH:MM', or off",
    every="month", default_when="3 07:00",
)  # fmt: skip
ARREARS_REMINDERS = Setting(
    "arrears-reminders", "mon 08:00", (), "a weekly reminder to sponsors in arrears: 'mon HH:MM', or off",
    every="week", default_when="mon 08:00",
)  # fmt: skip
ELIGIBILITY_SWEEP = Setting(
    "eligibility-sweep", "05:00", (), "a daily sweep writing notices (ageing out, cards, pledges): 'HH:MM', or off",
    every="day", default_when="05:00",
)  # fmt: skip
SIGNING_KEY = Setting(
    "signing-key", "off", (), "the PKCS#12 file that signs the branch's statements (password: SIGNING_KEY_PASSWORD), "
    "pkcs11:MODULE:TOKEN:KEY for a token (PIN: SIGNING_KEY_PASSWORD), or off", is_path=True,
)  # fmt: skip
PAYMENT_CEILING = Setting(
    "payment-ceiling", "50000000", (), "a payment above this many đồng is asked about twice before it is recorded",
    is_amount=True,
)  # fmt: skip
SCHEDULES = (MONTHLY_RUN, SPONSOR_STATEMENTS, ARREARS_REMINDERS, ELIGIBILITY_SWEEP)
SETTINGS = {s.name: s for s in (FOUR_EYES, RECONCILED_BEFORE_CLOSE, *SCHEDULES, SIGNING_KEY, PAYMENT_CEILING)}


def set_branch_setting(
    session: Session, *, branch: str, name: str, value: str, actor: Actor, now: datetime | None = None
) -> BranchSetting:
    """Set ``name`` to ``value`` for ``branch`` (and the branches below it that have no value of their own)."""
    setting = SETTINGS.get(name)
    if setting is None:
        raise InvalidEntry(f"there is no branch setting {name!r}: choose one of {', '.join(SETTINGS)}")
    value = value.strip() if setting.is_path else " ".join(value.strip().lower().split())
    if setting.is_path:
        if value.lower() == "off":
            value = "off"
        elif value.startswith("pkcs11:"):  # pkcs11:MODULE:TOKEN:KEY (a USB token, a hardware module)
            parts = value.split(":")
            if len(parts) != 4 or not Path(parts[1]).is_file() or not parts[2] or not parts[3]:
                raise InvalidEntry(f"{name} on a token is pkcs11:MODULE.so:TOKEN-LABEL:KEY-LABEL, not {value!r}")
        elif not Path(value).is_absolute() or not Path(value).is_file():
            raise InvalidEntry(f"{name} is the absolute path of a file on the server, or off; {value!r} is not a file")
    elif setting.is_amount:
        value = value.replace(".", "").replace(",", "")
        if not value.isdigit() or int(value) <= 0:
            raise InvalidEntry(f"{name} is a whole number of đồng above zero, not {value!r}")
    elif setting.every is not None:
        parse_when(value, setting.every, setting.default_when)
    elif value not in setting.choices:
        raise InvalidEntry(f"{name} is one of {', '.join(setting.choices)}, not {value!r}")
    if not actor.user.strip():
        raise InvalidEntry("say who changes the setting: it is kept in the branch's history")
    owner = get_branch(session, branch)
    if not actor.sees_branch(owner.id):
        raise BranchNotFound(branch)
    actor.require_admin()  # the settings are controls on the treasurers themselves (four eyes, …)
    row = BranchSetting(
        branch_id=owner.id,
        name=name,
        value=value,
        set_at=now or datetime.now(UTC),
        set_by=actor.user,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=actor, action="branch.setting", subject=f"branch:{branch}", branch_id=owner.id,
        detail={name: value}, now=now,
    )  # fmt: skip
    return row


def settings_in_force(session: Session, branch_ids: Iterable[int], setting: Setting) -> dict[int, str]:
    """``setting_in_force`` for many branches in two queries (a nation's branches at once)."""
    latest = (
        select(func.max(BranchSetting.id))
        .where(col(BranchSetting.name) == setting.name)
        .group_by(col(BranchSetting.branch_id))
    )
    own: dict[int, str] = {
        branch_id: value
        for branch_id, value in session.execute(
            select(BranchSetting.branch_id, BranchSetting.value).where(col(BranchSetting.id).in_(latest))
        )
    }
    parents: dict[int, int | None] = {
        branch_id: parent for branch_id, parent in session.execute(select(Branch.id, Branch.parent_id))
    }
    found: dict[int, str] = {}
    for branch_id in branch_ids:
        seen: set[int] = set()
        current: int | None = branch_id
        while current is not None and current not in seen and current not in own:
            seen.add(current)
            current = parents.get(current)
        found[branch_id] = own[current] if current is not None and current in own else setting.default
    return found


def setting_in_force(session: Session, branch_id: int, setting: Setting) -> str:
    """The value for a branch: its own latest, else the nearest branch above's, else the default."""
    line: list[int] = []
    current: int | None = branch_id
    while current is not None and current not in line:
        line.append(current)
        branch = session.get(Branch, current)  # the session's own copy when it has one: no query
        current = branch.parent_id if branch is not None else None
    latest: dict[int, str] = {}
    for owner, value in session.execute(
        select(BranchSetting.branch_id, BranchSetting.value)
        .where(col(BranchSetting.branch_id).in_(line), col(BranchSetting.name) == setting.name)
        .order_by(col(BranchSetting.id).desc())
    ):
        latest.setdefault(owner, value)
    return next((latest[b] for b in line if b in latest), setting.default)
