"""What a bank line could be: the ledger's open transactions on its account, the likeliest first.

A treasurer matching by hand picks from these rather than typing a transaction number: the
same amount within a few days first (closest day first), then whatever names the line's sponsor,
then, when she searches, anything whose description, sponsor or number has what she typed
(accents and case ignored, as banks write).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from ledger.access.actor import Actor
from ledger.models import LedgerTransaction
from ledger.reconciliation.by_hand import account_of_line
from ledger.reconciliation.matching import OpenLine
from ledger.reconciliation.reconcile import MatchRefused, open_entries, open_lines
from ledger.references import as_banks_write, compact

NEAR_DAYS = 7


@dataclass(frozen=True, slots=True)
class Candidate:
    transaction_id: int
    day: date
    amount: int  # what of it is open on the account; money in positive, as on the line
    description: str
    sponsor: str | None
    exact: bool  # the same amount as what is left of the line
    days_apart: int


def candidates_for(
    session: Session, actor: Actor, line_id: int, *, search: str = "", limit: int = 30
) -> tuple[OpenLine, list[Candidate]]:
    """The line (what is left of it) and the transactions it could be matched with."""
    bank = account_of_line(session, actor, line_id)
    line = next((o for o in open_lines(session, bank) if o.id == line_id), None)
    if line is None:
        raise MatchRefused(f"bank line {line_id} is already matched in full")
    entries = [e for e in open_entries(session, bank) if (e.amount > 0) == (line.amount > 0)]
    described = dict(
        session.execute(
            select(LedgerTransaction.id, LedgerTransaction.description).where(
                col(LedgerTransaction.id).in_([e.transaction_id for e in entries])
            )
        ).all()
    ) if entries else {}  # fmt: skip
    wanted = " ".join(as_banks_write(search).split())
    said = compact(line.description)
    found = []
    for entry in entries:
        description = described.get(entry.transaction_id, "")
        apart = abs((entry.day - line.booked_on).days)
        exact = entry.amount == line.amount
        if wanted:
            text = as_banks_write(f"{description} {entry.sponsor or ''} {entry.transaction_id}")
            keep = wanted in " ".join(text.split())
        else:
            keep = (exact and apart <= NEAR_DAYS) or bool(entry.sponsor and compact(entry.sponsor) in said)
        if keep:
            found.append(
                Candidate(entry.transaction_id, entry.day, entry.amount, description, entry.sponsor, exact, apart)
            )
    found.sort(key=lambda c: (not c.exact, c.days_apart, c.transaction_id))
    return line, found[:limit]
