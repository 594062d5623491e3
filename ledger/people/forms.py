"""Adding or correcting one child, sponsor, pledge or enrolment by a form: the importer's rules, one row.

A form is a spreadsheet of one row: it is checked and recorded by ``import_table`` exactly as a file
would be (the same checks, rights and audit), so a form and a file can never disagree on what the
register accepts. ``current_row`` gives what a record holds now, in the import format, to correct.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ledger.access import rights
from ledger.access.actor import Actor
from ledger.errors import NotFound
from ledger.models import Branch
from ledger.register.importing import ImportReport, import_table
from ledger.register.importing.rows import COLUMNS
from ledger.register.models import Child, Enrolment, Pledge, Sponsor
from ledger.register.spreadsheets import Row, Table

FORM_KINDS = ("children", "sponsors", "pledges", "enrolments")


def form_fields(kind: str) -> list[str]:
    """The fields of a form: the kind's import columns (a child's categories have their own dated form)."""
    if kind not in FORM_KINDS:
        raise NotFound(f"there is no form for {kind!r}")
    return [c.name for c in COLUMNS[kind] if c.name not in ("categories_from",)]


def required_fields(kind: str) -> set[str]:
    return {c.name for c in COLUMNS[kind] if c.required}


def record_from_form(session: Session, actor: Actor, kind: str, cells: dict[str, str], *, today: date) -> ImportReport:
    """Record one row (new, or correcting the record its key names); ``ImportRejected`` names the bad fields."""
    fields = form_fields(kind)
    table = Table(fields, fields, [Row(2, {name: cells.get(name, "").strip() for name in fields})])
    return import_table(session, kind, table, actor=actor, today=today, source="form")


def current_row(session: Session, actor: Actor, kind: str, key: str, **more: str) -> dict[str, str]:
    """What the record ``key`` names holds now, as its import row (``NotFound`` outside the actor's branches)."""
    form_fields(kind)
    if kind == "children":
        c = rights.child(session, actor, key)
        return {
            "code": c.code, "full_name": c.full_name, "date_of_birth": c.date_of_birth.isoformat(), "gender": c.gender,
            "branch": _branch_code(session, c.branch_id), "categories": ";".join(c.categories),
            "in_school_until": _iso(c.in_school_until), "health_card_valid_until": _iso(c.health_card_valid_until),
            "guardian_name": c.guardian_name, "guardian_relation": c.guardian_relation,
            "guardian_phone": c.guardian_phone, "guardian_id_number": c.guardian_id_number,
            "guardian_bank": c.guardian_bank, "consent_guardian_on": c.consent_guardian_on.isoformat(),
            "consent_child_on": _iso(c.consent_child_on),
        }  # fmt: skip
    if kind == "sponsors":
        s = rights.sponsor(session, actor, key)
        return {"code": s.code, "name": s.name, "kind": s.kind, "phone": s.phone, "email": s.email,
                "language": s.language, "branch": _branch_code(session, s.branch_id)}  # fmt: skip
    if kind == "pledges":
        p = rights.pledge(session, actor, key)
        sponsor = session.get(Sponsor, p.sponsor_id)
        child = session.get(Child, p.child_id)
        assert sponsor is not None and child is not None
        return {"code": p.code, "sponsor": sponsor.code, "child": child.code, "monthly_amount": str(p.monthly_amount),
                "start_month": f"{p.start_month:%Y-%m}", "end_month": f"{p.end_month:%Y-%m}" if p.end_month else "",
                "frequency": p.frequency}  # fmt: skip
    child = rights.child(session, actor, key)
    found = session.scalar(
        select(Enrolment).where(
            col(Enrolment.child_id) == child.id,
            col(Enrolment.program) == more.get("program", ""),
            col(Enrolment.decision_number) == more.get("decision", ""),
        )
    )
    if found is None:
        return {"child": child.code}
    return {"child": child.code, "program": found.program, "decision_number": found.decision_number,
            "decision_date": found.decision_date.isoformat(), "end_date": _iso(found.end_date)}  # fmt: skip


_NUMBERED = re.compile(r"^(.*?)(\d+)$")
_TABLES: dict[str, Any] = {"children": Child, "sponsors": Sponsor, "pledges": Pledge}


def suggested_code(session: Session, kind: str) -> str:
    """The next code in the register's own numbering (C-000301 after C-000300), for a new record's form."""
    table = _TABLES.get(kind)
    if table is None:
        return ""
    last = session.scalar(select(table.code).order_by(col(table.id).desc()).limit(1))
    numbered = _NUMBERED.match(last or "")
    if numbered is None:
        return ""
    prefix, digits = numbered[1], numbered[2]
    same_shape = (col(table.code).startswith(prefix, autoescape=True), func.length(table.code) == len(last or ""))
    highest = session.scalar(select(func.max(table.code)).where(*same_shape)) or ""  # zero-padded: text order
    number = int(highest[len(prefix) :]) if highest[len(prefix) :].isdigit() else int(digits)
    while True:
        number += 1
        code = f"{prefix}{number:0{len(digits)}d}"
        if session.scalar(select(table.id).where(col(table.code) == code)) is None:
            return code


def _branch_code(session: Session, branch_id: int) -> str:
    found = session.get(Branch, branch_id)
    return found.code if found is not None else ""


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
