"""Corrections that flow everywhere: a reversed payment's months are owed again, worked by hand.

The register is the monthly run's (tests/disbursement/test_monthly_run.py): S-3 pledges 700,000 ₫
a month to C-2 (P-3), and pays 700,000 on 02/01/2026 and 700,000 on 02/02/2026.

- The February transfer bounces and is reversed on 03/02, before February's run on the 5th:
  P-3's February is owed again (arrears 700,000), the payment is allocated to nothing, the
  February statement lists it as reversed and counts no payment, C-2's fund is back to 0, and
  February's run pays C-2 nothing (shortfall 700,000) where it would have paid 700,000.
- Reversed later (on 10/03), the February statement still shows February paid (as the books stood
  at the end of February); March's statement carries it as arrears from before.
"""

from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from ledger.db import run_in_transaction
from ledger.disbursement.checking import check_month
from ledger.disbursement.handover import AlreadyHandedOver, record_handovers
from ledger.disbursement.received import received
from ledger.disbursement.stored import decisions_of
from ledger.errors import AlreadyReversed, ReversalRefused, TransactionNotFound
from ledger.journal import reverse_by_hand
from ledger.months import Month
from ledger.register.models import Payment
from ledger.register.pledges import allocation_of, arrears_report
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather
from tests.disbursement.test_monthly_run import (
    BRANCH,
    pay,
    register,  # noqa: F401  (the fixture)
    run,
)
from tests.factories import admin, balance_of

FUND = "liabilities:fund:child:C-2"


def february_payment(engine, *, january_run: bool = False) -> Payment:
    pay(engine, "S-3", 700_000, date(2026, 1, 2))
    if january_run:
        run(engine, "2026-01")  # pays January's 700,000 to C-2: the fund is empty again
    pay(engine, "S-3", 700_000, date(2026, 2, 2))
    with Session(engine) as session:
        found = session.scalar(select(Payment).where(Payment.paid_on == date(2026, 2, 2)))
        assert found is not None
        return found


def reverse(engine, transaction_id: int, on: date) -> int:
    posted = run_in_transaction(
        engine,
        lambda s: reverse_by_hand(s, transaction_id, actor=admin("thu-quy"), reason="chuyển khoản bị trả về",
                                  effective_date=on),
    )  # fmt: skip
    return posted.id


def statement(engine, month: Month) -> dict:
    with Session(engine) as session:
        return gather(session, StatementRequest("sponsor", "S-3", Period.month(month)), issued_on=month.last_day)[
            "body"
        ]


def test_a_bounced_transfer_makes_its_month_owed_again_everywhere(register):  # noqa: F811  (the fixture imported above)
    engine = register
    payment = february_payment(engine, january_run=True)
    with Session(engine) as session:
        assert allocation_of(session, payment.id) == [("P-3", "2026-02", 700_000)]
        assert arrears_report(session, through=Month(2026, 2), sponsor="S-3") == []
    reverse(engine, payment.transaction_id, date(2026, 2, 3))

    with Session(engine) as session:
        assert allocation_of(session, payment.id) == []
        assert arrears_report(session, through=Month(2026, 2), sponsor="S-3") == [("S-3", "P-3", "2026-02", 700_000)]
    assert balance_of(engine, BRANCH, FUND) == 0

    body = statement(engine, Month(2026, 2))
    (pledge,) = body["pledges"]
    assert pledge["months"] == [{"month": "2026-02", "child": "Bình", "scheduled": 700_000, "paid": 0,
                                 "owed": 700_000}]  # fmt: skip
    assert body["payments"] == [{"paid_on": "2026-02-02", "amount": 700_000, "method": "bank", "reference": "",
                                 "reversed_on": "2026-02-03"}]  # fmt: skip
    assert (body["totals"]["payments"], body["totals"]["arrears"]) == (0, 700_000)
    assert body["next"]["amount"] == 700_000  # February again; C-2 is 18 in March, P-3 then ends

    february = run(engine, "2026-02")
    with Session(engine) as session:
        (decision,) = decisions_of(session, february.run_id, child="C-2")
    assert (decision.due, decision.paid, decision.shortfall) == (700_000, 0, 700_000)  # without the reversal: paid


