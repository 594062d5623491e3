"""Finding a branch's things for an actor: what they may see, and what they may change.

Every domain operation looks up what it acts on through these, whichever door the request
came in by. Anything outside the actor's scope raises the same ``NotFound`` as something that
does not exist, so the answer never tells an outsider what is there; a reader asking to change
something they can see gets ``Forbidden``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from ledger.access.actor import Actor, Forbidden
from ledger.errors import (
    BankAccountNotFound,
    BranchNotFound,
    ChildNotFound,
    NotFound,
    SponsorNotFound,
    TransactionNotFound,
)
from ledger.models import Account, Branch, LedgerTransaction, Posting
from ledger.register.models import BankAccount, Child, Payment, Pledge, Sponsor


def branch(db: Session, actor: Actor, code: str) -> Branch:
    found = db.scalar(select(Branch).where(col(Branch.code) == code))
    if found is None or not actor.sees_branch(found.id):
        raise BranchNotFound(code)
    return found


def writable_branch(db: Session, actor: Actor, code: str) -> Branch:
    found = branch(db, actor, code)
    actor.require_writer()
    return found


def whole_ledger(actor: Actor, what: str) -> None:
    """Acting on every branch at once is an administrator's."""
    if not actor.is_admin:
        raise Forbidden(f"{what} for every branch at once is for administrators: name your branch")


def sponsor(db: Session, actor: Actor, code: str) -> Sponsor:
    found = db.scalar(select(Sponsor).where(col(Sponsor.code) == code))
    if found is None or not (actor.sees_branch(found.branch_id) or found.id == actor.sponsor_id):
        raise SponsorNotFound(code)
    return found


def own_sponsor(db: Session, actor: Actor) -> Sponsor:
    """The signed-in sponsor's own record; anyone else is refused (her pages are hers alone)."""
    if actor.sponsor_id is None:
        raise Forbidden("this page is a sponsor's")
    found = db.get(Sponsor, actor.sponsor_id)
    if found is None:
        raise SponsorNotFound(str(actor.sponsor_id))
    return found


def writable_sponsor(db: Session, actor: Actor, code: str) -> Sponsor:
    found = sponsor(db, actor, code)
    actor.require_writer()
    if not actor.may_write(found.branch_id):
        raise SponsorNotFound(code)
    return found


def writable_sponsors(db: Session, actor: Actor, codes: Iterable[str]) -> dict[str, Sponsor]:
    """``writable_sponsor`` for many codes at once (one query); refused at the first that is not."""
    wanted = list(dict.fromkeys(codes))
    found = {s.code: s for s in db.scalars(select(Sponsor).where(col(Sponsor.code).in_(wanted)))} if wanted else {}
    if wanted:
        actor.require_writer()
    for code in wanted:
        sponsor = found.get(code)
        if sponsor is None or not actor.may_write(sponsor.branch_id):
            raise SponsorNotFound(code)
    return found


def sponsors_child(db: Session, actor: Actor, child: Child) -> bool:
    """Whether the signed-in sponsor has (or had) a pledge to ``child``."""
    if actor.sponsor_id is None:
        return False
    return (
        db.scalar(
            select(Pledge.id)
            .where(col(Pledge.child_id) == child.id, col(Pledge.sponsor_id) == actor.sponsor_id)
            .limit(1)
        )
        is not None
    )


def child(db: Session, actor: Actor, code: str) -> Child:
    """A child the actor may see: in the branch scope, or sponsored by the signed-in sponsor."""
    found = db.scalar(select(Child).where(col(Child.code) == code))
    if found is None or not (actor.sees_branch(found.branch_id) or sponsors_child(db, actor, found)):
        raise ChildNotFound(code)
    return found


