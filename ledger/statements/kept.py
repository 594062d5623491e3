"""Statements made in the background and kept to download later (docs/books.md).

An audit pack for a province's year runs to hundreds of pages and takes minutes to render: the
reader asks for it, goes on working, and finds it ready later. The door renders it (outside the
domain); the domain records its issue like any other statement's, keeps the PDF like the
scheduler's statements (``StoredStatement``) and leaves a notice on the branch saying it is ready.
Asking again for the same pack replaces the kept copy. Who may download a kept statement is
decided here, as for issuing it: the staff who see every branch it covers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from ledger.access.actor import Actor, Forbidden
from ledger.errors import NotFound
from ledger.ground.messages import message
from ledger.months import Month
from ledger.register.models import Sponsor
from ledger.schedule.models import Notice, StoredStatement
from ledger.signing.keys import SigningKey
from ledger.statements.document import Document, Period, StatementRequest
from ledger.statements.issue import may_issue, record_issue

READY = "statement-ready"


def keep_statement(
    session: Session,
    *,
    actor: Actor,
    request: StatementRequest,
    document: Document,
    lang: str,
    pdf: bytes,
    key: SigningKey | None = None,
    now: datetime | None = None,
) -> StoredStatement:
    """Record the issue, keep the PDF (replacing an earlier copy of the same statement) and tell the branch."""
    now = now or datetime.now(UTC)
    branch_id = may_issue(session, actor, request)
    code = record_issue(session, actor=actor, request=request, document=document, key=key)
    period = str(request.period)
    kept = session.scalar(
        select(StoredStatement).where(
            col(StoredStatement.kind) == request.kind,
            col(StoredStatement.subject) == request.subject,
            col(StoredStatement.period) == period,
        )
    )
    if kept is None:
        kept = StoredStatement(kind=request.kind, subject=request.subject, period=period, lang=lang, code=code,
                               filename=request.filename, pdf=pdf, created_at=now)  # fmt: skip
        session.add(kept)
    else:
        kept.lang, kept.code, kept.filename, kept.pdf, kept.created_at = lang, code, request.filename, pdf, now
    session.flush()
    about = f"{request.kind}:{request.subject}:{period}"[:100]
    told = session.scalar(
        select(Notice).where(col(Notice.kind) == READY, col(Notice.subject) == about, col(Notice.due_on) == now.date())
    )
    pages = f"{kept.filename} ({len(pdf) // 1024} KB)"
    if told is None and branch_id is not None:
        said = {lang: message("todo:statement-ready", lang, file=pages) for lang in ("vi", "en")}
        session.add(
            Notice(branch_id=branch_id, kind=READY, subject=about, due_on=now.date(), created_at=now,
                   message_vi=said["vi"], message_en=said["en"])
        )  # fmt: skip
    elif told is not None:
        told.dismissed_at = None
    return kept


def kept_for(session: Session, actor: Actor, statement_id: int) -> StoredStatement:
    """A kept branch statement for staff who may have it (one answer for missing and out of sight)."""
    found = session.get(StoredStatement, statement_id)
    if found is None or found.kind == "sponsor":
        raise NotFound(f"statement {statement_id} does not exist")
    may_issue(session, actor, _request_of(found))
    return found


def kept_packs(session: Session, actor: Actor, subjects: list[str], limit: int = 20) -> list[StoredStatement]:
    """The kept branch statements about ``subjects`` the actor may have, newest first."""
    found = []
    rows = session.scalars(
        select(StoredStatement)
        .where(col(StoredStatement.subject).in_(subjects), col(StoredStatement.kind) != "sponsor")
        .order_by(col(StoredStatement.created_at).desc())
        .limit(limit)
    )
    for row in rows:
        try:
            may_issue(session, actor, _request_of(row))
        except (NotFound, Forbidden):
            continue
        found.append(row)
    return found


def _request_of(kept: StoredStatement) -> StatementRequest:
    first, _, last = kept.period.partition("..")
    return StatementRequest(kept.kind, kept.subject, Period(Month.parse(first), Month.parse(last or first)))


def kept_for_sponsor(session: Session, actor: Actor, statement_id: int) -> StoredStatement:
    """A statement the scheduler sent the signed-in sponsor, exactly as it was sent; any other is "not found"."""
    found = session.get(StoredStatement, statement_id)
    own = session.get(Sponsor, actor.sponsor_id) if actor.sponsor_id is not None else None
    if found is None or own is None or found.kind != "sponsor" or found.subject != own.code:
        raise NotFound(f"statement {statement_id} does not exist")
    return found
