"""A run keeps each step of a decision as its rule and parameters; the sentences are written when read.

The sentences read back from a run are those the plan gave when it decided, and decisions kept
before this (with their sentences stored) read as they were written.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from ledger.disbursement.models import RunDecision
from ledger.disbursement.stored import decisions_of
from ledger.eligibility.reasons import Reason
from tests.disbursement.test_monthly_run import money_in_january_and_february, pay, run


def test_a_run_keeps_rules_and_parameters_and_reads_back_the_plans_sentences(register, tmp_path):
    engine = register
    money_in_january_and_february(engine, tmp_path)
    run(engine, "2026-01")
    # The allowance fund kept 950,000 of January's budget; C-3's month is 1,050,000: short in February.
    pay(engine, "S-1", 200_000, date(2026, 2, 3))  # C-1's pledge is 500,000: short too
    pay(engine, "S-3", 700_000, date(2026, 2, 3))  # C-2's month in full
    planned = []
    run(engine, "2026-02", dry_run=True, show=planned.append)
    february = run(engine, "2026-02")
    with Session(engine) as session:
        kept = list(session.scalars(select(RunDecision.reasons).where(RunDecision.run_id == february.run_id)))
        read = {(d.child, d.program): d.reasons for d in decisions_of(session, february.run_id)}
    steps = [step for reasons in kept for step in reasons]
    assert steps and all(set(step) <= {"rule", "params", "source", "wording"} for step in steps)
    assert {"money.shortfall", "money.paid", "coefficient", "pledge"} <= {step["rule"] for step in steps}
    assert {(p.child, p.program) for p in planned} == set(read)
    for p in planned:
        assert [(r["rule"], r["vi"], r["en"], r["source"]) for r in read[(p.child, p.program)]] == [
            (r.rule, r.vi, r.en, r.source) for r in p.reasons
        ]
    c3 = [r for r in read[("C-3", "social-allowance")] if r["rule"] == "money.shortfall"]
    assert c3[0]["en"].startswith("fund liabilities:fund:program:social-allowance holds only 950,000")
    assert c3[0]["params"] == {"fund": "liabilities:fund:program:social-allowance", "paid": 950_000, "short": 100_000}


def test_a_step_kept_with_its_sentences_reads_as_written():
    kept = {"rule": "pledge", "vi": "cam kết P-1 của S-1: 500.000 ₫", "en": "pledge P-1 of S-1: 500,000 ₫"}
    step = Reason.stored(kept)
    assert (step.rule, step.vi, step.en, step.source) == ("pledge", kept["vi"], kept["en"], "")
    assert step.text("en") == "pledge P-1 of S-1: 500,000 ₫"


def test_every_step_reads_back_as_it_was_made():
    step = Reason("money.catch_up", {"month": "2026-01", "amount": 550_000}, "earlier shortfalls are paid first")
    again = Reason.stored(step.as_stored())
    assert again == step
    assert again.vi == "trả bù phần thiếu tháng 01/2026: 550.000\u00a0₫"
    assert again.text("en") == "catch-up of the 2026-01 shortfall: 550,000\u00a0₫ (earlier shortfalls are paid first)"
