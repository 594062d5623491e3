"""Bank reconciliation over HTTP: statements in, matches made and undone, suspense cleared, the report."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, UploadFile
from sqlmodel import Session

from api import scoping
from api.deps import CurrentUser, SessionDep, in_own_transaction, off_the_loop
from api.schemas import bank as schemas
from api.schemas.common import MONTH_PATTERN
from ledger.errors import InvalidEntry
from ledger.months import Month
from ledger.reconciliation import by_hand, reconcile
from ledger.reconciliation import suspense as suspense_account
from ledger.reconciliation.formats import FORMATS
from ledger.reconciliation.importing import import_statement
from ledger.reconciliation.models import Match
from ledger.reconciliation.report import report_for

router = APIRouter(tags=["bank reconciliation"])
Code = Annotated[str, Path(min_length=1, max_length=64)]
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
MAX_STATEMENT = 20 * 1024 * 1024


@router.post("/bank-accounts/{code}/statements", response_model=schemas.BankImportOut, status_code=201)
async def import_bank_statement(
    code: Code,
    file: UploadFile,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    format: Annotated[
        str | None, Query(max_length=16, description=f"{', '.join(FORMATS)} (default: from the file)")
    ] = None,
    map: Annotated[str | None, Query(max_length=500, description="generic CSV: date=…,amount=…,description=…")] = None,
) -> schemas.BankImportOut:
    """Import a statement (CSV, XLSX or camt.053); known lines are skipped, balances must add up."""
    bank = scoping.writable_bank_account(db, scope, code)
    suffix = FilePath(file.filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xml"):
        raise InvalidEntry("upload the statement as .csv, .xlsx or camt.053 .xml")
    content = await file.read(MAX_STATEMENT + 1)
    if len(content) > MAX_STATEMENT:
        raise InvalidEntry(f"a statement may be at most {MAX_STATEMENT // (1024 * 1024)} MB")
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / FilePath(file.filename or f"statement{suffix}").name
        path.write_bytes(content)
        result = await in_own_transaction(
            request,
            db,
            lambda s: import_statement(s, path=path, account=bank.code, actor=scope, format=format, mapping=map),
        )
    return schemas.BankImportOut(
        statement=result.statement_id,
        format=result.format,
        lines=result.lines,
        new_lines=result.new_lines,
        opening=result.opening,
        closing=result.closing,
        first_day=result.first_day,
        last_day=result.last_day,
    )


@router.post("/bank-accounts/{code}/auto-match", response_model=schemas.AutoMatchOut)
async def auto_match(code: Code, request: Request, db: SessionDep, scope: CurrentUser) -> schemas.AutoMatchOut:
    """Match by reference, amount and date, batches; create payments named by reference; park the rest."""
    bank = scoping.writable_bank_account(db, scope, code)
    result = await in_own_transaction(request, db, lambda s: reconcile.auto_match(s, account=bank.code, actor=scope))
    return schemas.AutoMatchOut(
        matched_lines=result.matched_lines,
        rules=dict(result.rules),
        payments_created=result.payments_created,
        to_suspense=result.to_suspense,
        unmatched_lines=result.unmatched_lines,
    )


@router.get("/bank-accounts/{code}/lines", response_model=list[schemas.BankLineOut])
async def bank_lines(
    code: Code,
    db: SessionDep,
    scope: CurrentUser,
    open_only: Annotated[bool, Query(alias="open", description="only lines not fully matched")] = False,
) -> list[schemas.BankLineOut]:
    bank = scoping.bank_account(db, scope, code)
    return [
        schemas.BankLineOut(
            id=shown.line.id,
            booked_on=shown.line.booked_on,
            amount=shown.line.amount,
            description=shown.line.description,
            bank_reference=shown.line.bank_reference,
            open=shown.open,
        )
        for shown in reconcile.lines_of(db, bank, open_only=open_only)
    ]


def match_out(found: Match) -> schemas.MatchOut:
    return schemas.MatchOut(
        id=found.id,
        kind=found.kind,
        rule=found.rule,
        reason=found.reason,
        made_by=found.made_by,
        undone_by=found.undone_by,
    )


@router.post("/bank-accounts/{code}/matches", response_model=schemas.MatchOut, status_code=201)
async def make_match(
    code: Code, body: schemas.MatchIn, request: Request, db: SessionDep, scope: CurrentUser
) -> schemas.MatchOut:
    """Match bank lines (or parts: a split) with ledger transactions (or parts), with a reason."""
    bank = scoping.writable_bank_account(db, scope, code)

    def work(session: Session) -> schemas.MatchOut:
        found = by_hand.match(
            session,
            account=bank.code,
            lines=[(p.id, p.amount) for p in body.lines],
            entries=[(p.id, p.amount) for p in body.entries],
            reason=body.reason,
            actor=scope,
        )
        return match_out(found)

    return await in_own_transaction(request, db, work)


@router.post("/bank-matches/{match_id}/undo", response_model=schemas.MatchOut)
async def undo_match(
    match_id: Id, body: schemas.ReasonIn, request: Request, db: SessionDep, scope: CurrentUser
) -> schemas.MatchOut:
    return await in_own_transaction(
        request, db, lambda s: match_out(by_hand.unmatch(s, match_id=match_id, reason=body.reason, actor=scope))
    )


@router.post("/bank-lines/{line_id}/booking", response_model=schemas.MatchOut, status_code=201)
async def book_line(
    line_id: Id, body: schemas.BookingIn, request: Request, db: SessionDep, scope: CurrentUser
) -> schemas.MatchOut:
    """Post a line the ledger does not have (a bank fee, interest) against an account, and match it."""
    return await in_own_transaction(
        request,
        db,
        lambda s: match_out(
            by_hand.book_line(s, line_id=line_id, account=body.account, description=body.description, actor=scope)
        ),
    )


@router.get("/suspense", response_model=list[schemas.SuspenseOut])
async def suspense(db: SessionDep, scope: CurrentUser) -> list[schemas.SuspenseOut]:
    """Money received and not yet identified, in the caller's branches: the treasurer's to-do list."""
    scope.require_staff()
    items = suspense_account.suspense_items(db, sorted(scope.branch_ids) if scope.branch_ids is not None else None)
    return [
        schemas.SuspenseOut(
            transaction=i.transaction_id, branch=i.branch, date=i.day, amount=i.amount, description=i.description
        )
        for i in items
    ]


@router.post("/suspense/{transaction_id}/clearing", response_model=schemas.TransactionRef, status_code=201)
async def clear_suspense(
    transaction_id: Id, body: schemas.ClearingIn, request: Request, db: SessionDep, scope: CurrentUser
) -> schemas.TransactionRef:
    """Move identified money out of suspense: a sponsor's payment, or to an account of the branch."""
    txn = await in_own_transaction(
        request,
        db,
        lambda s: suspense_account.clear_suspense(
            s,
            transaction_id=transaction_id,
            actor=scope,
            reason=body.reason,
            sponsor=body.sponsor,
            pledge=body.pledge,
            account=body.account,
            amount=body.amount,
        ),
    )
    return schemas.TransactionRef(transaction=txn)


@router.get("/bank-accounts/{code}/reconciliation", response_model=schemas.ReconciliationOut)
async def reconciliation(
    code: Code,
    db: SessionDep,
    scope: CurrentUser,
    month: Annotated[str, Query(pattern=MONTH_PATTERN)],
) -> schemas.ReconciliationOut:
    """The month's report: bank vs ledger balance, every unmatched item, the difference explained."""
    bank = scoping.bank_account(db, scope, code)
    report = await off_the_loop(db, report_for, db, bank, Month.parse(month))
    return schemas.ReconciliationOut(**report.to_json())
