"""Domain errors told to people in their language, from the facts each error carries.

The domain raises errors with structured fields (``ledger/errors.py``); their English message is
for logs and the API's ``detail``. A person reading a page (or a CLI run with
``GODMOTHER_LANG=vi``) gets the catalogue's ``error:`` message instead, its fields filled from the
error's: amounts and dates in the reader's convention, and no command-line words. An error
without a message of its own falls back to its kind's title and its message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from ledger.access.actor import Forbidden
from ledger.access.users import UserError
from ledger.disbursement.handover import AlreadyHandedOver, NothingToHandOver
from ledger.errors import (
    AccountNotFound,
    AlreadyClosed,
    AlreadyReversed,
    AmountUnreadable,
    BankAccountNotFound,
    BranchNotFound,
    ChildNotFound,
    DecidingStopped,
    DuplicateDisbursement,
    EntryRefused,
    FourEyesRefused,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    MonthNotEnded,
    NotEnoughCash,
    NotReconciled,
    PeriodClosed,
    ReversalRefused,
    RunInProgress,
    SponsorNotFound,
    TransactionNotFound,
)
from ledger.ground.messages import has_message, message
from ledger.money import format_vnd
from ledger.months import Month
from ledger.reconciliation.formats import StatementNotRecognised
from ledger.reconciliation.mapping import ColumnsNotNamed
from ledger.statements.numbers import AccountNumberInvalid, AccountPrefixInvalid


def day_text(value: Any, lang: str) -> str:
    return f"{value:%d/%m/%Y}" if lang == "vi" else f"{value:%d %b %Y}"


def month_text(value: Any, lang: str) -> str:
    return f"{value.month:02d}/{value.year}" if lang == "vi" else f"{value.year}-{value.month:02d}"


Fields = Callable[[Any, str], dict[str, object]]
TOLD: list[tuple[type[LedgerError], str, Fields]] = [
    # most specific first: the first class the error is an instance of tells it
    (AmountUnreadable, "error:amount-unreadable", lambda e, lang: {"text": e.text}),
    (AccountPrefixInvalid, "error:account-prefix-invalid", lambda e, lang: {"prefix": e.prefix}),
    (AccountNumberInvalid, "error:account-number-invalid", lambda e, lang: {"number": e.number}),
    (
        NotEnoughCash,
        "error:not-enough-cash",
        lambda e, lang: {
            "branch": e.branch,
            "held": format_vnd(e.held, lang),
            "needed": format_vnd(e.needed, lang),
            "short": format_vnd(e.needed - e.held, lang),
        },  # fmt: skip
    ),
    (
        InsufficientFunds,
        "error:insufficient-funds",
        lambda e, lang: {
            "account": e.account,
            "branch": e.branch,
            "balance": format_vnd(e.balance, lang),
            "needed": format_vnd(-e.change, lang),
        },  # fmt: skip
    ),
    (
        PeriodClosed,
        "error:period-closed",
        lambda e, lang: {
            "branch": e.branch,
            "closed_through": day_text(e.closed_through, lang),
            "day": day_text(e.effective_date, lang),
        },  # fmt: skip
    ),
    (
        AlreadyReversed,
        "error:already-reversed",
        lambda e, lang: {"transaction": e.transaction_id, "reversal": e.reversal_id},
    ),
    (
        ReversalRefused,
        "error:reversal-refused",
        lambda e, lang: {
            "transaction": e.transaction_id,
            "account": e.account,
            "branch": e.branch,
            "balance": format_vnd(e.balance, lang),
        },  # fmt: skip
    ),
    (
        AlreadyHandedOver,
        "error:already-handed-over",
        lambda e, lang: {"child": e.child, "month": month_text(e.month, lang), "transaction": e.transaction_id},
    ),
    (
        NothingToHandOver,
        "error:nothing-to-hand-over",
        lambda e, lang: {"child": e.child, "month": month_text(e.month, lang)},
    ),
    (
        DuplicateDisbursement,
        "error:duplicate-disbursement",
        lambda e, lang: {"child": e.child, "program": e.program, "month": month_text(e.month, lang)},
    ),
    (FourEyesRefused, "error:four-eyes", lambda e, lang: {}),
    (RunInProgress, "error:run-in-progress", lambda e, lang: {}),
    (DecidingStopped, "error:deciding-stopped", lambda e, lang: {"province": e.province}),
    (IdempotencyConflict, "error:idempotency", lambda e, lang: {}),
    (StatementNotRecognised, "error:statement-not-recognised", lambda e, lang: {}),
    (
        NotReconciled,
        "error:not-reconciled",
        lambda e, lang: {
            "branch": e.branch,
            "month": month_text(e.month, lang),
            "accounts": ", ".join(code for code, _ in e.accounts),
        },  # fmt: skip
    ),
    (
        ColumnsNotNamed,
        "error:columns-not-named",
        lambda e, lang: {"roles": ", ".join(message(f"web:role.{role}", lang) for role in e.missing)},
    ),
    (
        MonthNotEnded,
        "error:month-not-ended",
        lambda e, lang: {"month": month_text(e.month, lang), "day": day_text(e.closable_from, lang)},
    ),
    (
        AlreadyClosed,
        "error:already-closed",
        lambda e, lang: {"branch": e.branch, "through": day_text(e.through, lang)},
    ),
    (ChildNotFound, "error:child-not-found", lambda e, lang: {"code": e.code}),
    (SponsorNotFound, "error:sponsor-not-found", lambda e, lang: {"code": e.code}),
    (BankAccountNotFound, "error:bank-account-not-found", lambda e, lang: {"code": e.code}),
    (BranchNotFound, "error:branch-not-found", lambda e, lang: {"branch": e.branch}),
    (AccountNotFound, "error:account-not-found", lambda e, lang: {"branch": e.branch, "account": e.account}),
    (TransactionNotFound, "error:transaction-not-found", lambda e, lang: {"transaction": e.transaction_id}),
    (Forbidden, "error:forbidden", lambda e, lang: {}),
]


def explain(error: LedgerError, lang: str) -> str | None:
    """The error for a person reading in ``lang``, or None when it has no message of its own."""
    if isinstance(error, UserError) and has_message(f"error:user-{error.reason}"):
        return message(f"error:user-{error.reason}", lang, **error.facts)
    if isinstance(error, EntryRefused) and has_message(f"error:{error.rule}"):
        return message(f"error:{error.rule}", lang, **_told_facts(error, lang))
    for kind, key, fields in TOLD:
        if isinstance(error, kind):
            return message(key, lang, **fields(error, lang))
    return None


def _told_facts(error: EntryRefused, lang: str) -> dict[str, object]:
    told: dict[str, object] = {}
    for name, value in error.facts.items():
        if name in error.money_facts and isinstance(value, int):
            told[name] = format_vnd(value, lang)
        elif isinstance(value, Month):
            told[name] = month_text(value, lang)
        elif isinstance(value, date):
            told[name] = day_text(value, lang)
        else:
            told[name] = value
    return told


def fallback(status: int, detail: str, lang: str) -> str:
    """An error with no message of its own: its kind in the reader's words, and what the domain said."""
    title = message(f"error:title-{status}" if status in (400, 404, 409, 422) else "error:title-other", lang)
    return message("error:generic", lang, title=title, detail=detail)
