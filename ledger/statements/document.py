"""The statement document: its request, its envelope, its verification code, and comparing two.

A document is JSON: ``{"kind", "version", "request", "issued_on", "chain": {"seq", "hash"},
"branch": {...}, "body": {...}}``. The verification code is the first 80 bits of SHA-256 over
its canonical JSON, written as four groups of base32 letters (``K7QX-2M4D-...``): short enough
to read out over the phone, long enough that no one finds another document with the same code.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ledger.accounts import branch_and_descendants
from ledger.chain import canonical_json
from ledger.errors import InvalidEntry
from ledger.models import Account, Branch, ChainHead, LedgerTransaction
from ledger.months import Month
from ledger.register.models import Child

KINDS = (
    "sponsor",
    "guardian",
    "treasurer",
    "audit",
    "trial-balance",
    "payment-list",
    "cash-book",
    "bank-book",
    "general-ledger",
    "child-ledger",
    "sponsor-ledger",
)
VERSION = 1
GENESIS = "0" * 64

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Period:
    """Whole months, ``first`` to ``last``."""

    first: Month
    last: Month

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InvalidEntry(f"the period ends ({self.last}) before it starts ({self.first})")

    @classmethod
    def month(cls, month: Month) -> Period:
        return cls(month, month)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(Month(year, 1), Month(year, 12))

    @property
    def start(self) -> date:
        return self.first.first_day

    @property
    def end(self) -> date:
        return self.last.last_day

    @property
    def years(self) -> range:
        return range(self.first.year, self.last.year + 1)

    def months(self) -> Iterator[Month]:
        month = self.first
        while month <= self.last:
            yield month
            month = month.next()

    def to_json(self) -> dict[str, str]:
        return {"from": str(self.first), "to": str(self.last)}

    @classmethod
    def from_json(cls, value: dict[str, str]) -> Period:
        return cls(Month.parse(value["from"]), Month.parse(value["to"]))

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}..{self.last}"


@dataclass(frozen=True, slots=True)
class StatementRequest:
    """What to issue: a kind, whom or which branch it is about, the period; a guardian slip may name one
    child, a general ledger one of our account codes or a prefix of them."""

    kind: str
    subject: str
    period: Period
    child: str | None = None
    account: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidEntry(f"a statement is one of {', '.join(KINDS)}, not {self.kind!r}")

    def to_json(self) -> dict[str, Any]:
        found = {"kind": self.kind, "subject": self.subject, "period": self.period.to_json(), "child": self.child}
        return found | ({"account": self.account} if self.account else {})

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> StatementRequest:
        period = Period.from_json(value["period"])
        return cls(value["kind"], value["subject"], period, value.get("child"), value.get("account"))

    @property
    def filename(self) -> str:
        child = f"-{self.child}" if self.child else ""
        account = f"-{self.account.strip(':').replace(':', '.')}" if self.account else ""
        return f"{self.kind}-{self.subject}{child}{account}-{self.period}.pdf".replace("..", "_")


def chain_head(session: Session) -> dict[str, Any]:
    head = session.get(ChainHead, 1)
    return {"seq": head.seq, "hash": head.hash} if head is not None else {"seq": 0, "hash": GENESIS}


def hash_at(session: Session, seq: int) -> str | None:
    """The chain's hash after transaction ``seq`` (the genesis hash for 0); None if there is none."""
    if seq == 0:
        return GENESIS
    return session.scalar(select(LedgerTransaction.hash).where(col(LedgerTransaction.seq) == seq))


@dataclass(frozen=True, slots=True)
class Subtree:
    """A branch and the branches below it: what a branch statement covers."""

    root: Branch
    ids: list[int]
    branches: dict[int, Branch]  # every branch, for names and parents

    @property
    def accounts(self) -> Any:
        """A subquery of the ids of every account of the subtree."""
        return select(Account.id).where(col(Account.branch_id).in_(self.ids))

    @property
    def heading(self) -> dict[str, Any]:
        return branch_heading(self.branches, self.root.id)


def subtree(session: Session, code: str) -> Subtree:
    ids = [b.id for b in branch_and_descendants(session, code)]
    branches = {b.id: b for b in session.scalars(select(Branch))}
    return Subtree(branches[ids[0]], ids, branches)


def branch_heading(branches: dict[int, Branch], branch_id: int) -> dict[str, Any]:
    """The branch and the branches above it, nearest first: what a statement's header names."""
    branch = branches[branch_id]
    above: list[str] = []
    parent = branch.parent_id
    while parent is not None and parent in branches and len(above) < 5:
        above.append(branches[parent].name)
        parent = branches[parent].parent_id
    return {"code": branch.code, "name": branch.name, "above": above}


def envelope(
    request: StatementRequest, *, issued_on: date, chain: dict[str, Any], branch: dict[str, Any], body: dict[str, Any]
) -> Document:
    return {
        "kind": request.kind,
        "version": VERSION,
        "request": request.to_json(),
        "issued_on": issued_on.isoformat(),
        "chain": chain,
        "branch": branch,
        "body": body,
    }


def verification_code(document: Document) -> str:
    digest = hashlib.sha256(canonical_json(document).encode()).digest()
    letters = base64.b32encode(digest[:10]).decode()
    return "-".join(letters[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True, slots=True)
class Difference:
    path: str
    then: Any
    now: Any


def differences(then: Any, now: Any, path: str = "", limit: int = 50) -> list[Difference]:
    """Where two documents disagree, as paths into them (``body.pledges[0].months[2].paid``)."""
    found: list[Difference] = []
    _diff(then, now, path, found, limit)
    return found


def _diff(then: Any, now: Any, path: str, found: list[Difference], limit: int) -> None:
    if len(found) >= limit:
        return
    if isinstance(then, dict) and isinstance(now, dict):
        for key in sorted(set(then) | set(now)):
            _diff(then.get(key), now.get(key), f"{path}.{key}" if path else key, found, limit)
    elif isinstance(then, list) and isinstance(now, list):
        for i in range(max(len(then), len(now))):
            _diff(then[i] if i < len(then) else None, now[i] if i < len(now) else None, f"{path}[{i}]", found, limit)
    elif then != now:
        found.append(Difference(path, then, now))


def child_names(session: Session, codes: Collection[str]) -> dict[str, str]:
    """Account code → the name of the child its fund or payable belongs to."""
    owner = {code: code.rsplit(":", 1)[-1] for code in codes if ":child:" in code or ":guardian:" in code}
    wanted = sorted(set(owner.values()))
    names: dict[str, str] = {}
    for i in range(0, len(wanted), 1_000):
        chunk = wanted[i : i + 1_000]
        for child, name in session.execute(select(Child.code, Child.full_name).where(col(Child.code).in_(chunk))):
            names[child] = name
    return {code: names[child] for code, child in owner.items() if child in names}