def child_names(db: Session, actor: Actor, codes: Iterable[str]) -> dict[str, str]:
    """The full names of the children among ``codes`` the actor sees (one query)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {
        code: name
        for code, name, branch_id in db.execute(
            select(Child.code, Child.full_name, Child.branch_id).where(col(Child.code).in_(wanted))
        )
        if actor.sees_branch(branch_id)
    }


def writable_child(db: Session, actor: Actor, code: str) -> Child:
    """A child whose records the actor may change (treasurers of its branch, administrators)."""
    found = child(db, actor, code)
    actor.require_writer()
    if not actor.may_write(found.branch_id):
        raise ChildNotFound(code)
    return found


def bank_account(db: Session, actor: Actor, code: str) -> BankAccount:
    found = db.scalar(select(BankAccount).where(col(BankAccount.code) == code))
    if found is None or not actor.sees_branch(found.branch_id):
        raise BankAccountNotFound(code)
    return found


def writable_bank_account(db: Session, actor: Actor, code: str) -> BankAccount:
    found = bank_account(db, actor, code)
    actor.require_writer()
    return found


def pledge(db: Session, actor: Actor, code: str) -> Pledge:
    """A pledge the actor may see: their own, or one whose sponsor or child is in their scope."""
    found = db.scalar(select(Pledge).where(col(Pledge.code) == code))
    if found is not None and (
        found.sponsor_id == actor.sponsor_id or any(actor.sees_branch(b) for b in _pledge_branches(db, found))
    ):
        return found
    raise NotFound(f"pledge {code!r} does not exist")


def writable_pledge(db: Session, actor: Actor, code: str) -> Pledge:
    """A pledge the actor may change or pay into: the branch of its child (whose fund it fills) is theirs."""
    found = pledge(db, actor, code)
    actor.require_writer()
    if not actor.may_write(db.scalar(select(Child.branch_id).where(col(Child.id) == found.child_id))):
        raise NotFound(f"pledge {code!r} does not exist")
    return found


def _pledge_branches(db: Session, found: Pledge) -> list[int]:
    owner = db.scalar(select(Sponsor.branch_id).where(col(Sponsor.id) == found.sponsor_id))
    child_branch = db.scalar(select(Child.branch_id).where(col(Child.id) == found.child_id))
    return [b for b in (owner, child_branch) if b is not None]


def branches_of_transaction(db: Session, transaction_id: int) -> set[int]:
    return set(
        db.scalars(
            select(Account.branch_id)
            .join(Posting, col(Posting.account_id) == Account.id)
            .where(col(Posting.transaction_id) == transaction_id)
        )
    )


def writable_transaction(db: Session, actor: Actor, transaction_id: int) -> tuple[LedgerTransaction, set[int]]:
    """A transaction the actor may correct (every branch it touches is theirs to change), and those branches."""
    found = db.get(LedgerTransaction, transaction_id)
    touched = branches_of_transaction(db, transaction_id) if found is not None else set()
    if found is None or not any(actor.sees_branch(b) for b in touched):
        raise TransactionNotFound(transaction_id)
    actor.require_writer()
    if not all(actor.may_write(b) for b in touched):
        raise Forbidden(f"transaction {transaction_id} also moves another branch's money: ask an administrator")
    return found, touched


def bank_accounts_seen_by(db: Session, actor: Actor, branch_ids: Iterable[int] | None = None) -> list[BankAccount]:
    """The bank accounts of the actor's branches (narrowed to ``branch_ids``), by code."""
    wanted = set(branch_ids) if branch_ids is not None else None
    return [
        account
        for account in db.scalars(select(BankAccount).order_by(col(BankAccount.code)))
        if actor.sees_branch(account.branch_id) and (wanted is None or account.branch_id in wanted)
    ]


def branch_codes_seen_by(db: Session, actor: Actor) -> set[str]:
    """The codes of the branches the actor sees."""
    query = select(Branch.code)
    if actor.branch_ids is not None:
        query = query.where(col(Branch.id).in_(actor.branch_ids))
    return set(db.scalars(query))


def payment(db: Session, actor: Actor, payment_id: int) -> Payment:
    """A payment the actor may see: their own (a sponsor), or one of a sponsor or bank account in sight."""
    found = db.get(Payment, payment_id)
    if found is not None:
        if found.sponsor_id == actor.sponsor_id and actor.sponsor_id is not None:
            return found
        owner = db.scalar(select(Sponsor.branch_id).where(col(Sponsor.id) == found.sponsor_id))
        bank = db.scalar(select(BankAccount.branch_id).where(col(BankAccount.id) == found.bank_account_id))
        if actor.sees_branch(owner) or (bank is not None and actor.sees_branch(bank)):
            return found
    raise NotFound(f"payment {payment_id} does not exist")
