"""The treasurer's monthly report for a branch and the branches below it.

Money in and out of each bank and cash account; the month's receipts one by one; what was
disbursed per program and how much of it has reached guardians; the shortfalls the month's
runs recorded; every child's and program's fund at the month's end; and where each bank
account stands against its statement.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ledger.balances import balances_as_of
from ledger.disbursement.models import Handover, Run, RunDecision
from ledger.disbursement.received import received
from ledger.models import Account, LedgerTransaction, Posting
from ledger.months import Month
from ledger.posting import standing
from ledger.reconciliation.report import report_for
from ledger.register.models import BankAccount, Child
from ledger.statements.document import Document, Period, StatementRequest, chain_head, envelope, subtree

RECEIPT_KINDS = ("receipt", "budget")


def treasurer_report(session: Session, *, branch: str, month: Month, issued_on: date) -> Document:
    tree = subtree(session, branch)
    scope, branches, in_scope = tree.ids, tree.branches, tree.accounts
    accounts = {a.id: a for a in session.scalars(select(Account).where(col(Account.id).in_(in_scope)))}
    before = balances_as_of(session, in_scope, month.first_day, before=True)
    after = balances_as_of(session, in_scope, month.last_day)

    cash: list[dict[str, Any]] = []
    movements: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    receipts: list[dict[str, Any]] = []
    for account_id, amount, txn_id, day, kind, description in session.execute(
        sa.select(
            col(Posting.account_id),
            col(Posting.amount),
            col(LedgerTransaction.id),
            col(LedgerTransaction.effective_date),
            col(LedgerTransaction.kind),
            col(LedgerTransaction.description),
        )
        .join(LedgerTransaction, col(LedgerTransaction.id) == Posting.transaction_id)
        .join(Account, col(Account.id) == Posting.account_id)
        .where(
            col(Posting.account_id).in_(in_scope),
            col(Account.type) == "asset",
            col(Posting.effective_date) >= month.first_day,
            col(Posting.effective_date) <= month.last_day,
        )
        .order_by(col(LedgerTransaction.effective_date), col(LedgerTransaction.id), col(Posting.line))
    ):
        movements[account_id][0 if amount > 0 else 1] += abs(amount)
        if kind in RECEIPT_KINDS and amount > 0:
            receipts.append(
                {
                    "date": day.isoformat(),
                    "transaction": txn_id,
                    "kind": kind,
                    "description": description,
                    "amount": amount,
                }
            )
    for account in sorted(accounts.values(), key=lambda a: (branches[a.branch_id].code, a.code)):
        if account.type == "asset":
            money_in, money_out = movements[account.id]
            cash.append(
                {
                    "branch": branches[account.branch_id].code,
                    "account": account.code,
                    "opening": before.get(account.id, 0),
                    "in": money_in,
                    "out": money_out,
                    "closing": after.get(account.id, 0),
                }
            )

    disbursed = received(session, branch_ids=scope, start=month.first_day, end=month.first_day)
    children = {
        c.code: c
        for c in session.scalars(select(Child).where(col(Child.branch_id).in_(scope)).order_by(col(Child.code)))
    }
    handed = set(
        session.scalars(
            select(Handover.child_id).where(
                col(Handover.month) == month.first_day,
                col(Handover.child_id).in_(select(Child.id).where(col(Child.branch_id).in_(scope))),
                standing(Handover.transaction_id),  # a reversed handover did not happen
            )
        )
    )
    programs: dict[str, dict[str, int]] = {}
    per_child: dict[str, int] = defaultdict(int)
    for (code, _, program), amount in disbursed.items():
        line = programs.setdefault(program, {"children": 0, "amount": 0})
        line["children"] += 1 if amount else 0
        line["amount"] += amount
        per_child[code] += amount
    handed_over = sum(a for code, a in per_child.items() if children[code].id in handed)
    shortfalls = [
        {"child": code, "name": name, "program": program, "due": due, "paid": paid, "shortfall": shortfall}
        for code, name, program, due, paid, shortfall in session.execute(
            sa.select(
                col(Child.code),
                col(Child.full_name),
                col(RunDecision.program),
                col(RunDecision.due),
                col(RunDecision.paid),
                col(RunDecision.shortfall),
            )
            .join(Run, col(Run.id) == RunDecision.run_id)
            .join(Child, col(Child.id) == RunDecision.child_id)
            .where(
                col(Run.status) == "done",
                col(RunDecision.month) == month.first_day,
                col(RunDecision.shortfall) > 0,
                col(Child.branch_id).in_(scope),
            )
            .order_by(col(Child.code), col(RunDecision.program))
        )
    ]
    funds: list[dict[str, Any]] = [
        {
            "child": child.code,
            "name": child.full_name,
            "fund": -after.get(child.fund_account_id, 0),
            "payable": -after.get(child.payable_account_id, 0),
        }
        for child in children.values()
    ]
    program_funds = [
        {"branch": branches[a.branch_id].code, "account": a.code, "balance": -after.get(a.id, 0)}
        for a in sorted(accounts.values(), key=lambda a: (branches[a.branch_id].code, a.code))
        if a.code.startswith("liabilities:fund:program:") or a.code == "liabilities:suspense"
    ]
    reconciliation = []
    for bank in session.scalars(
        select(BankAccount).where(col(BankAccount.branch_id).in_(scope)).order_by(col(BankAccount.code))
    ):
        report = report_for(session, bank, month)
        reconciliation.append(
            {
                "account": bank.code,
                "ledger_balance": report.ledger_balance,
                "bank_balance": report.bank_balance,
                "unmatched": len(report.unmatched_lines) + len(report.unmatched_entries),
                "unexplained": report.unexplained if report.bank_balance is not None else None,
                "status": report.status,
            }
        )
    body = {
        "month": str(month),
        "cash": cash,
        "receipts": receipts,
        "receipts_total": sum(r["amount"] for r in receipts),
        "disbursed": [{"program": p, **v} for p, v in sorted(programs.items())],
        "disbursed_total": sum(per_child.values()),
        "handed_over": handed_over,
        "not_handed_over": sum(per_child.values()) - handed_over,
        "shortfalls": shortfalls,
        "shortfall_total": sum(s["shortfall"] for s in shortfalls),
        "funds": funds,
        "funds_total": sum(f["fund"] for f in funds),
        "payables_total": sum(f["payable"] for f in funds),
        "program_funds": program_funds,
        "reconciliation": reconciliation,
    }
    return envelope(
        StatementRequest("treasurer", tree.root.code, Period.month(month)),
        issued_on=issued_on,
        chain=chain_head(session),
        branch=tree.heading,
        body=body,
    )
