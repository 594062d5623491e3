"""A child's categories are dated facts: a past month is re-derived from them as they stood.

The monthly run's register: C-3 Cúc, orphan_both, has the social allowance from a decision of
15/01/2026: 1.5 × 700,000 = 1,050,000 ₫ a month (Hải Phòng's level). January is paid. On
10/02/2026 the treasurer records that Cúc's situation changed: her category is now
special_hardship, which the social allowance does not cover (Decree 20/2021 Art. 5(1)).

- February is still paid (decided on 31/01, when she was orphan_both); March is not, and says why.
- ``run-month --check`` for January and February finds no difference: they are re-derived from
  the categories as they stood, not from today's.
"""

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from ledger.db import run_in_transaction
from ledger.disbursement.checking import check_month
from ledger.disbursement.stored import decisions_of
from ledger.months import Month
from ledger.register.importing import import_file
from ledger.register.models import CategoryChange, Child
from ledger.register.queries import explain
from tests.disbursement.test_monthly_run import (
    CHILDREN,
    budget,
    register,  # noqa: F401  (the fixture)
    run,
)
from tests.factories import admin
from tests.register.test_import import write


def test_a_category_change_stops_the_allowance_from_the_month_after_and_the_past_stays_true(register, tmp_path):  # noqa: F811
    engine = register
    budget(engine, tmp_path, 5_000_000, date(2026, 1, 5))
    run(engine, "2026-01")
    changed = CHILDREN.replace(
        "C-3,Vũ Thị Cúc,2019-07-01,F,hp-an-lao,orphan_both,", "C-3,Vũ Thị Cúc,2019-07-01,F,hp-an-lao,special_hardship,"
    )
    header, *rows = changed.splitlines()
    dated = "\n".join(
        [header + ",categories_from", *(r + (",2026-02-10" if r.startswith("C-3") else ",") for r in rows)]
    )
    path = write(tmp_path, "children.csv", dated + "\n")
    report = run_in_transaction(engine, lambda s: import_file(s, "children", path, actor=admin("thu-quy"),
                                                              today=date(2026, 2, 10)))  # fmt: skip
    assert report.updated == 1
    february, march = run(engine, "2026-02"), run(engine, "2026-03")
    with Session(engine) as session:
        (feb,) = decisions_of(session, february.run_id, child="C-3")
        march_decisions = decisions_of(session, march.run_id, child="C-3")
        history = session.execute(
            select(CategoryChange.from_date, CategoryChange.categories)
            .join(Child, Child.id == CategoryChange.child_id)
            .where(Child.code == "C-3")
            .order_by(CategoryChange.from_date)
        ).all()
        why_not = explain(session, "C-3", Month(2026, 3), "social-allowance")
        january_again = explain(session, "C-3", Month(2026, 1), "social-allowance")
        checks = [check_month(session, Month(2026, m))[1] for m in (1, 2)]
    assert (feb.eligible, feb.due) == (True, 1_050_000)
    assert [(d.eligible, d.paid) for d in march_decisions] == [(False, 0)]
    assert [(d, c) for d, c in history] == [
        (date(1900, 1, 1), ["orphan_both"]),
        (date(2026, 2, 10), ["special_hardship"]),
    ]
    assert not why_not.eligible and any(r.rule == "category.none" for r in why_not.reasons)
    assert january_again.eligible and january_again.amount == 1_050_000
    assert checks == [[], []]
