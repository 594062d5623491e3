"""The ledger over HTTP: accounts, balances, history, the trial balance, transactions,
reversals, verification and closing months."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from sqlmodel import Session

from api import scoping
from api.deps import (
    BEARER,
    CurrentUser,
    SessionDep,
    bearer_user,
    engine_of,
    in_own_transaction,
    off_the_loop,
    query_parameters,
    reading_only,
    validated_query,
)
from api.schemas import ledger as schemas
from api.schemas.common import MONTH_PATTERN
from ledger import balances, closing, journal, periods, posting, transactions
from ledger.access import rights
from ledger.access.actor import Actor
from ledger.accounts import AccountKey
from ledger.errors import InvalidEntry
from ledger.models import Branch, LedgerTransaction
from ledger.months import Month
from ledger.verify import verify

router = APIRouter(tags=["ledger"])

TransactionId = Annotated[int, Path(ge=1, le=2**62)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="the same key with the same content returns the first result; with other content, 409",
    ),
]


@router.get(
    "/accounts/{code}/balance",
    response_model=None,
    responses={200: {"model": schemas.BalanceOut}},
    openapi_extra={**BEARER, "parameters": query_parameters(schemas.BalanceQuery)},
)
async def account_balance(code: str, request: Request) -> Response:
    """An account's balance in đồng (debit positive), now or at the end of a day."""
    # The API's hottest read: its common case is answered before the application (api/hot_read.py),
    # and this route answers the rest (refusals, as_of) exactly as before. It takes no dependencies
    # and no response model, and looks the account up on an asynchronous connection.
    scope = bearer_user(request)
    asked = validated_query(schemas.BalanceQuery, request)
    found = await balances.account_in_sight_async(request.app.state.reads, scope, code, asked.branch)
    amount = found.balance
    if asked.as_of is not None:
        with Session(request.app.state.reader) as db:
            amount = balances.balance(db, AccountKey(found.branch, code), as_of=asked.as_of)
    out = schemas.BalanceOut(branch=found.branch, account=code, type=found.type, as_of=asked.as_of, balance=amount)
    return Response(out.model_dump_json(), media_type="application/json")