def test_a_reversal_counts_from_its_own_day(register):  # noqa: F811  (the fixture imported above)
    engine = register
    payment = february_payment(engine)
    reverse(engine, payment.transaction_id, date(2026, 3, 10))
    february, march = statement(engine, Month(2026, 2)), statement(engine, Month(2026, 3))
    assert february["pledges"][0]["months"][0]["paid"] == 700_000
    assert "reversed_on" not in february["payments"][0] and february["totals"]["payments"] == 700_000
    assert march["pledges"][0]["arrears_before"] == 700_000


def test_reversing_twice_or_nothing_is_one_clear_refusal_that_changes_nothing(register):  # noqa: F811  (the fixture imported above)
    engine = register
    payment = february_payment(engine)
    reverse(engine, payment.transaction_id, date(2026, 2, 3))
    with pytest.raises(AlreadyReversed):
        reverse(engine, payment.transaction_id, date(2026, 2, 4))
    with Session(engine) as session:
        assert arrears_report(session, through=Month(2026, 2), sponsor="S-3") == [("S-3", "P-3", "2026-02", 700_000)]
    with pytest.raises(TransactionNotFound):
        reverse(engine, 987_654_321, date(2026, 2, 4))


def test_a_reversed_disbursement_is_owed_again_and_the_next_run_catches_it_up(register):  # noqa: F811  (the fixture imported above)
    """January's 700,000 to C-2 is reversed on 20/01 (paid to the wrong guardian's account, say):
    it goes back to C-2's fund, January reads 0 received, and February's run pays February's
    700,000 and catches up January's from the fund: 1,400,000."""
    engine = register
    pay(engine, "S-3", 700_000, date(2026, 1, 2))
    january = run(engine, "2026-01")
    with Session(engine) as session:
        (paid,) = decisions_of(session, january.run_id, child="C-2")
    reverse(engine, paid.transaction_id, date(2026, 1, 20))
    assert balance_of(engine, BRANCH, FUND) == -700_000  # back in the fund (a liability: a credit)
    pay(engine, "S-3", 700_000, date(2026, 2, 2))
    february = run(engine, "2026-02")
    with Session(engine) as session:
        (decision,) = decisions_of(session, february.run_id, child="C-2")
        got = received(session, children=["C-2"])
        assert check_month(session, Month(2026, 1))[1] == []
    assert (decision.due, decision.catch_up, decision.paid, decision.shortfall) == (700_000, 700_000, 1_400_000, 0)
    assert got == {("C-2", Month(2026, 1), "godmother"): 0, ("C-2", Month(2026, 2), "godmother"): 1_400_000}


def test_a_reversed_handover_did_not_happen(register):  # noqa: F811  (the fixture imported above)
    engine = register
    pay(engine, "S-3", 700_000, date(2026, 1, 2))
    run(engine, "2026-01")

    def hand_over():
        return run_in_transaction(engine, lambda s: record_handovers(
            s, month=Month(2026, 1), on=date(2026, 1, 10), actor=admin("thu-quy"), children=["C-2"], method="bank",
            bank_account="vcb-main"))  # fmt: skip

    def slip() -> dict:
        with Session(engine) as session:
            request = StatementRequest("guardian", BRANCH, Period.month(Month(2026, 1)), "C-2")
            return gather(session, request, issued_on=date(2026, 1, 31))["body"]["slips"][0]

    (first,) = hand_over()
    assert slip()["handed_over"] is not None
    with pytest.raises(AlreadyHandedOver):
        hand_over()
    reverse(engine, first.transaction_id, date(2026, 1, 11))
    assert slip()["handed_over"] is None  # the slip has its lines to sign again
    (again,) = hand_over()
    assert again.amount == 700_000 and slip()["handed_over"] is not None
    with pytest.raises(AlreadyHandedOver):
        hand_over()


def test_a_payment_already_paid_on_cannot_be_reversed_and_says_what_to_reverse_first(register):  # noqa: F811  (the fixture imported above)
    engine = register
    pay(engine, "S-3", 700_000, date(2026, 1, 2))
    run(engine, "2026-01")  # the 700,000 went on to C-2's guardian
    with Session(engine) as session:
        payment = session.scalar(select(Payment).where(Payment.paid_on == date(2026, 1, 2)))
    with pytest.raises(ReversalRefused, match="fund:child:C-2.*Reverse what paid it on first"):
        reverse(engine, payment.transaction_id, date(2026, 1, 20))
    with Session(engine) as session:
        assert arrears_report(session, through=Month(2026, 1), sponsor="S-3") == []
