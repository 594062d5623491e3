"""A decision's COPY line (``as_copy_text``, written at once by a decider) is the row ``decision_row``
describes, as ``copy_text`` writes rows: the two ways of writing a decision cannot drift apart."""

from __future__ import annotations

from ledger import chain
from ledger.accounts import AccountKey
from ledger.disbursement.keeping import DECISION_COLUMNS, as_copy_text, decision_row
from ledger.disbursement.planning import Planned, Settlement
from ledger.eligibility.reasons import Reason
from ledger.months import Month
from ledger.posting.bulk import copy_text


def _planned(**changes) -> Planned:
    figures = dict(
        child_id=41, child="C-41", branch="hp-an-lao", program="godmother", month=Month(2026, 3), eligible=True,
        due=500_000, settlements=(), paid=500_000, shortfall=0, fund=AccountKey("hp-an-lao", "liabilities:fund:x"),
        fund_account_id=7,
        reasons=(
            Reason("pledge", {"amount": 500_000, "pledge": "P-1", "sponsor": "S-1"}),
            Reason("category", {"category": "orphan_both"}, source='branch "policy"\tà\\la\nlettre'),
            Reason("amount", {"amount": 500_000, "coefficient": "1.5", "on": "2026-02-28"}, wording="amount.allowance"),
        ),
    )  # fmt: skip
    figures.update(changes)
    return Planned(**figures)


def test_a_decisions_copy_line_is_its_row_as_copy_text_writes_it():
    planned = [
        _planned(),
        _planned(child_id=42, eligible=False, due=0, paid=0, fund=None, fund_account_id=None, reasons=()),
        _planned(child_id=43, program="social\tallowance", month=Month(2025, 12), shortfall=250_000, paid=1_050_000,
                 settlements=(Settlement(month=Month(2025, 11), amount=300_000, shortfall_id=9),)),
    ]  # fmt: skip
    rows = []
    for p in planned:
        row = decision_row(17, p)
        row["reasons"] = chain.canonical_json(row["reasons"])
        rows.append([row[column] for column in DECISION_COLUMNS])
    assert as_copy_text(17, planned) == copy_text(rows)
