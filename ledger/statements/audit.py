"""The auditor pack: everything an inspection reads, for a branch subtree and a period.

The trial balance at the period's end; the general ledger, account by account with running
balances; the journal, each transaction with its postings and its place and hash in the
chain; per-child and per-sponsor histories; and the ledger's own check (``verify``) as it
stood when the pack was issued.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ledger.balances import balances_as_of, trial_balance
from ledger.models import Account, Branch, LedgerTransaction, Posting
from ledger.register.models import Child
from ledger.statements.document import Document, Period, StatementRequest, chain_head, envelope, subtree
from ledger.statements.sponsor import sponsor_statements
from ledger.verify import verify


def audit_pack(session: Session, *, branch: str, period: Period, issued_on: date) -> Document:
    tree = subtree(session, branch)
    scope, branches, in_scope = tree.ids, tree.branches, tree.accounts
    accounts = {a.id: a for a in session.scalars(select(Account).where(col(Account.id).in_(in_scope)))}
    name = {a_id: f"{branches[a.branch_id].code}:{a.code}" for a_id, a in accounts.items()}

    balances = trial_balance(session, branch=branch, as_of=period.end, include_descendants=True)
    opening = balances_as_of(session, in_scope, period.start, before=True)
    lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    journal_ids: set[int] = set()
    for account_id, day, txn_id, description, amount in session.execute(
        sa.select(
            col(Posting.account_id),
            col(Posting.effective_date),
            col(Posting.transaction_id),
            col(LedgerTransaction.description),
            col(Posting.amount),
        )
        .join(LedgerTransaction, col(LedgerTransaction.id) == Posting.transaction_id)
        .where(
            col(Posting.account_id).in_(in_scope),
            col(Posting.effective_date) >= period.start,
            col(Posting.effective_date) <= period.end,
        )
        .order_by(col(Posting.account_id), col(Posting.effective_date), col(Posting.transaction_id), col(Posting.line))
    ):
        lines[account_id].append(
            {"date": day.isoformat(), "transaction": txn_id, "description": description, "amount": amount}
        )
        journal_ids.add(txn_id)
    general_ledger = []
    for account_id in sorted(set(lines) | {a for a, v in opening.items() if v}, key=lambda a: name[a]):
        running = opening.get(account_id, 0)
        for line in lines[account_id]:
            running += line["amount"]
            line["balance"] = running
        general_ledger.append(
            {
                "account": name[account_id],
                "opening": opening.get(account_id, 0),
                "lines": lines[account_id],
                "closing": running,
            }
        )

    journal = _journal(session, sorted(journal_ids))
    child_rows = []
    for child in session.scalars(select(Child).where(col(Child.branch_id).in_(scope)).order_by(col(Child.code))):
        fund = lines.get(child.fund_account_id, [])
        payable = lines.get(child.payable_account_id, [])
        child_rows.append(
            {
                "child": child.code,
                "name": child.full_name,
                "opening": -opening.get(child.fund_account_id, 0),
                "received": -sum(x["amount"] for x in fund if x["amount"] < 0),
                "disbursed": sum(x["amount"] for x in fund if x["amount"] > 0),
                "closing": -(opening.get(child.fund_account_id, 0) + sum(x["amount"] for x in fund)),
                "handed_over": sum(x["amount"] for x in payable if x["amount"] > 0),
            }
        )
    sponsor_rows = [
        {
            "sponsor": statement["body"]["sponsor"]["code"],
            "name": statement["body"]["sponsor"]["name"],
            **statement["body"]["totals"],
        }
        for statement in sponsor_statements(session, period=period, issued_on=issued_on, branch_ids=scope)
    ]
    check = verify(session)
    body = {
        "trial_balance": {
            "lines": [
                {"account": f"{line.branch}:{line.account}", "debit": line.debit, "credit": line.credit}
                for line in balances.lines
                if line.balance
            ],
            "debit": balances.total_debit,
            "credit": balances.total_credit,
        },
        "general_ledger": general_ledger,
        "journal": journal,
        "children": child_rows,
        "sponsors": sponsor_rows,
        "verify": {"ok": check.ok, "problems": [p.message for p in check.problems[:20]]},
    }
    return envelope(
        StatementRequest("audit", tree.root.code, period),
        issued_on=issued_on,
        chain=chain_head(session),
        branch=tree.heading,
        body=body,
    )


def _journal(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    """Each transaction in chain order with all its postings (a transaction may reach other branches)."""
    entries: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), 1_000):
        chunk = ids[i : i + 1_000]
        for txn in session.scalars(select(LedgerTransaction).where(col(LedgerTransaction.id).in_(chunk))):
            entries[txn.id] = {
                "seq": txn.seq,
                "transaction": txn.id,
                "date": txn.effective_date.isoformat(),
                "kind": txn.kind,
                "description": txn.description,
                "reverses": txn.reverses_id,
                "hash": txn.hash,
                "postings": [],
            }
        for txn_id, branch, account, amount in session.execute(
            select(Posting.transaction_id, Branch.code, Account.code, Posting.amount)
            .join(Account, col(Account.id) == Posting.account_id)
            .join(Branch, col(Branch.id) == Account.branch_id)
            .where(col(Posting.transaction_id).in_(chunk))
            .order_by(col(Posting.transaction_id), col(Posting.line))
        ):
            entries[txn_id]["postings"].append({"account": f"{branch}:{account}", "amount": amount})
    return sorted(entries.values(), key=lambda e: e["seq"])
