"""Errors the ledger raises, each carrying the facts a caller needs to explain or fix it.

Every error the domain raises on purpose is a ``LedgerError``; its message is meant for people,
its attributes for programs. Each door maps the tree once: the API in ``api/problems.py``
(``_slug_of``: problem type and HTTP status), the web through the same handlers onto a page,
the CLI in ``cli/common.py`` (``friendly``: one line and an exit code). The whole tree, with
where each error lives when not here (``tests/test_architecture.py`` keeps this drawing true):

LedgerError
 ├── InvalidEntry                  the request itself is malformed (fewer than two postings, a
 │    │                            zero or non-integer amount, postings that do not sum to zero)
 │    ├── AmountUnreadable         not a whole number of đồng above zero   (money.parse_vnd)
 │    ├── ParameterMissing         no value of a parameter in force that day   (eligibility.parameters)
 │    ├── ParametersInvalid        parameters.yaml does not fit its schema   (eligibility.parameters_schema)
 │    ├── UnreadableFile           a spreadsheet that cannot be read   (register.spreadsheets)
 │    ├── UnreadableStatement      a bank statement that cannot be read   (reconciliation.formats)
 │    │    └── StatementNotRecognised  no bank we know: its columns must be named   (reconciliation.formats)
 │    ├── ColumnsNotNamed          a statement's columns named without a date, text or amount   (reconciliation.mapping)
 │    ├── AccountPrefixInvalid     not one of our codes or a prefix of them   (statements.numbers)
 │    ├── AccountNumberInvalid     not a number of an accounting regime (3388, 112.1)   (statements.numbers)
 │    ├── UserError                a user that could not exist   (access.users)
 │    ├── EntryRefused             a form's entry breaks a register rule, named with its facts
 │    └── VietQRError              a payment request VietQR cannot carry   (vietqr)
 ├── NotFound
 │    ├── AccountNotFound
 │    ├── BranchNotFound
 │    ├── ChildNotFound
 │    ├── SponsorNotFound
 │    ├── BankAccountNotFound
 │    ├── RunNotFound
 │    ├── TransactionNotFound
 │    └── UserNotFound                                          (access.users)
 ├── NotSignedIn                   no valid token or session   (access.actor)
 ├── SignInRefused                 wrong name or password, or a disabled user   (access.users)
 ├── TooManyAttempts               sign-ins paused for a while   (access.users)
 ├── Forbidden                     in scope, but the role may not do this   (access.actor)
 ├── NotPermitted                  an operation reserved for administrators
 ├── AccountClosed                 posting to an account that was closed
 ├── InsufficientFunds             an account that may not go negative would go negative
 │    └── NotEnoughCash            the cash box holds less than is to be paid from it
 ├── PeriodClosed                  the effective date lies in a closed month of a branch
 ├── PeriodError                   closing/reopening a month in the wrong order
 │    ├── NotReconciled            the branch closes only reconciled months; these accounts are not
 │    ├── MonthNotEnded            a month is closed once it has ended
 │    └── AlreadyClosed            the branch is closed through that month already
 ├── IdempotencyConflict           the same idempotency key was used for different content
 ├── AlreadyReversed               a transaction can be reversed once
 ├── ReversalRefused               a reversal would take money an account no longer holds
 ├── DuplicateDisbursement         a (child, program, month) was already disbursed
 ├── RunError                      the monthly run cannot go on as asked
 │    ├── DecidingStopped          a process deciding provinces of the run stopped; nothing kept
 │    ├── FourEyesRefused          the preparer may not approve their own run
 │    ├── RunInProgress            another run holds the lock
 │    ├── RunLockLost              the run's connection ended; nothing is half-posted
 │    └── RunOutdated              the ledger changed since the run was prepared
 ├── AlreadyHandedOver             the guardian already received the month   (disbursement.handover)
 ├── NothingToHandOver             nothing was disbursed for the month   (disbursement.handover)
 ├── ImportRejected                a file with bad rows; nothing imported   (register.importing.rows)
 ├── ConsentAlreadyWithdrawn       (register.consent)
 ├── MatchRefused                  a match that would not balance   (reconciliation.reconcile)
 ├── SigningUnavailable            a configured key cannot be used   (signing.keys)
 ├── BackupFailed                  a copy could not be taken or loaded   (backup.engines)
 ├── DatabaseNotEmpty              restoring over data needs --replace   (backup.check)
 ├── TooLarge                      a file or request beyond the service's limits (bytes, rows, pages)
 └── DatabaseNotReady              the schema is missing or older than this code
"""

