"""Issuing any statement from its request, and gathering it again to check an issued one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import branch_and_descendants
from ledger.errors import BranchNotFound, InvalidEntry
from ledger.signing.keys import SigningKey, signing_key_for
from ledger.signing.records import record_signature
from ledger.statements.audit import audit_pack
from ledger.statements.detail import detail_ledger
from ledger.statements.document import Document, StatementRequest, differences, hash_at, verification_code
from ledger.statements.guardian import guardian_slips
from ledger.statements.money_books import money_book
from ledger.statements.numbers import AccountNumbers
from ledger.statements.payment_list import payment_list
from ledger.statements.sponsor import sponsor_statements
from ledger.statements.treasurer import treasurer_report
from ledger.statements.trial_balance import trial_balance_book


def may_issue(session: Session, actor: Actor, request: StatementRequest) -> int | None:
    """Refuse unless the actor may see everything the statement covers: a sponsor their own
    statement, staff a sponsor or branch they see (a branch statement covers the branches below
    it, so all of those). Returns the branch the issue is filed under in the audit log."""
    if request.kind in ("sponsor", "sponsor-ledger"):
        return rights.sponsor(session, actor, request.subject).branch_id
    if request.kind == "child-ledger":
        actor.require_staff()
        return rights.child(session, actor, request.subject).branch_id
    root = rights.branch(session, actor, request.subject)
    actor.require_staff()
    if any(not actor.sees_branch(b.id) for b in branch_and_descendants(session, root.code)):
        raise BranchNotFound(request.subject)
    return root.id


def gather_for(session: Session, request: StatementRequest, *, actor: Actor, issued_on: date) -> Document:
    """The document for ``request``, for an actor who may have it (``may_issue``)."""
    may_issue(session, actor, request)
    return gather(session, request, issued_on=issued_on)


@dataclass(frozen=True, slots=True)
class ToIssue:
    """A statement ready to render: its document, the language it is written in, the key that signs it."""

    document: Document
    lang: str
    key: SigningKey | None


def prepare_issue(
    session: Session, request: StatementRequest, *, actor: Actor, lang: str | None, issued_on: date
) -> ToIssue:
    """What every door does before rendering a statement: gather it for a reader who may have it,
    choose its language (None: the sponsor's own, else Vietnamese) and the branch's signing key.
    The door renders it and then records the issue (``record_issue``)."""
    document = gather_for(session, request, actor=actor, issued_on=issued_on)
    chosen = lang or (document["body"]["sponsor"]["language"] if request.kind == "sponsor" else "vi")
    return ToIssue(document, chosen, signing_key_for(session, document["branch"]["code"]))


def record_issue(
    session: Session, *, actor: Actor, request: StatementRequest, document: Document, key: SigningKey | None = None
) -> str:
    """File the issue of a gathered statement in the audit log, with its verification code (and,
    when it was signed, which certificate signed it)."""
    code = verification_code(document)
    branch_id = may_issue(session, actor, request)
    audit.record(
        session,
        actor=actor,
        action="statement.issue",
        subject=f"statement:{request.kind}:{request.subject}",
        branch_id=branch_id,
        detail={"period": str(request.period), "child": request.child, "code": code, "signed": key is not None},
    )
    if key is not None:
        record_signature(session, actor=actor, code=code, branch_id=branch_id, key=key)
    return code


def gather(
    session: Session, request: StatementRequest, *, issued_on: date, numbers: AccountNumbers | None = None
) -> Document:
    """The document for ``request``, as the ledger stands now; a book shows the branch's account numbers
    in force, or ``numbers`` (those it was issued with, when checking it again)."""
    period = request.period
    if request.kind == "sponsor":
        return sponsor_statements(session, period=period, issued_on=issued_on, sponsors=[request.subject])[0]
    if request.kind == "guardian":
        return guardian_slips(
            session, branch=request.subject, month=_one_month(request), issued_on=issued_on, child=request.child
        )
    if request.kind == "treasurer":
        return treasurer_report(session, branch=request.subject, month=_one_month(request), issued_on=issued_on)
    if request.kind in ("cash-book", "bank-book"):
        return money_book(
            session, kind=request.kind, branch=request.subject, period=period, issued_on=issued_on, numbers=numbers
        )
    if request.kind in ("general-ledger", "child-ledger", "sponsor-ledger"):
        return detail_ledger(session, request, issued_on=issued_on, numbers=numbers)
    if request.kind == "payment-list":
        return payment_list(session, branch=request.subject, month=_one_month(request), issued_on=issued_on)
    if request.kind == "trial-balance":
        return trial_balance_book(session, branch=request.subject, period=period, issued_on=issued_on, numbers=numbers)
    return audit_pack(session, branch=request.subject, period=period, issued_on=issued_on, numbers=numbers)


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
    numbers = AccountNumbers.from_json(issued["body"].get("numbers"))
    again = gather(session, request, issued_on=date.fromisoformat(issued["issued_on"]), numbers=numbers)
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
