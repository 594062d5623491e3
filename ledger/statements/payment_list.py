"""Danh sách chi trả – ký nhận: the list a commune prints for a cash handover (docs/books.md).

One table per program for the month, many children to a page: who the child is, where she
lives, who receives for her, how much, and a column for the guardian's signature; the total in
figures and in words, and the signatures of who drew it up, who paid out and the chair. The
figures are the guardian slips' (``guardian_slips``): what the month's disbursements put on each
guardian's payable, net of reversals.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from ledger.months import Month
from ledger.statements.document import Document, Period, StatementRequest, envelope
from ledger.statements.guardian import guardian_slips


def payment_list(session: Session, *, branch: str, month: Month, issued_on: date) -> Document:
    slips = guardian_slips(session, branch=branch, month=month, issued_on=issued_on)
    programs: dict[str, list[dict[str, Any]]] = {}
    for slip in slips["body"]["slips"]:
        for line in slip["lines"]:
            programs.setdefault(line["program"], []).append(
                {
                    "child": slip["child"],
                    "guardian": slip["guardian"],
                    "amount": line["amount"],
                    "handed_over": slip["handed_over"],
                }  # fmt: skip
            )
    lists = [
        {"program": program, "rows": rows, "total": sum(row["amount"] for row in rows), "count": len(rows)}
        for program, rows in sorted(programs.items())
    ]
    return envelope(
        StatementRequest("payment-list", slips["request"]["subject"], Period.month(month)),
        issued_on=issued_on,
        chain=slips["chain"],
        branch=slips["branch"],
        body={"month": str(month), "lists": lists, "total": sum(x["total"] for x in lists)},
    )