from __future__ import annotations

from datetime import date


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose; its message is meant for people."""


class InvalidEntry(LedgerError):
    """What was asked is malformed or impossible as given; the message says what to change."""


class AmountUnreadable(InvalidEntry):
    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(f"{text!r} is not a whole number of đồng above zero (write it like 500.000)")


class EntryRefused(InvalidEntry):
    """An entry a register rule refuses (a pledge change reaching into a paid month, a category
    from a day to come): ``rule`` names the rule, ``facts`` what it was measured against, and the
    catalogue's ``error:{rule}`` tells it to a person (money under ``money_facts`` in đồng)."""

    def __init__(self, rule: str, english: str, *, field: str = "", money_facts: tuple[str, ...] = (),
                 **facts: object) -> None:  # fmt: skip
        self.rule, self.field, self.facts, self.money_facts = rule, field, facts, money_facts
        super().__init__(english)


class NotFound(LedgerError):
    """The thing asked for does not exist, or is outside what the reader may see (one answer for both)."""


class BranchNotFound(NotFound):
    def __init__(self, branch: str) -> None:
        self.branch = branch
        super().__init__(f"branch {branch!r} does not exist")


class ChildNotFound(NotFound):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"child {code!r} is not in the register")


class SponsorNotFound(NotFound):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"sponsor {code!r} is not in the register")


class BankAccountNotFound(NotFound):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"bank account {code!r} is not in the register")


class TooLarge(LedgerError):
    """What was sent is beyond what one request may ask of the service (bytes, rows, pages, time)."""

    def __init__(self, what: str, limit: str) -> None:
        self.what, self.limit = what, limit
        super().__init__(f"{what}: at most {limit}")

    def __reduce__(self) -> tuple[type[TooLarge], tuple[str, str]]:  # crosses process boundaries
        return TooLarge, (self.what, self.limit)


class AccountNotFound(NotFound):
    def __init__(self, branch: str, account: str) -> None:
        self.branch, self.account = branch, account
        super().__init__(f"account {account!r} does not exist in branch {branch!r}")


class TransactionNotFound(NotFound):
    def __init__(self, transaction_id: int) -> None:
        self.transaction_id = transaction_id
        super().__init__(f"transaction {transaction_id} does not exist")


class AccountClosed(LedgerError):
    def __init__(self, branch: str, account: str) -> None:
        self.branch, self.account = branch, account
        super().__init__(f"account {account!r} of branch {branch!r} is closed; reopen it or use another account")


class InsufficientFunds(LedgerError):
    def __init__(self, branch: str, account: str, balance: int, change: int) -> None:
        self.branch, self.account, self.balance, self.change = branch, account, balance, change
        super().__init__(
            f"account {account!r} of branch {branch!r} may not go negative: "
            f"it holds {balance:,} ₫ and this would take {-change:,} ₫"
        )


class NotEnoughCash(InsufficientFunds):
    """A branch's cash box holds less than a handover or a deposit would take from it (see ledger/cash.py)."""

    def __init__(self, branch: str, held: int, needed: int) -> None:
        self.held, self.needed = held, needed
        LedgerError.__init__(
            self,
            f"the cash box of branch {branch!r} holds {held:,} ₫ and {needed:,} ₫ is to be paid from it: "
            f"withdraw {needed - held:,} ₫ from the bank first",
        )
        self.branch, self.account, self.balance, self.change = branch, "assets:cash", held, -needed


class PeriodClosed(LedgerError):
    def __init__(self, branch: str, effective_date: date, closed_through: date) -> None:
        self.branch, self.effective_date, self.closed_through = branch, effective_date, closed_through
        super().__init__(
            f"branch {branch!r} is closed through {closed_through.isoformat()}: nothing can be posted "
            f"on {effective_date.isoformat()}; post with a date in an open month, or ask an "
            "administrator to reopen the month"
        )