@router.get("/accounts/{code}/history", response_model=schemas.HistoryOut)
async def account_history(
    code: str,
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> schemas.HistoryOut:
    """Every posting on the account with its running balance (sổ chi tiết)."""
    found = scoping.account(engine_of(request), scope, code, branch)
    key = AccountKey(found.branch, code)
    opening, lines = await reading_only(request, db, lambda s: balances.account_history(s, key, start=start, end=end))
    return schemas.HistoryOut(
        branch=found.branch,
        account=code,
        opening=opening,
        lines=[
            schemas.HistoryLineOut(
                date=line.effective_date,
                transaction=line.transaction_id,
                line=line.line,
                description=line.description,
                amount=line.amount,
                balance=line.running_balance,
            )
            for line in lines
        ],
    )


@router.get("/branches/{code}/accounts", response_model=list[schemas.AccountOut])
async def branch_accounts(code: str, db: SessionDep, scope: CurrentUser) -> list[schemas.AccountOut]:
    """The branch's accounts with their balances now."""
    owner = scoping.branch(db, scope, code)
    accounts = transactions.accounts_of(db, owner.id)
    return [
        schemas.AccountOut(
            branch=owner.code, account=a.code, name=a.name, type=a.type, is_open=a.is_open, balance=a.balance
        )
        for a in accounts
    ]


@router.get("/trial-balance", response_model=schemas.TrialBalanceOut)
async def trial_balance(
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    branch: Annotated[
        str | None, Query(max_length=64, description="default: your branch (every branch for administrators)")
    ] = None,
    as_of: date | None = None,
    include_below: bool = False,
    zero: Annotated[bool, Query(description="also list accounts that hold nothing")] = False,
) -> schemas.TrialBalanceOut:
    """Every account's balance in the debit or credit column (bảng cân đối tài khoản)."""
    scope.require_staff()
    if branch is None and not scope.is_admin:
        home = db.get(Branch, scope.home_branch_id)
        assert home is not None
        branch, include_below = home.code, include_below or scope.branch_ids != frozenset({home.id})
    if branch is not None:
        scoping.branch(db, scope, branch)
    tb = await reading_only(request, db, lambda s: _trial_balance(s, branch, as_of, include_below))
    lines = [line for line in tb.lines if zero or line.balance != 0]
    if not scope.is_admin:
        visible = rights.branch_codes_seen_by(db, scope)
        lines = [line for line in lines if line.branch in visible]
    return schemas.TrialBalanceOut(
        branch=branch,
        as_of=as_of,
        lines=[
            schemas.TrialBalanceLineOut(
                branch=line.branch,
                account=line.account,
                type=line.type.value,
                debit=line.debit,
                credit=line.credit,
                balance=line.balance,
            )
            for line in lines
        ],
        total_debit=sum(line.debit for line in lines),
        total_credit=sum(line.credit for line in lines),
    )


def _trial_balance(db: Session, branch: str | None, as_of: date | None, below: bool) -> balances.TrialBalance:
    return balances.trial_balance(db, branch=branch, as_of=as_of, include_descendants=below)


# --- transactions -----------------------------------------------------------------------


def transaction_out(db: Session, txn: LedgerTransaction) -> schemas.TransactionOut:
    return _shown_out(transactions.view(db, txn))


def _shown_out(shown: transactions.TransactionView) -> schemas.TransactionOut:
    return schemas.TransactionOut(
        id=shown.id,
        seq=shown.seq,
        effective_date=shown.effective_date,
        recorded_at=shown.recorded_at,
        description=shown.description,
        kind=shown.kind,
        posted_by=shown.posted_by,
        reverses=shown.reverses,
        reversed_by=shown.reversed_by,
        metadata=shown.metadata,
        hash=shown.hash,
        postings=[
            schemas.PostingOut(line=p.line, branch=p.branch, account=p.account, amount=p.amount) for p in shown.postings
        ],
    )


def visible_transaction(db: Session, scope: Actor, transaction_id: int) -> LedgerTransaction:
    return transactions.visible(db, scope, transaction_id)


def _answer(posted: posting.Posted, response: Response, db: Session, scope: Actor) -> schemas.TransactionOut:
    """The transaction as stored: 201 when this request posted it, 200 for an idempotent replay."""
    if not posted.created:
        response.status_code = status.HTTP_200_OK
    db.expire_all()
    return transaction_out(db, visible_transaction(db, scope, posted.id))


@router.post(
    "/transactions",
    response_model=schemas.TransactionOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": schemas.TransactionOut, "description": "a replay of the same Idempotency-Key"}},
)
async def create_transaction(
    body: schemas.TransactionCreate,
    request: Request,
    response: Response,
    db: SessionDep,
    scope: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> schemas.TransactionOut:
    """Post a balanced transaction (postings sum to zero) on accounts of branches you may write to."""
    entry = posting.Entry(
        effective_date=body.effective_date,
        description=body.description,
        legs=tuple(posting.Leg(AccountKey(leg.branch, leg.account), leg.amount) for leg in body.postings),
        posted_by=scope.user,
        idempotency_key=journal.scoped_key(scope, idempotency_key, "api"),
        metadata=body.metadata,
    )
    posted = await in_own_transaction(request, db, lambda s: journal.post_by_hand(s, entry, actor=scope))
    return _answer(posted, response, db, scope)


@router.get("/transactions", response_model=schemas.TransactionPage)
async def list_transactions(
    request: Request,
    db: SessionDep,
    scope: CurrentUser,
    branch: Annotated[str | None, Query(max_length=64)] = None,
    account: Annotated[
        str | None, Query(max_length=200, description="an account code (with ?branch= if ambiguous)")
    ] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> schemas.TransactionPage:
    """Transactions newest first, filtered; follow ``next_cursor`` for older pages."""
    account_id = scoping.account(engine_of(request), scope, account, branch).id if account is not None else None
    branch_id = scoping.branch(db, scope, branch).id if branch is not None and account is None else None
    shown, more = transactions.page(
        db, scope, account_id=account_id, branch_id=branch_id, start=start, end=end, kind=kind, limit=limit,
        before_seq=_decode_cursor(cursor) if cursor is not None else None,
    )  # fmt: skip
    return schemas.TransactionPage(
        items=[_shown_out(t) for t in shown],
        next_cursor=_encode_cursor(shown[-1].seq) if more and shown else None,
    )


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "seq" or not value.isdigit() or len(value) > 18:
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidEntry("cursor is not one this API handed out; start again without ?cursor=") from None


@router.get("/transactions/{transaction_id}", response_model=schemas.TransactionOut)
async def get_transaction(transaction_id: TransactionId, db: SessionDep, scope: CurrentUser) -> schemas.TransactionOut:
    return transaction_out(db, visible_transaction(db, scope, transaction_id))


@router.post(
    "/transactions/{transaction_id}/reversal",
    response_model=schemas.TransactionOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": schemas.TransactionOut, "description": "a replay of the same Idempotency-Key"}},
)
async def reverse_transaction(
    transaction_id: TransactionId,
    body: schemas.ReversalCreate,
    request: Request,
    response: Response,
    db: SessionDep,
    scope: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> schemas.TransactionOut:
    """Correct a mistake: post the mirror image of a transaction, linked to it."""

    def work(session: Session) -> posting.Posted:
        return journal.reverse_by_hand(
            session,
            transaction_id,
            actor=scope,
            reason=body.reason,
            effective_date=body.effective_date,
            idempotency_key=journal.scoped_key(scope, idempotency_key, "api"),
        )

    return _answer(await in_own_transaction(request, db, work), response, db, scope)


@router.get("/verify", response_model=schemas.VerifyOut)
async def verify_ledger(db: SessionDep, scope: CurrentUser) -> schemas.VerifyOut:
    """Check the hash chain, every transaction's balance and every cached balance."""
    if scope.role not in ("admin", "auditor"):
        scope.require_admin()
    report = await off_the_loop(db, verify, db)
    return schemas.VerifyOut(
        ok=report.ok,
        transactions=report.transactions,
        postings=report.postings,
        accounts=report.accounts,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        problems=[p.message for p in report.problems[:100]],
    )


# --- closing months ---------------------------------------------------------------------


def _event_out(event: Any) -> schemas.PeriodEventOut:
    return schemas.PeriodEventOut(
        action=event.action,
        month=f"{event.month:%Y-%m}",
        closed_through=event.closed_through,
        at=event.at,
        by=event.by,
        reason=event.reason,
    )


MonthPath = Annotated[str, Path(pattern=MONTH_PATTERN, examples=["2026-10"])]


@router.get("/branches/{code}/periods", response_model=list[schemas.PeriodEventOut])
async def period_history(code: str, db: SessionDep, scope: CurrentUser) -> list[schemas.PeriodEventOut]:
    """The branch's closes and reopens, oldest first."""
    scope.require_staff()
    scoping.branch(db, scope, code)
    return [_event_out(e) for e in periods.period_history(db, code)]


@router.post("/branches/{code}/periods/{month}/close", response_model=schemas.PeriodEventOut, status_code=201)
async def close_month(
    code: str, month: MonthPath, request: Request, db: SessionDep, scope: CurrentUser
) -> schemas.PeriodEventOut:
    """Close a month (and every month before it): nothing can be posted into it afterwards."""

    def work(session: Session) -> Any:
        return closing.close_month(session, branch=code, month=Month.parse(month), actor=scope)

    return _event_out(await in_own_transaction(request, db, work))


@router.post("/branches/{code}/periods/{month}/reopen", response_model=schemas.PeriodEventOut, status_code=201)
async def reopen_month(
    code: str, month: MonthPath, body: schemas.ReopenIn, request: Request, db: SessionDep, scope: CurrentUser
) -> schemas.PeriodEventOut:
    """Reopen a closed month and every later one: administrators only, with a reason."""
    scoping.branch(db, scope, code)
    scope.require_admin()

    def work(session: Session) -> Any:
        return closing.reopen_month(session, branch=code, month=Month.parse(month), actor=scope, reason=body.reason)

    return _event_out(await in_own_transaction(request, db, work))
