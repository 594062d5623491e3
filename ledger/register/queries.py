"""Reading the register for decisions and exports."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.eligibility import decide
from ledger.eligibility.policy import BranchPolicies
from ledger.errors import ChildNotFound, NotFound
from ledger.ground.programs import GODMOTHER, SOCIAL_ALLOWANCE
from ledger.models import Account, Branch
from ledger.months import Month
from ledger.register.categories import categories_on
from ledger.register.models import BankAccount, Child, Enrolment, Pledge, Sponsor
from ledger.register.pledges import pledges_paying


def child_facts(session: Session, code: str, month: Month | None = None) -> tuple[decide.Child, Child]:
    """What eligibility needs to know about a child, from the register (its categories as they stood
    for ``month``, when given)."""
    child = session.scalar(select(Child).where(col(Child.code) == code))
    if child is None:
        raise ChildNotFound(code)
    categories = frozenset(child.categories)
    if month is not None and child.id is not None:
        categories = categories_on(session, month.previous().last_day, [child.id]).get(child.id, categories)
    branch = session.get(Branch, child.branch_id)
    enrolments = tuple(
        decide.Enrolment(e.program, e.decision_number, e.decision_date, e.end_date)
        for e in session.scalars(select(Enrolment).where(col(Enrolment.child_id) == child.id))
    )
    facts = decide.Child(
        code=child.code,
        date_of_birth=child.date_of_birth,
        categories=categories,
        province=branch.province if branch else None,
        in_school_until=child.in_school_until,
        enrolments=enrolments,
        died_on=child.died_on,
    )
    return facts, child


def child_balances(session: Session, child: Child) -> tuple[int, int]:
    """What the child's fund holds and what is owed to the guardian now (liabilities: credits, negative)."""
    found = dict(
        session.execute(
            select(Account.id, Account.balance).where(
                col(Account.id).in_([child.fund_account_id, child.payable_account_id])
            )
        ).all()
    )
    return found[child.fund_account_id], found[child.payable_account_id]


def pledges_in_month(session: Session, child: Child, month: Month) -> list[decide.PledgeMonth]:
    """The pledges scheduled for the child in ``month``, after pauses, amount changes and moves."""
    paying = pledges_paying(session, child, month)
    ids = sorted({pledge.sponsor_id for pledge, _ in paying})
    sponsors = dict(session.execute(select(col(Sponsor.id), col(Sponsor.code)).where(col(Sponsor.id).in_(ids))).all())
    return [decide.PledgeMonth(pledge.code, sponsors[pledge.sponsor_id], amount) for pledge, amount in paying]


def explain(session: Session, code: str, month: Month, program: str) -> decide.Decision:
    """The decision for a child in the register, a program and a month."""
    facts, child = child_facts(session, code, month)
    if program == SOCIAL_ALLOWANCE:
        return decide.decide_social_allowance(facts, month)
    if program == GODMOTHER:
        return decide.decide_godmother(
            facts, month, pledges_in_month(session, child, month), branch_policy(session, child.branch_id, month)
        )
    raise NotFound(f"program {program!r} does not exist: choose {GODMOTHER} or {SOCIAL_ALLOWANCE}")


def branch_policy(session: Session, branch_id: int, month: Month) -> decide.BranchPolicy:
    """The Godmother policy of a branch in ``month``, inherited from the branches above it."""
    return BranchPolicies(session).godmother(branch_id, month)


EXPORT_COLUMNS = {
    "sponsors": ("code", "name", "kind", "phone", "email", "language", "branch"),
    "children": (
        "code",
        "full_name",
        "date_of_birth",
        "gender",
        "branch",
        "categories",
        "in_school_until",
        "guardian_name",
        "guardian_relation",
        "guardian_phone",
        "guardian_id_number",
        "guardian_bank",
        "consent_guardian_on",
        "consent_child_on",
        "health_card_valid_until",
    ),
    "pledges": ("code", "sponsor", "child", "monthly_amount", "start_month", "end_month", "frequency"),
    "branches": ("code", "name", "parent", "level", "province"),
    "bank-accounts": ("code", "branch", "bank_bin", "account_number", "account_name"),
    "enrolments": ("child", "program", "decision_number", "decision_date", "end_date"),
}
LEVELS = ("province", "commune", "group")  # a branch is written after the one above it


