"""Guardian slips: one child's money for a month, with lines to sign when it is handed over in cash.

One slip per child who had something disbursed for the month (net of reversals), for a whole
branch subtree or for one child. A slip already handed over says when and how; otherwise it
leaves room for the guardian's and the treasurer's signatures.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ledger.disbursement.models import Handover
from ledger.disbursement.received import received
from ledger.errors import NotFound
from ledger.models import LedgerTransaction
from ledger.months import Month
from ledger.posting import standing
from ledger.register.models import Child
from ledger.statements.document import Document, Period, StatementRequest, chain_head, envelope, subtree


def guardian_slips(
    session: Session, *, branch: str, month: Month, issued_on: date, child: str | None = None
) -> Document:
    """The month's slips for every child of ``branch`` and the branches below it (or just ``child``)."""
    tree = subtree(session, branch)
    scope, branches = tree.ids, tree.branches
    if child is not None:
        one = session.scalar(select(Child).where(col(Child.code) == child, col(Child.branch_id).in_(scope)))
        if one is None:
            raise NotFound(f"child {child!r} is not in the register of {branch}")
    paid = received(
        session,
        children=[child] if child is not None else None,
        branch_ids=scope,
        start=month.first_day,
        end=month.first_day,
    )
    by_child: dict[str, list[dict[str, Any]]] = {}
    for (code, _, program), amount in sorted(paid.items()):
        if amount:
            by_child.setdefault(code, []).append({"program": program, "amount": amount})
    if child is not None and child not in by_child:
        raise NotFound(f"nothing was disbursed to {child} for {month}: run the month first")
    in_scope = session.scalars(select(Child).where(col(Child.branch_id).in_(scope)))
    children = {c.code: c for c in in_scope if c.code in by_child}
    handed = {
        h.child_id: (h, day)
        for h, day in session.execute(
            select(Handover, col(LedgerTransaction.effective_date))
            .join(LedgerTransaction, col(LedgerTransaction.id) == Handover.transaction_id)
            .where(
                col(Handover.month) == month.first_day,
                col(Handover.child_id).in_(select(Child.id).where(col(Child.branch_id).in_(scope))),
                standing(Handover.transaction_id),  # a reversed handover did not happen
            )
        )
    }
    slips = []
    for code in sorted(by_child):
        record = children[code]
        handover = handed.get(record.id)
        group = branches[record.branch_id]
        commune = branches[group.parent_id] if group.level == "group" and group.parent_id else group
        slips.append(
            {
                "child": {
                    "code": code,
                    "full_name": record.full_name,
                    "date_of_birth": record.date_of_birth.isoformat(),
                    "group": group.name if group.level == "group" else "",
                    "commune": commune.name,
                },
                "guardian": {"name": record.guardian_name, "relation": record.guardian_relation},
                "lines": by_child[code],
                "total": sum(line["amount"] for line in by_child[code]),
                "handed_over": None
                if handover is None
                else {
                    "on": handover[1].isoformat(),
                    "method": handover[0].method,
                    "received_by": handover[0].received_by,
                },
            }
        )
    return envelope(
        StatementRequest("guardian", tree.root.code, Period.month(month), child),
        issued_on=issued_on,
        chain=chain_head(session),
        branch=tree.heading,
        body={"month": str(month), "slips": slips, "total": sum(s["total"] for s in slips), "count": len(slips)},
    )
