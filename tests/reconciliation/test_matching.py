"""The matching rules, on their own (no database): what each matches, and that every match balances."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.reconciliation.matching import OpenEntry, OpenLine, ReferenceFinder, plan

FINDER = ReferenceFinder(
    {"MDD000123": "MDD000123", "MDD00012": "MDD00012", "MDD000045": "MDD000045", "P-000777": "MDD000045"}
)
D = date(2026, 10, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def test_references_survive_what_banks_do_to_them():
    for description in (
        "MBVCB.4530998360.029552.NGUYEN THI HOA chuyen tien MDD000123T1026",
        "nguyen thi hoa ck mdd-000 123 t.1026",
        "IBFT Ủng hộ MĐĐ000123",  # Đ written by a phone keyboard
        "TRA TIEN P-000777 THANG 10",  # a pledge names its sponsor
    ):
        assert FINDER.sponsor_in(description) in ("MDD000123", "MDD000045"), description
    assert FINDER.sponsor_in("CK MDD0001234 T1026") is None  # runs on into more digits: another code
    assert FINDER.sponsor_in("MDD000123 va MDD000045") is None  # two sponsors: for a person
    assert FINDER.sponsor_in("CK MDD00012 T1026") == "MDD00012"


def test_reference_takes_the_sponsors_payment_or_creates_it():
    lines = [OpenLine(1, day(3), 1_500_000, "chuyen tien MDD000123T1026"), OpenLine(2, day(4), 700_000, "MDD000045")]
    entries = [
        OpenEntry(10, day(5), 1_500_000, "receipt", "MDD000123"),
        OpenEntry(11, day(4), 700_000, "receipt", None),
    ]
    proposals = {p.lines[0][0]: p for p in plan(lines, entries, FINDER)}
    assert proposals[1].rule == "reference" and proposals[1].entries == ((10, 1_500_000),)
    # MDD000045 has no recorded payment: one is created, even though transaction 11 has the amount.
    assert proposals[2].rule == "created-payment" and proposals[2].sponsor == "MDD000045"


def test_one_transfer_for_several_recorded_payments():
    lines = [OpenLine(1, day(10), 1_500_000, "MDD000123 thang 10 11 12")]
    entries = [OpenEntry(t, day(9), 500_000, "receipt", "MDD000123") for t in (20, 21, 22)]
    (proposal,) = plan(lines, entries, FINDER)
    assert proposal.rule == "reference" and sorted(t for t, _ in proposal.entries) == [20, 21, 22]


def test_one_debit_for_many_guardians_and_the_nearest_day_first():
    lines = [OpenLine(1, day(10), -1_500_000, "CHUYEN TIEN THEO LO"), OpenLine(2, day(12), 300_000, "nop tien mat")]
    entries = [OpenEntry(t, day(10), -500_000, "handover") for t in (30, 31, 32)]
    entries += [OpenEntry(33, day(10), -11_000, "bank-fee")]  # the same day's fee is not part of the batch
    entries += [OpenEntry(40, day(9), 300_000), OpenEntry(41, day(12), 300_000)]
    proposals = {p.rule: p for p in plan(lines, entries, FINDER)}
    assert sorted(t for t, _ in proposals["batch"].entries) == [30, 31, 32]
    assert proposals["amount-date"].entries == ((41, 300_000),)


def test_unknown_credits_go_to_suspense_unknown_debits_wait():
    lines = [OpenLine(1, day(2), 250_000, "KHONG RO NGUOI GUI"), OpenLine(2, day(2), -5_500, "PHI SMS")]
    proposals = plan(lines, [], FINDER)
    assert [(p.rule, p.lines) for p in proposals] == [("suspense", ((1, 250_000),))]


def test_a_reversal_cancels_its_original():
    entries = [OpenEntry(50, day(1), 900_000, "receipt"), OpenEntry(51, day(2), -900_000, "reversal", reverses=50)]
    (proposal,) = plan([], entries, FINDER)
    assert proposal.rule == "reversal" and not proposal.lines


amounts = st.sampled_from([300_000, 500_000, 700_000, 1_000_000, -500_000, -11_000, 1_500_000])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(amounts, st.integers(0, 40), st.sampled_from(["", "MDD000123", "MDD000045 T1026"])), max_size=40
    ),
    st.lists(st.tuples(amounts, st.integers(0, 40), st.sampled_from([None, "MDD000123", "MDD000045"])), max_size=40),
)
def test_every_proposal_balances_and_nothing_is_used_twice(raw_lines, raw_entries):
    lines = [OpenLine(i, day(d), a, text) for i, (a, d, text) in enumerate(raw_lines, 1)]
    entries = [
        OpenEntry(100 + i, day(d), a, "receipt" if s else "general", s) for i, (a, d, s) in enumerate(raw_entries)
    ]
    proposals = plan(lines, entries, FINDER)
    used_lines, used_entries = Counter(), Counter()
    for p in proposals:
        if p.creates is None:
            assert sum(a for _, a in p.lines) == sum(a for _, a in p.entries), p
        for line, a in p.lines:
            used_lines[line] += a
        for txn, a in p.entries:
            used_entries[txn] += a
    amount_of = {line.id: line.amount for line in lines} | {e.transaction_id: e.amount for e in entries}
    for key, total in (used_lines | used_entries).items():
        assert total == amount_of[key], (key, total)
    assert all(p.lines[0][1] > 0 for p in proposals if p.rule == "suspense")  # only credits wait in suspense
