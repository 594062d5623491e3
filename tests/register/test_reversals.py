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
from ledger.disbursement.run import decisions_of
from ledger.errors import AlreadyReversed, TransactionNotFound
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
