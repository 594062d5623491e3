"""Automatic matching of a bank account's statement lines to the ledger's transactions on it.

Rules, in this order, each taking only what earlier rules left:

1. ``reversal``: a transaction and its reversal cancel out; neither needs a bank line.
2. ``reference``: a credit whose description names a sponsor's (or pledge's) code, however the
   bank mangled it (``MBVCB.453...NGUYEN THI HOA chuyen tien mdd 000-123 t0525``), is that
   sponsor's recorded bank payment of the same amount within ``REFERENCE_DAYS`` (the nearest),
   or the sum of all of them in that window (one transfer for several payments). With no such
   payment recorded, the payment is *created* from the line and allocated like any other.
3. ``amount-date``: a line and a transaction of exactly the same amount within ``WINDOW_DAYS``,
   paired in date order among those of that amount (the nearest, without crossing pairs).
4. ``batch``: a debit that equals the sum of one day's debits of one kind (every handover of the
   day, say), or of all that day's debits, within the window: one bank transfer paying many
   guardians.
5. ``suspense``: a credit that names nothing and matches nothing is posted to
   ``liabilities:suspense`` and waits there, on the treasurer's list, to be identified.

Debits left over stay unmatched for the treasurer (a bank fee to book, say). Every rule looks
things up in dictionaries or walks date-sorted lists once: matching n lines costs n log n.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from ledger.references import compact

REFERENCE_DAYS = 10
WINDOW_DAYS = 5


@dataclass(slots=True)
class OpenLine:
    id: int
    booked_on: date
    amount: int  # what is not matched yet; credit positive
    description: str


@dataclass(slots=True)
class OpenEntry:
    transaction_id: int
    day: date
    amount: int  # its posting on the bank account not matched yet; debit (money in) positive
    kind: str = "general"
    sponsor: str | None = None  # for a sponsor's payment
    reverses: int | None = None


@dataclass(frozen=True, slots=True)
class Proposal:
    rule: str
    lines: tuple[tuple[int, int], ...]  # (line id, amount)
    entries: tuple[tuple[int, int], ...]  # (transaction id, amount)
    sponsor: str | None = None  # ``created-payment``: whose payment to record

    @property
    def creates(self) -> str | None:
        return {"created-payment": "payment", "suspense": "suspense"}.get(self.rule)


class ReferenceFinder:
    """Finds which sponsor a bank description names, in one pass over the description.

    Codes are letters then digits (``MDD000123``, ``P-000045``); a code must not run on into
    more digits (``MDD0001234`` is not ``MDD000123``). Pledge codes name their sponsor.
    """

    def __init__(self, codes: dict[str, str]) -> None:  # code (sponsor or pledge) → sponsor code
        self.sponsor_of = {compact(code): sponsor for code, sponsor in codes.items() if compact(code)}
        prefixes = {m[1] for c in self.sponsor_of if (m := re.fullmatch(r"([A-Z]+)\d+", c))}
        self.odd = [c for c in self.sponsor_of if not re.fullmatch(r"[A-Z]+\d+", c)]
        alternatives = "|".join(sorted(prefixes, key=len, reverse=True))
        self.pattern = re.compile(rf"(?:{alternatives})\d+") if prefixes else None

    def sponsor_in(self, description: str) -> str | None:
        text = compact(description)
        found = []
        if self.pattern is not None:
            found = [self.sponsor_of[m[0]] for m in self.pattern.finditer(text) if m[0] in self.sponsor_of]
        found += [self.sponsor_of[c] for c in self.odd if c in text]
        distinct = set(found)
        return found[0] if len(distinct) == 1 else None  # naming two sponsors is for a person to sort out


@dataclass
class _Index:
    """Open entries by (amount, day) and by (sponsor, day), taken lazily."""

    entries: dict[int, OpenEntry]
    used: set[int] = field(default_factory=set)
    by_amount_day: dict[tuple[int, int], list[int]] = field(default_factory=lambda: defaultdict(list))
    by_sponsor_day: dict[tuple[str, int], list[int]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for entry in sorted(self.entries.values(), key=lambda e: e.transaction_id, reverse=True):
            day = entry.day.toordinal()
            self.by_amount_day[(entry.amount, day)].append(entry.transaction_id)
            if entry.sponsor is not None and entry.amount > 0:
                self.by_sponsor_day[(entry.sponsor, day)].append(entry.transaction_id)

    def take(self, key: tuple[int, int]) -> int | None:
        bucket = self.by_amount_day.get(key)
        while bucket:
            candidate = bucket.pop()
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate
        return None

    def sponsor_entries(self, sponsor: str, day: date, window: int) -> list[OpenEntry]:
        ordinal = day.toordinal()
        found = []
        for offset in _offsets(window):
            for txn in self.by_sponsor_day.get((sponsor, ordinal + offset), ()):
                if txn not in self.used:
                    found.append(self.entries[txn])
        return found


def _offsets(window: int) -> Iterable[int]:
    yield 0
    for step in range(1, window + 1):
        yield -step
        yield step


def plan(lines: Sequence[OpenLine], entries: Sequence[OpenEntry], finder: ReferenceFinder) -> list[Proposal]:
    """What to match, create or send to suspense; nothing is written."""
    proposals: list[Proposal] = []
    index = _Index({e.transaction_id: e for e in entries})

    for entry in entries:  # 1. reversals
        original = index.entries.get(entry.reverses) if entry.reverses is not None else None
        if (
            original is not None
            and original.amount == -entry.amount
            and not {entry.transaction_id, original.transaction_id} & index.used
        ):
            index.used.update((entry.transaction_id, original.transaction_id))
            pair = ((original.transaction_id, original.amount), (entry.transaction_id, entry.amount))
            proposals.append(Proposal("reversal", (), pair))

    ordered = sorted(lines, key=lambda x: (x.booked_on, x.id))
    named = {line.id: finder.sponsor_in(line.description) for line in ordered if line.amount > 0}
    for line in ordered:  # 2. references first, so that no other line takes a sponsor's payment
        sponsor = named.get(line.id)
        if sponsor is not None:
            proposals.append(_by_reference(line, sponsor, index))
    # 3. amount and date: per amount, lines and transactions in date order, paired in that order
    # (which pairs each with its nearest when days are close, and never crosses two pairs).
    left: list[OpenLine] = []
    lines_of: dict[int, list[OpenLine]] = defaultdict(list)
    for line in ordered:
        if named.get(line.id) is None:
            lines_of[line.amount].append(line)
    entries_of: dict[int, list[OpenEntry]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: (e.day, e.transaction_id)):
        if entry.transaction_id not in index.used and entry.amount in lines_of:
            entries_of[entry.amount].append(entry)
    for amount, waiting in lines_of.items():
        left.extend(_pair_in_date_order(amount, waiting, entries_of.get(amount, []), index, proposals))
    left.sort(key=lambda x: (x.booked_on, x.id))

    by_day: dict[int, list[OpenEntry]] = defaultdict(list)  # 4. batches
    for entry in entries:
        if entry.amount < 0 and entry.transaction_id not in index.used:
            by_day[entry.day.toordinal()].append(entry)
    for line in left:
        if line.amount < 0:
            for offset in _offsets(WINDOW_DAYS):
                day = [
                    e for e in by_day.get(line.booked_on.toordinal() + offset, ()) if e.transaction_id not in index.used
                ]
                # The day's debits of one kind (say, every handover), else all of the day's debits.
                kinds = sorted({e.kind for e in day})
                groups = [[e for e in day if e.kind == kind] for kind in kinds] + [day]
                group = next((g for g in groups if len(g) > 1 and sum(e.amount for e in g) == line.amount), None)
                if group is not None:
                    index.used.update(e.transaction_id for e in group)
                    parts = tuple((e.transaction_id, e.amount) for e in group)
                    proposals.append(Proposal("batch", ((line.id, line.amount),), parts))
                    break
        else:  # 5. suspense
            proposals.append(Proposal("suspense", ((line.id, line.amount),), ()))
    return proposals


def _pair_in_date_order(
    amount: int, waiting: list[OpenLine], candidates: list[OpenEntry], index: _Index, proposals: list[Proposal]
) -> list[OpenLine]:
    """Each line (in date order) takes the earliest open transaction within the window, which
    matches as many as can be matched; when no later line could use that one, the nearest instead."""
    taken: set[int] = set()
    j, unmatched = 0, []
    for i, line in enumerate(waiting):
        while j < len(candidates) and (j in taken or (line.booked_on - candidates[j].day).days > WINDOW_DAYS):
            j += 1  # taken, or too early for this line and so for every later one
        if j >= len(candidates) or (candidates[j].day - line.booked_on).days > WINDOW_DAYS:
            unmatched.append(line)
            continue
        pick = j
        following = waiting[i + 1] if i + 1 < len(waiting) else None
        if following is None or (following.booked_on - candidates[j].day).days > WINDOW_DAYS:
            k = j
            while k < len(candidates) and (candidates[k].day - line.booked_on).days <= WINDOW_DAYS:
                if k not in taken and abs((candidates[k].day - line.booked_on).days) < abs(
                    (candidates[pick].day - line.booked_on).days
                ):
                    pick = k
                k += 1
        taken.add(pick)
        index.used.add(candidates[pick].transaction_id)
        proposals.append(Proposal("amount-date", ((line.id, amount),), ((candidates[pick].transaction_id, amount),)))
    return unmatched


def _by_reference(line: OpenLine, sponsor: str, index: _Index) -> Proposal:
    candidates = index.sponsor_entries(sponsor, line.booked_on, REFERENCE_DAYS)  # nearest day first
    exact = next((e for e in candidates if e.amount == line.amount), None)
    chosen = [exact] if exact is not None else candidates
    if chosen and sum(e.amount for e in chosen) == line.amount:
        index.used.update(e.transaction_id for e in chosen)
        return Proposal("reference", ((line.id, line.amount),), tuple((e.transaction_id, e.amount) for e in chosen))
    return Proposal("created-payment", ((line.id, line.amount),), (), sponsor)
