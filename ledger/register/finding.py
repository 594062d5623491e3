"""Finding a child or a sponsor as a treasurer types them: ranked, paged, within her branches.

Every word typed must appear in the person's folded search text (code, name, phone), in any case and
without diacritics. A payment reference (``MDD000123T0525``) finds its sponsor. The best matches come
first: the code itself, then names with a word starting as typed, then the rest, by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, true
from sqlmodel import Session, col, select

from ledger.access import audit
from ledger.access.actor import Actor
from ledger.models import Branch
from ledger.register.folding import query_words
from ledger.register.models import Child, Sponsor

PAGE_SIZE = 25
_REFERENCE = re.compile(r"^([a-z0-9][a-z0-9._-]*?\d)t\d{4}$")  # a sponsor's code and the month it pays


@dataclass(frozen=True, slots=True)
class Found:
    code: str
    name: str
    branch: str
    born: str = ""


@dataclass(frozen=True, slots=True)
class Findings:
    query: str
    page: int
    size: int
    children: list[Found]
    children_count: int
    sponsors: list[Found]
    sponsors_count: int

    @property
    def pages(self) -> int:
        return max(1, -(-max(self.children_count, self.sponsors_count) // self.size))


def find_people(session: Session, actor: Actor, query: str, *, page: int = 1, size: int = PAGE_SIZE) -> Findings:
    """The children and sponsors of the actor's branches that ``query`` finds (a page of each, with counts)."""
    actor.require_staff()
    words = query_words(query)[:8]
    if not words:
        return Findings(query, 1, size, [], 0, [], 0)
    page = max(1, page)
    branches = {b.id: b.name for b in session.scalars(select(Branch))}
    children, children_count = _matching(session, actor, Child, Child.name_order, words, page, size)
    sponsors, sponsors_count = _matching(session, actor, Sponsor, Sponsor.name, words, page, size)
    audit.record(session, actor=actor, action="child.search", subject=f"search:{query.strip()[:50]}",
                 branch_id=actor.home_branch_id, detail={"found": children_count})  # fmt: skip
    return Findings(
        query,
        page,
        size,
        [Found(c.code, c.full_name, branches[c.branch_id], c.date_of_birth.isoformat()) for c in children],
        children_count,
        [Found(s.code, s.name, branches[s.branch_id]) for s in sponsors],
        sponsors_count,
    )


def typed_as(table: Any, query: str) -> Any:
    """The condition that a child's or sponsor's search text holds every word of ``query`` (folded)."""
    return and_(true(), *(col(table.search_text).contains(word, autoescape=True) for word in query_words(query)[:8]))


def _matching(
    session: Session, actor: Actor, table: Any, name: Any, words: list[str], page: int, size: int
) -> tuple[list[Any], int]:
    text = col(table.search_text)
    wanted: list[Any] = [text.contains(word, autoescape=True) for word in words]
    reference = _REFERENCE.match(words[0]) if len(words) == 1 else None
    found = and_(*wanted) if reference is None else or_(and_(*wanted), text.contains(reference[1], autoescape=True))
    where: list[Any] = [found]
    if actor.branch_ids is not None:
        where.append(col(table.branch_id).in_(sorted(actor.branch_ids)))
    count = session.scalar(select(func.count()).select_from(table).where(*where)) or 0
    typed = " ".join(words)
    rank = case(
        (func.lower(col(table.code)) == typed, 0),
        (func.lower(col(table.code)) == (reference[1] if reference else typed), 0),
        (text.contains(" " + typed, autoescape=True), 1),
        else_=2,
    )
    rows = session.scalars(
        select(table).where(*where).order_by(rank, col(name), col(table.code)).offset((page - 1) * size).limit(size)
    ).all()
    return list(rows), count