def export_xlsx(session: Session, kind: str, path: Path, *, actor: Actor) -> int:
    """Write the register's ``kind`` in the import format (so the file imports back unchanged).

    Only the sponsors and children of the actor's branches (and their pledges) are written.
    Text is always written as text: a name typed as ``=HYPERLINK(…)`` is never a live formula.
    """
    from openpyxl import Workbook

    if kind not in EXPORT_COLUMNS:
        raise NotFound(f"cannot export {kind!r}: choose one of {', '.join(EXPORT_COLUMNS)}")
    actor.require_staff()
    branch_ids = actor.branch_ids
    if kind == "children":  # a list of children's personal data leaving the system
        audit.record(session, actor=actor, action="child.export", subject="children", branch_id=actor.home_branch_id)
    branches = {b.id: b.code for b in session.scalars(select(Branch))}
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = kind
    append = functools.partial(append_as_text, sheet)
    append(list(EXPORT_COLUMNS[kind]))
    count = 0
    if kind == "sponsors":
        query = select(Sponsor).order_by(col(Sponsor.code))
        if branch_ids is not None:
            query = query.where(col(Sponsor.branch_id).in_(branch_ids))
        for s in session.scalars(query):
            append([s.code, s.name, s.kind, s.phone, s.email, s.language, branches[s.branch_id]])
            count += 1
    elif kind == "children":
        query_children = select(Child).order_by(col(Child.code))
        if branch_ids is not None:
            query_children = query_children.where(col(Child.branch_id).in_(branch_ids))
        for c in session.scalars(query_children):
            append(
                [
                    c.code,
                    c.full_name,
                    c.date_of_birth.isoformat(),
                    c.gender,
                    branches[c.branch_id],
                    ";".join(c.categories),
                    _iso(c.in_school_until),
                    c.guardian_name,
                    c.guardian_relation,
                    c.guardian_phone,
                    c.guardian_id_number,
                    c.guardian_bank,
                    c.consent_guardian_on.isoformat(),
                    _iso(c.consent_child_on),
                    _iso(c.health_card_valid_until),
                ]
            )
            count += 1
    elif kind in ("branches", "bank-accounts", "enrolments"):
        count = _structure(session, kind, append, branches, branch_ids)
    else:
        sponsors = {s.id: s.code for s in session.scalars(select(Sponsor))}
        children = {c.id: c.code for c in session.scalars(select(Child))}
        query_pledges = select(Pledge).order_by(col(Pledge.code))
        if branch_ids is not None:
            in_scope = select(Child.id).where(col(Child.branch_id).in_(branch_ids))
            query_pledges = query_pledges.where(col(Pledge.child_id).in_(in_scope))
        for p in session.scalars(query_pledges):
            append(
                [
                    p.code,
                    sponsors[p.sponsor_id],
                    children[p.child_id],
                    p.monthly_amount,
                    f"{p.start_month:%Y-%m}",
                    f"{p.end_month:%Y-%m}" if p.end_month else "",
                    p.frequency,
                ]
            )
            count += 1
    workbook.save(path)
    return count


def _structure(
    session: Session, kind: str, append: Any, branches: dict[int, str], branch_ids: frozenset[int] | None
) -> int:
    """Branches (each after its parent), bank accounts and enrolments, in the import format."""
    rows: list[list[object]] = []
    if kind == "branches":
        found = [b for b in session.scalars(select(Branch)) if branch_ids is None or b.id in branch_ids]
        found.sort(key=lambda b: (LEVELS.index(b.level) if b.level in LEVELS else len(LEVELS), b.code))
        rows = [
            [
                b.code,
                b.name,
                branches.get(b.parent_id, "") if b.parent_id is not None else "",
                b.level,
                b.province or "",
            ]
            for b in found
        ]
    elif kind == "bank-accounts":
        query = select(BankAccount).order_by(col(BankAccount.code))
        if branch_ids is not None:
            query = query.where(col(BankAccount.branch_id).in_(branch_ids))
        rows = [[a.code, branches[a.branch_id], a.bank_bin, a.account_number, a.account_name]
                for a in session.scalars(query)]  # fmt: skip
    else:
        query_enrolments = (
            select(Enrolment, Child.code)
            .join(Child, col(Child.id) == Enrolment.child_id)
            .order_by(col(Child.code), col(Enrolment.id))
        )
        if branch_ids is not None:
            query_enrolments = query_enrolments.where(col(Child.branch_id).in_(branch_ids))
        rows = [[code, e.program, e.decision_number, e.decision_date.isoformat(), _iso(e.end_date)]
                for e, code in session.execute(query_enrolments)]  # fmt: skip
    for row in rows:
        append(row)
    return len(rows)


def append_as_text(sheet: Any, values: Sequence[object]) -> None:
    """Append a row; strings stay strings, even those a spreadsheet would read as a formula."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value[:1] in FORMULA_STARTS:
            cell.data_type = "s"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _iso(day: date | None) -> str:
    return day.isoformat() if day is not None else ""
