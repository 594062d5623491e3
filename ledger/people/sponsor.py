"""A sponsor's record as the staff of her branch read it, and as she reads her own.

What she pledged and for whom (with each change), every payment and what it was allocated to, what
she owes month by month, the statements and reminders sent to her.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from ledger.access import rights
from ledger.access.actor import Actor
from ledger.models import Branch
from ledger.months import Month
from ledger.register import pledges as pledge_book
from ledger.register.models import Child, Pledge, PledgeChange, Sponsor
from ledger.register.payments import PaymentView, payment_view, payments_of
from ledger.schedule.models import ArrearsReminder, StoredStatement

PAYMENTS_SHOWN = 60


@dataclass(frozen=True, slots=True)
class SponsorPledge:
    pledge: Pledge
    child: Child
    changes: list[PledgeChange]
    owed: list[tuple[Month, int]]  # the months still owed through this month, oldest first
    active: bool  # schedules a month from this one on

    @property
    def arrears(self) -> int:
        return sum(amount for _, amount in self.owed)


@dataclass(frozen=True, slots=True)
class SponsorRecord:
    sponsor: Sponsor
    branch: Branch
    pledges: list[SponsorPledge]
    payments: list[PaymentView]
    statements: list[StoredStatement]
    reminders: list[ArrearsReminder]
    may_write: bool

    @property
    def arrears(self) -> int:
        return sum(p.arrears for p in self.pledges)

    @property
    def owed_months(self) -> list[Month]:
        return sorted({m for p in self.pledges for m, _ in p.owed})

    @property
    def has_active_pledge(self) -> bool:
        return any(p.active for p in self.pledges)


def sponsor_record(session: Session, actor: Actor, code: str, *, today: date) -> SponsorRecord:
    """One sponsor of the actor's branches (or the sponsor herself); ``NotFound`` for anyone else's."""
    sponsor = rights.sponsor(session, actor, code)
    branch = session.get(Branch, sponsor.branch_id)
    assert branch is not None and sponsor.id is not None
    this = Month.of(today)
    found = list(session.scalars(select(Pledge).where(col(Pledge.sponsor_id) == sponsor.id).order_by(col(Pledge.code))))
    changes = pledge_book.changes_of(session, found)
    planned = pledge_book.schedules(session, found)
    owed: dict[int, list[tuple[Month, int]]] = {p.id: [] for p in found}
    for share in pledge_book.outstanding(session, found, through=this):
        owed[share.pledge.id].append((share.month, share.amount))
    child_ids = sorted({p.child_id for p in found} | {c.child_id for cs in changes.values() for c in cs if c.child_id})
    children = (
        {c.id: c for c in session.scalars(select(Child).where(col(Child.id).in_(child_ids)))} if child_ids else {}
    )
    lines = [
        SponsorPledge(
            pledge=p,
            child=children[p.child_id],
            changes=changes.get(p.id, []),
            owed=sorted(owed[p.id], key=lambda item: item[0]),
            active=any(s.month >= this and s.amount > 0 for s in planned[p.id]),
        )
        for p in found
    ]
    return SponsorRecord(
        sponsor=sponsor,
        branch=branch,
        pledges=lines,
        payments=[payment_view(session, p) for p in payments_of(session, sponsor.id, limit=PAYMENTS_SHOWN)],
        statements=list(
            session.scalars(
                select(StoredStatement)
                .where(col(StoredStatement.kind) == "sponsor", col(StoredStatement.subject) == sponsor.code)
                .order_by(col(StoredStatement.period).desc())
                .limit(24)
            )
        ),
        reminders=list(
            session.scalars(
                select(ArrearsReminder)
                .where(col(ArrearsReminder.sponsor_id) == sponsor.id)
                .order_by(col(ArrearsReminder.sent_at).desc())
                .limit(12)
            )
        ),
        may_write=actor.may_write(sponsor.branch_id),
    )


def owing_and_reminded(session: Session, branch_id: int, *, through: Month) -> list[tuple[Sponsor, int]]:
    """The branch's sponsors who want reminders and owe something through ``through``, with what they owe.

    Their pledges and allocations are read once for all of them (one pledge book), not per sponsor.
    """
    sponsors = list(
        session.scalars(
            select(Sponsor)
            .where(col(Sponsor.branch_id) == branch_id, col(Sponsor.reminders))  # not those who said no
            .order_by(col(Sponsor.code))
        )
    )
    theirs = pledge_book.pledges_by_sponsor(session, [s.id for s in sponsors])
    book = pledge_book.PledgeBook(session, [p for pledges in theirs.values() for p in pledges])
    owing = [(s, sum(share.amount for share in book.outstanding(theirs[s.id], through=through))) for s in sponsors]
    return [(sponsor, owed) for sponsor, owed in owing if owed > 0]
