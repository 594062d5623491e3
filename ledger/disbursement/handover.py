"""Handing a child's money to the guardian: guardian payable → cash or bank, once per child and month.

The amount is what the month's disbursements put on the child's guardian payable (every
program). Where there is evidence (a photo or scan of the signed slip), its bytes are kept and
its SHA-256 goes into the transaction's metadata, so the hash chain vouches for it too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from ledger.access import audit, rights
from ledger.access.actor import Actor
from ledger.accounts import AccountKey, branch_and_descendants
from ledger.cash import cash_account, require_cash
from ledger.disbursement.models import Evidence, Handover
from ledger.errors import InvalidEntry, LedgerError, NotFound
from ledger.ground.columns import table_of
from ledger.models import Account, Branch, Disbursement, Posting
from ledger.months import Month
from ledger.posting import Entry, Leg, post_many, standing
from ledger.register.models import BankAccount, Child

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
EVIDENCE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/tiff", "application/pdf")


def content_type_of(content: bytes) -> str | None:
    """What a file is, from its first bytes (its name says only what someone called it)."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[4:8] == b"ftyp" and content[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "image/heic"
    if content[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


class AlreadyHandedOver(LedgerError):
    def __init__(self, child: str, month: Month, transaction_id: int) -> None:
        self.child, self.month, self.transaction_id = child, month, transaction_id
        super().__init__(f"the guardian of {child} already received {month} (transaction {transaction_id})")


class NothingToHandOver(LedgerError):
    def __init__(self, child: str, month: Month) -> None:
        self.child, self.month = child, month
        super().__init__(f"nothing was disbursed to {child} for {month}: run the month first")


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    filename: str
    content: bytes


def keep_evidence(session: Session, evidence: EvidenceFile, *, by: str, now: datetime | None = None) -> Evidence:
    """Store a photo or scan once (by its SHA-256) and return it."""
    size = len(evidence.content)
    if size == 0:
        raise InvalidEntry(f"{evidence.filename} is empty")
    if size > MAX_EVIDENCE_BYTES:
        raise InvalidEntry(f"{evidence.filename} is {size // 1024 // 1024} MB: evidence may be at most 20 MB")
    content_type = content_type_of(evidence.content)
    if content_type not in EVIDENCE_TYPES:
        raise InvalidEntry(f"{evidence.filename} is not a photo or a PDF scan (JPEG, PNG, WebP, HEIC, TIFF or PDF)")
    digest = hashlib.sha256(evidence.content).hexdigest()
    existing = session.scalar(select(Evidence).where(col(Evidence.sha256) == digest))
    if existing is not None:
        return existing
    stored = Evidence(
        sha256=digest,
        filename=evidence.filename,
        content_type=content_type,
        size=size,
        content=evidence.content,
        recorded_at=now or datetime.now(UTC),
        recorded_by=by,
    )
    session.add(stored)
    session.flush()
    return stored


def record_handovers(
    session: Session,
    *,
    month: Month,
    on: date,
    actor: Actor,
    children: Sequence[str] = (),
    branch: str | None = None,
    method: str = "cash",
    bank_account: str | None = None,
    received_by: str = "",
    evidence: EvidenceFile | None = None,
    cash_from: str | None = None,
    now: datetime | None = None,
) -> list[Handover]:
    """Record that guardians received ``month``: of ``children``, or of every child of ``branch`` and below.

    Naming children, each must have something to receive and not have received it yet; for a
    whole branch, the children who have nothing waiting are skipped. Cash comes out of the cash
    box of ``cash_from`` (the commune whose treasurer drew it from the bank), else of each child's
    own branch; a box never pays more than it holds.
    """
    if method not in ("cash", "bank"):
        raise InvalidEntry(f"money is handed over in cash or by bank, not {method!r}")
    if bool(children) == bool(branch):
        raise InvalidEntry("name the children, or a branch for all of its children, not both")
    if evidence is not None and len(children) != 1:
        raise InvalidEntry("a slip is evidence for one child: name that child")
    where = rights.writable_branch(session, actor, branch).id if branch is not None else None
    for code in children:
        where = rights.writable_child(session, actor, code).branch_id
    if method == "bank" and bank_account:
        rights.writable_bank_account(session, actor, bank_account)
    if cash_from is not None:
        rights.writable_branch(session, actor, cash_from)
    source = _source(session, method, bank_account)
    owed = _owed(session, month, children, branch)
    done = dict(
        session.execute(
            select(Handover.child_id, Handover.transaction_id).where(
                col(Handover.month) == month.first_day, standing(Handover.transaction_id)
            )
        ).all()
    )
    for code in children:
        if code not in owed:
            raise NothingToHandOver(code, month)
        if owed[code][0].id in done:
            raise AlreadyHandedOver(code, month, done[owed[code][0].id])
    waiting = sorted((code, child, amount) for code, (child, amount) in owed.items() if child.id not in done)
    codes = {b.id: b.code for b in session.scalars(select(Branch))}
    rounds = dict(  # how many handovers of the month each child had, all reversed: this one comes after them
        session.execute(
            select(Handover.child_id, func.count())
            .where(col(Handover.month) == month.first_day, col(Handover.child_id).in_([c.id for _, c, _ in waiting]))
            .group_by(col(Handover.child_id))
        ).all()
    )
    kept = keep_evidence(session, evidence, by=actor.user, now=now) if evidence is not None else None
    if source is None:
        require_cash(session, _by_branch(codes, waiting, cash_from))
    entries = []
    for code, child, amount in waiting:
        branch_code = codes[child.branch_id]
        paid_from = source or AccountKey(cash_from or branch_code, "assets:cash")
        entries.append(
            Entry(
                effective_date=on,
                description=(
                    f"Trao tiền tháng {month.month:02d}/{month.year} cho người giám hộ của trẻ {code}"
                    f" / handed to the guardian of {code} for {month}"
                ),
                legs=(
                    Leg(AccountKey(branch_code, f"liabilities:payable:guardian:{code}"), amount),
                    Leg(paid_from, -amount),
                ),
                posted_by=actor.user,
                idempotency_key=f"handover:{code}:{month}" + (f":{rounds[child.id]}" if child.id in rounds else ""),
                kind="handover",
                metadata={
                    "child": code,
                    "month": str(month),
                    "method": method,
                    **({"received_by": received_by} if received_by else {}),
                    **({"evidence_sha256": kept.sha256} if kept else {}),
                },
            )
        )
    posted = post_many(session, entries, now=now)
    rows = [
        {
            "transaction_id": p.id,
            "child_id": child.id,
            "month": month.first_day,
            "amount": amount,
            "method": method,
            "received_by": received_by,
            "evidence_id": kept.id if kept else None,
            "round": rounds.get(child.id, 0),
        }  # fmt: skip
        for p, (_, child, amount) in zip(posted, waiting, strict=True)
    ]
    if rows:  # one statement for a whole branch's guardians, not an object each
        session.execute(insert(table_of(Handover)), rows)
    handovers = [Handover.model_construct(**row) for row in rows]
    audit.record(
        session,
        actor=actor,
        action="handover",
        subject=f"child:{children[0]}" if len(children) == 1 else f"branch:{branch or ','.join(children)[:150]}",
        branch_id=where,
        detail={"month": str(month), "method": method, "guardians": len(handovers), "evidence": kept is not None},
    )
    return handovers


@dataclass(frozen=True, slots=True)
class HandoverProposal:
    """What the guardians of a branch still wait for in a month, and what its cash boxes hold."""

    month: Month
    waiting: Sequence[tuple[str, str, int]]  # child's code, name, amount
    needed: dict[str, int]  # per branch whose cash box pays its children
    held: dict[str, int]

    @property
    def total(self) -> int:
        return sum(amount for _, _, amount in self.waiting)

    @property
    def cash_short(self) -> int:
        """What must be withdrawn from the bank before every guardian can be paid in cash."""
        return sum(max(0, need - self.held.get(branch, 0)) for branch, need in self.needed.items())


def handover_proposal(
    session: Session, *, actor: Actor, branch: str, month: Month, cash_from: str | None = None
) -> HandoverProposal:
    """The handover form's proposal: who waits, how much, and whether the cash box (``cash_from``'s, else
    each child's branch's) can pay it."""
    rights.branch(session, actor, branch)
    owed = _owed(session, month, (), branch)
    done = set(
        session.scalars(
            select(Handover.child_id).where(col(Handover.month) == month.first_day, standing(Handover.transaction_id))
        )
    )
    waiting = sorted((code, child, amount) for code, (child, amount) in owed.items() if child.id not in done)
    codes = {b.id: b.code for b in session.scalars(select(Branch))}
    needed = _by_branch(codes, waiting, cash_from)
    held = {}
    for code in needed:
        account = cash_account(session, code)
        held[code] = account.balance if account is not None else 0
    return HandoverProposal(month, [(code, child.full_name, amount) for code, child, amount in waiting], needed, held)


def _by_branch(
    codes: dict[int, str], waiting: Sequence[tuple[str, Child, int]], cash_from: str | None
) -> dict[str, int]:
    """What each cash box is to pay."""
    needed: dict[str, int] = {}
    for _, child, amount in waiting:
        box = cash_from or codes[child.branch_id]
        needed[box] = needed.get(box, 0) + amount
    return needed


def _source(session: Session, method: str, bank_account: str | None) -> AccountKey | None:
    if method == "cash":
        if bank_account:
            raise InvalidEntry("cash is handed over from the branch's cash, not a bank account")
        return None
    account = session.scalar(select(BankAccount).where(col(BankAccount.code) == (bank_account or "")))
    if account is None:
        raise NotFound(
            f"bank account {bank_account!r} is not in the register" if bank_account else "say which bank account paid"
        )
    branch = session.get(Branch, account.branch_id)
    assert branch is not None
    return AccountKey(branch.code, f"assets:bank:{account.code}")


def _owed(session: Session, month: Month, children: Sequence[str], branch: str | None) -> dict[str, tuple[Child, int]]:
    """What the month's disbursements put on each child's guardian payable."""
    query = (
        select(Child, Posting.amount)
        .join(Disbursement, col(Disbursement.child_code) == Child.code)
        .join(Posting, col(Posting.transaction_id) == Disbursement.transaction_id)
        .join(Account, (col(Account.id) == Posting.account_id) & (col(Account.id) == Child.payable_account_id))
        .where(
            col(Disbursement.month) == month.first_day,
            standing(Disbursement.transaction_id),  # reversed: nothing owed
        )
    )
    if children:
        query = query.where(col(Child.code).in_(list(children)))
    else:
        assert branch is not None
        ids = [b.id for b in branch_and_descendants(session, branch)]
        query = query.where(col(Child.branch_id).in_(ids))
    owed: dict[str, tuple[Child, int]] = {}
    for child, amount in session.execute(query):
        before = owed.get(child.code, (child, 0))[1]
        owed[child.code] = (child, before - amount)
    for code in children:
        if code not in owed and session.scalar(select(Child.id).where(col(Child.code) == code)) is None:
            raise NotFound(f"child {code!r} is not in the register")
    return owed