class IdempotencyConflict(LedgerError):
    def __init__(self, key: str, transaction_id: int) -> None:
        self.key, self.transaction_id = key, transaction_id
        super().__init__(
            f"idempotency key {key!r} was already used by transaction {transaction_id} "
            "with different content; use a new key for a new transaction"
        )


class AlreadyReversed(LedgerError):
    def __init__(self, transaction_id: int, reversal_id: int) -> None:
        self.transaction_id, self.reversal_id = transaction_id, reversal_id
        super().__init__(f"transaction {transaction_id} was already reversed by transaction {reversal_id}")


class ReversalRefused(LedgerError):
    """A reversal would take money an account no longer holds: what it paid for has been paid on."""

    def __init__(self, transaction_id: int, branch: str, account: str, balance: int, change: int) -> None:
        self.transaction_id, self.branch, self.account, self.balance, self.change = (
            transaction_id, branch, account, balance, change,
        )  # fmt: skip
        super().__init__(
            f"transaction {transaction_id} cannot be reversed: it would take {-change:,} ₫ from {account!r} of "
            f"{branch!r}, which holds {balance:,} ₫ now (the money has been paid on since). Reverse what paid it "
            "on first (the month's disbursement, the handover), or record a refund"
        )


class DuplicateDisbursement(LedgerError):
    def __init__(self, child: str, program: str, month: date, transaction_id: int | None) -> None:
        self.child, self.program, self.month, self.transaction_id = child, program, month, transaction_id
        super().__init__(
            f"child {child!r} was already paid for {program!r} in {month:%Y-%m}"
            + (f" (transaction {transaction_id})" if transaction_id is not None else "")
        )


class PeriodError(LedgerError):
    """Closing or reopening a month that is not in the state the act needs."""


class MonthNotEnded(PeriodError):
    def __init__(self, month: object, closable_from: date) -> None:
        self.month, self.closable_from = month, closable_from
        super().__init__(f"{month} has not ended yet; it can be closed from {closable_from:%d/%m/%Y}")


class AlreadyClosed(PeriodError):
    def __init__(self, branch: str, through: date) -> None:
        self.branch, self.through = branch, through
        super().__init__(f"branch {branch!r} is already closed through {through.isoformat()}")


class NotReconciled(PeriodError):
    def __init__(self, branch: str, month: object, accounts: list[tuple[str, str]]) -> None:
        self.branch, self.month, self.accounts = branch, month, accounts
        listed = "; ".join(f"{code}: {why}" for code, why in accounts)
        super().__init__(f"{branch} closes a month only when its bank accounts are reconciled; for {month}, {listed}")


class NotPermitted(LedgerError):
    """An act reserved for administrators."""


class DatabaseNotReady(LedgerError):
    """The database has no schema, or an older one than this code: run ``godmother db upgrade``."""


# --- the monthly run ----------------------------------------------------------------------


class RunError(LedgerError):
    """A monthly run cannot go on as asked."""


class RunInProgress(RunError):
    def __init__(self) -> None:
        super().__init__(
            "another monthly run is in progress on this database; wait for it to finish, then run again "
            "(a run that stopped halfway is finished by running it again)"
        )


class DecidingStopped(RunError):
    def __init__(self, province: str, cause: str) -> None:
        self.province, self.cause = province, cause
        super().__init__(
            f"the process deciding {province} for the run stopped ({cause}); no decision of the run was "
            "kept: run the month again"
        )


class RunNotFound(NotFound):
    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        super().__init__(f"run {run_id} does not exist")


class FourEyesRefused(RunError):
    """The run waits for a second person: the preparer may not approve their own run."""


class RunOutdated(RunError):
    def __init__(self, run_id: int, differences: list[str]) -> None:
        self.run_id, self.differences = run_id, differences
        super().__init__(
            f"run {run_id} no longer matches the ledger and register ({len(differences)} decision(s) differ, "
            f"first: {differences[0]}); prepare it again with 'godmother run-month' and approve the new run"
        )


class RunLockLost(RunError):
    def __init__(self) -> None:
        super().__init__(
            "the run lost its lock on the database (its connection ended), so it stopped: what it posted "
            "stays, nothing is half-posted; run the month again to finish it"
        )
