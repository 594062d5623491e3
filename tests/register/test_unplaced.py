"""A payment that fits no pledge is told to the treasurer the day it arrives, and can be refunded.

The monthly run's register: S-3 pledges 700,000 ₫ a month to C-2 (P-3), who turns 18 on
14/02/2026, so P-3's last month is February. S-3 keeps paying: 700,000 on 02/01, 02/02 and 02/03.
The March payment fits no month: it waits in suspense, and a notice for An Lão names S-3, the
700.000 ₫, the day, and why (P-3 until 2026-02). Refunded to the bank, suspense is empty again.
"""

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from ledger.db import run_in_transaction
from ledger.reconciliation.suspense import clear_suspense, suspense_items
from ledger.schedule.models import Notice
from ledger.verify import verify
from tests.disbursement.test_monthly_run import (
    pay,
    register,  # noqa: F401  (the fixture)
)
from tests.factories import admin


def test_a_payment_beyond_the_pledge_is_told_and_can_be_refunded(register):  # noqa: F811
    engine = register
    for day in (date(2026, 1, 2), date(2026, 2, 2)):
        pay(engine, "S-3", 700_000, day)
    with Session(engine) as session:
        assert session.scalars(select(Notice).where(Notice.kind == "payment-unplaced")).all() == []
    pay(engine, "S-3", 700_000, date(2026, 3, 2))
    with Session(engine) as session:
        (notice,) = session.scalars(select(Notice).where(Notice.kind == "payment-unplaced"))
        (waiting,) = suspense_items(session)
    assert notice.due_on == date(2026, 3, 2) and notice.subject == f"transaction:{waiting.transaction_id}"
    assert "S-3 Công ty TNHH An Phát nộp 700.000\xa0₫ ngày 02/03/2026" in notice.message_vi
    assert "cam kết P-3 đến 2026-02" in notice.message_vi and "hoàn trả" in notice.message_vi
    assert "pledge P-3 until 2026-02" in notice.message_en and waiting.amount == 700_000

    run_in_transaction(engine, lambda s: clear_suspense(
        s, transaction_id=waiting.transaction_id, account="assets:bank:vcb-main", reason="hoàn trả cho công ty",
        actor=admin("thu-quy")))  # fmt: skip
    with Session(engine) as session:
        assert suspense_items(session) == [] and verify(session).ok
