"""What a transaction is before it is posted, and the checks an entry passes on its own
(at least two postings, whole đồng, sum zero), and what posting returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger import chain
from ledger.accounts import AccountKey
from ledger.errors import (
    InvalidEntry,
)
from ledger.months import Month

MAX_POSTINGS = 1000
MAX_AMOUNT = 10**15  # a quadrillion đồng: far above anything real, far below BIGINT


@dataclass(frozen=True, slots=True)
class Leg:
    """One line of an entry: ``amount`` đồng on ``account``, debit positive, credit negative."""

    account: AccountKey
    amount: int
    currency: str = "VND"


@dataclass(frozen=True, slots=True)
class DisbursementKey:
    """The (child, program, month) a disbursement pays; each can be paid once."""

    child: str
    program: str
    month: Month


@dataclass(frozen=True, slots=True)
class Entry:
    """A transaction to post."""

    effective_date: date
    description: str
    legs: tuple[Leg, ...]
    posted_by: str
    idempotency_key: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "general"
    reverses_id: int | None = None
    disbursement: DisbursementKey | None = None

    def fingerprint(self) -> str:
        """What makes two requests "the same content" for idempotency."""
        return chain.canonical_json(
            {
                "effective_date": self.effective_date.isoformat(),
                "description": self.description,
                "legs": [[leg.account.branch, leg.account.code, leg.amount, leg.currency] for leg in self.legs],
                "metadata": dict(self.metadata),
                "kind": self.kind,
                "reverses_id": self.reverses_id,
                "disbursement": (
                    [self.disbursement.child, self.disbursement.program, str(self.disbursement.month)]
                    if self.disbursement
                    else None
                ),
            }
        )


@dataclass(frozen=True, slots=True)
class Posted:
    """A transaction as it stands in the ledger; ``created`` is false for an idempotent replay."""

    id: int
    seq: int
    hash: str
    effective_date: date
    created: bool


# --- validation -------------------------------------------------------------------------


def validate(entry: Entry) -> None:
    """Refuse an entry that could never be posted, whatever the state of the ledger."""
    if len(entry.legs) < 2:
        raise InvalidEntry("a transaction needs at least two postings")
    if len(entry.legs) > MAX_POSTINGS:
        raise InvalidEntry(f"a transaction may have at most {MAX_POSTINGS} postings")
    totals: dict[str, int] = {}
    for line, leg in enumerate(entry.legs, start=1):
        if type(leg.amount) is not int:
            raise InvalidEntry(f"posting {line}: amounts are whole đồng (an integer), not {leg.amount!r}")
        if leg.amount == 0:
            raise InvalidEntry(f"posting {line}: an amount of zero moves nothing")
        if abs(leg.amount) > MAX_AMOUNT:
            raise InvalidEntry(f"posting {line}: {leg.amount:,} ₫ is beyond any real amount")
        if leg.currency != "VND":
            raise InvalidEntry(f"posting {line}: only VND is kept in this ledger, not {leg.currency!r}")
        totals[leg.currency] = totals.get(leg.currency, 0) + leg.amount
    unbalanced = {currency: total for currency, total in totals.items() if total != 0}
    if unbalanced:
        currency, total = next(iter(unbalanced.items()))
        raise InvalidEntry(f"the postings must sum to zero, but they sum to {total:,} {currency}")
    if not entry.description.strip():
        raise InvalidEntry("a transaction needs a description")
    if not entry.posted_by.strip():
        raise InvalidEntry("a transaction must say who posted it")
    if entry.idempotency_key is not None and not 0 < len(entry.idempotency_key) <= 200:
        raise InvalidEntry("an idempotency key has 1 to 200 characters")
    _check_json(entry.metadata, "metadata")


def _check_json(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEntry(f"{where}: keys must be strings")
            _check_json(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
    elif isinstance(value, float):
        raise InvalidEntry(f"{where}: no floating-point numbers in the ledger; use an integer or a string")
    elif not isinstance(value, str | int | bool) and value is not None:
        raise InvalidEntry(f"{where}: {type(value).__name__} cannot be stored")


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
