"""Domain errors in the reader's language, from the facts each error carries.

The domain raises errors with structured fields (``ledger/errors.py``); their English message is
for logs and the API's ``detail``. A person reading a page gets this rendering instead, in
Vietnamese unless they chose English: amounts and dates in their convention, and no command-line
words. An error without a rendering here falls back to its title and English message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.access.actor import Forbidden
from ledger.disbursement.handover import AlreadyHandedOver, NothingToHandOver
from ledger.errors import (
    AccountNotFound,
    AlreadyReversed,
    AmountUnreadable,
    BranchNotFound,
    ChildNotFound,
    DuplicateDisbursement,
    FourEyesRefused,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    NotEnoughCash,
    PeriodClosed,
    ReversalRefused,
    RunInProgress,
    TransactionNotFound,
)
from ledger.money import format_vnd


def _day(value: Any, lang: str) -> str:
    return f"{value:%d/%m/%Y}" if lang == "vi" else f"{value:%d %b %Y}"


def _month(value: Any, lang: str) -> str:
    return f"{value.month:02d}/{value.year}" if lang == "vi" else f"{value.year}-{value.month:02d}"


Render = Callable[[Any, str], str]
RENDERINGS: list[tuple[type[LedgerError], Render]] = [
    # most specific first: the first class the error is an instance of renders it
    (
        AmountUnreadable,
        lambda e, lang: (
            f"“{e.text}” không phải số tiền: hãy ghi số đồng, ví dụ 500.000."
            if lang == "vi"
            else f"“{e.text}” is not an amount: write whole đồng, e.g. 500,000."
        ),
    ),
    (
        NotEnoughCash,
        lambda e, lang: (
            f"Quỹ tiền mặt của {e.branch} chỉ có {format_vnd(e.held)}, cần {format_vnd(e.needed)}. "
            f"Hãy rút thêm {format_vnd(e.needed - e.held)} từ ngân hàng về quỹ (Sổ quỹ tiền mặt) rồi làm lại."
            if lang == "vi"
            else f"The cash box of {e.branch} holds {format_vnd(e.held, 'en')} and {format_vnd(e.needed, 'en')} "
            f"is needed. Withdraw {format_vnd(e.needed - e.held, 'en')} from the bank (Cash book) and try again."
        ),
    ),
    (
        InsufficientFunds,
        lambda e, lang: (
            f"Tài khoản {e.account} của {e.branch} không được âm: hiện có {format_vnd(e.balance)}, "
            f"việc này cần {format_vnd(-e.change)}."
            if lang == "vi"
            else f"Account {e.account} of {e.branch} may not go negative: it holds {format_vnd(e.balance, 'en')} "
            f"and this needs {format_vnd(-e.change, 'en')}."
        ),
    ),
    (
        PeriodClosed,
        lambda e, lang: (
            f"Sổ của {e.branch} đã khóa đến {_day(e.closed_through, lang)}: không ghi được vào ngày "
            f"{_day(e.effective_date, lang)}. Chọn ngày trong tháng còn mở, hoặc nhờ quản trị viên mở lại tháng."
            if lang == "vi"
            else f"{e.branch} is closed through {_day(e.closed_through, lang)}: nothing can be posted on "
            f"{_day(e.effective_date, lang)}. Choose a day in an open month, or ask an administrator to reopen it."
        ),
    ),
    (
        AlreadyReversed,
        lambda e, lang: (
            f"Giao dịch {e.transaction_id} đã được đảo bởi giao dịch {e.reversal_id}."
            if lang == "vi"
            else f"Transaction {e.transaction_id} was already reversed by transaction {e.reversal_id}."
        ),
    ),
    (
        ReversalRefused,
        lambda e, lang: (
            f"Không đảo được giao dịch {e.transaction_id}: số tiền đã được chi tiếp ({e.account} của {e.branch} "
            f"chỉ còn {format_vnd(e.balance)}). Hãy đảo khoản chi sau nó trước (chi trả tháng, giao tiền)."
            if lang == "vi"
            else f"Transaction {e.transaction_id} cannot be reversed: the money was paid on ({e.account} of "
            f"{e.branch} holds {format_vnd(e.balance, 'en')}). Reverse what paid it on first."
        ),
    ),
    (
        AlreadyHandedOver,
        lambda e, lang: (
            f"Người giám hộ của {e.child} đã nhận tiền tháng {_month(e.month, lang)} (giao dịch {e.transaction_id})."
            if lang == "vi"
            else f"The guardian of {e.child} already received {_month(e.month, lang)} (transaction {e.transaction_id})."
        ),
    ),
    (
        NothingToHandOver,
        lambda e, lang: (
            f"Chưa có khoản chi nào cho {e.child} tháng {_month(e.month, lang)}: hãy chạy chi trả tháng trước."
            if lang == "vi"
            else f"Nothing was disbursed to {e.child} for {_month(e.month, lang)}: run the month first."
        ),
    ),
    (
        DuplicateDisbursement,
        lambda e, lang: (
            f"{e.child} đã được chi chương trình {e.program} tháng {_month(e.month, lang)}."
            if lang == "vi"
            else f"{e.child} was already paid for {e.program} in {_month(e.month, lang)}."
        ),
    ),
    (
        FourEyesRefused,
        lambda e, lang: (
            "Người lập đợt chi trả không được tự duyệt: cần một người khác duyệt." if lang == "vi" else str(e)
        ),
    ),
    (
        RunInProgress,
        lambda e, lang: "Một đợt chi trả khác đang chạy; hãy đợi xong rồi làm lại." if lang == "vi" else str(e),
    ),
    (
        IdempotencyConflict,
        lambda e, lang: (
            "Biểu mẫu này đã được gửi với nội dung khác; hãy mở lại trang và nhập lại." if lang == "vi" else str(e)
        ),
    ),
    (
        ChildNotFound,
        lambda e, lang: f"Không có trẻ mã {e.code} trong sổ." if lang == "vi" else f"There is no child {e.code}.",
    ),
    (
        BranchNotFound,
        lambda e, lang: f"Không có chi hội {e.branch}." if lang == "vi" else f"There is no branch {e.branch}.",
    ),
    (
        AccountNotFound,
        lambda e, lang: (
            f"Chi hội {e.branch} không có tài khoản {e.account}."
            if lang == "vi"
            else f"Branch {e.branch} has no account {e.account}."
        ),
    ),
    (
        TransactionNotFound,
        lambda e, lang: (
            f"Không có giao dịch số {e.transaction_id}."
            if lang == "vi"
            else f"There is no transaction {e.transaction_id}."
        ),
    ),
    (
        Forbidden,
        lambda e, lang: "Bạn không có quyền làm việc này." if lang == "vi" else "You may not do this.",
    ),
]


def explain(error: LedgerError, lang: str) -> str | None:
    """The error for a person reading in ``lang``, or None when it has no rendering of its own."""
    for kind, render in RENDERINGS:
        if isinstance(error, kind):
            return render(error, lang)
    return None
