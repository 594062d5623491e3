"""Issuing any statement from its request, and gathering it again to check an issued one."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from ledger.errors import InvalidEntry
from ledger.statements.audit import audit_pack
from ledger.statements.document import Document, StatementRequest, differences, hash_at
from ledger.statements.guardian import guardian_slips
from ledger.statements.sponsor import sponsor_statements
from ledger.statements.treasurer import treasurer_report


def gather(session: Session, request: StatementRequest, *, issued_on: date) -> Document:
    """The document for ``request``, as the ledger stands now."""
    period = request.period
    if request.kind == "sponsor":
        return sponsor_statements(session, period=period, issued_on=issued_on, sponsors=[request.subject])[0]
    if request.kind == "guardian":
        return guardian_slips(
            session, branch=request.subject, month=_one_month(request), issued_on=issued_on, child=request.child
        )
    if request.kind == "treasurer":
        return treasurer_report(session, branch=request.subject, month=_one_month(request), issued_on=issued_on)
    return audit_pack(session, branch=request.subject, period=period, issued_on=issued_on)


def _one_month(request: StatementRequest) -> Any:
    if request.period.first != request.period.last:
        raise InvalidEntry(f"a {request.kind} statement covers one month, not {request.period}")
    return request.period.first


def recompute(session: Session, issued: Document) -> tuple[Document, list[str]]:
    """The issued document gathered again from today's ledger, and what no longer holds.

    The envelope keeps the issue date and chain head it was issued with, so an unchanged
    ledger gives back the very same document (and code). Problems are sentences for people.
    """
    request = StatementRequest.from_json(issued["request"])
    again = gather(session, request, issued_on=date.fromisoformat(issued["issued_on"]))
    again["chain"] = issued["chain"]
    problems = []
    seq, expected = issued["chain"]["seq"], issued["chain"]["hash"]
    found = hash_at(session, seq)
    if found != expected:
        problems.append(
            f"the ledger's chain at transaction {seq} is {'missing' if found is None else found[:12]}, "
            f"not {expected[:12]} as when the statement was issued: the ledger was altered"
        )
    for diff in differences(issued["body"], again["body"], "body"):
        problems.append(f"{diff.path}: {_show(diff.then)} then, {_show(diff.now)} now")
    for key in ("branch",):
        if issued.get(key) != again.get(key):
            problems.append(f"{key}: {issued.get(key)} then, {again.get(key)} now")
    return again, problems


def _show(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    return "nothing" if value is None else repr(value)
