"""Invariant 7: nothing is posted with an effective date inside a closed period."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from ledger.access.actor import TREASURER, Actor
from ledger.closing import close_month, reopen_month
from ledger.db import run_in_transaction
from ledger.errors import NotPermitted, PeriodClosed, PeriodError
from ledger.months import Month
from ledger.periods import period_history
from ledger.posting import reverse
from tests.factories import BANK, admin, balance_of, commune, fund, transfer

LATER = datetime(2025, 7, 10, tzinfo=UTC)


def close(engine, branch: str, month: str, now: datetime = LATER):
    return run_in_transaction(
        engine, lambda s: close_month(s, branch=branch, month=Month.parse(month), actor=admin("thu-quy"), now=now)
    )


def reopen(engine, branch: str, month: str, *, reason: str = "sai sót", as_admin: bool = True):
    actor = admin("quan-tri") if as_admin else Actor("thu-quy", TREASURER, None, door="cli")
    return run_in_transaction(
        engine, lambda s: reopen_month(s, branch=branch, month=Month.parse(month), actor=actor, reason=reason)
    )


def test_posting_into_a_closed_month_is_refused_and_the_next_day_is_open(engine):
    commune(engine)
    close(engine, "an-lao", "2025-05")
    for day in (date(2025, 5, 31), date(2025, 5, 1), date(2024, 12, 31)):
        with pytest.raises(PeriodClosed, match="closed through 2025-05-31"):
            transfer(engine, "an-lao", BANK, fund("C-000123"), 100_000, on=day)
    transfer(engine, "an-lao", BANK, fund("C-000123"), 100_000, on=date(2025, 6, 1))
    assert balance_of(engine, "an-lao", BANK) == 100_000


def test_closing_one_branch_leaves_the_others_open(engine):
    commune(engine, "an-lao")
    commune(engine, "tien-lang")
    close(engine, "an-lao", "2025-05")
    transfer(engine, "tien-lang", BANK, fund("C-000123"), 100_000, on=date(2025, 5, 15))


def test_a_month_cannot_be_closed_before_it_ends_or_twice(engine):
    commune(engine)
    with pytest.raises(PeriodError, match="has not ended"):
        close(engine, "an-lao", "2025-07", now=LATER)
    close(engine, "an-lao", "2025-06")
    with pytest.raises(PeriodError, match="already closed"):
        close(engine, "an-lao", "2025-05")


def test_only_an_administrator_reopens_with_a_reason_and_history_keeps_it_all(engine):
    commune(engine)
    close(engine, "an-lao", "2025-06")
    with pytest.raises(NotPermitted):
        reopen(engine, "an-lao", "2025-06", as_admin=False)
    with pytest.raises(PeriodError, match="say why"):
        reopen(engine, "an-lao", "2025-06", reason="  ")
    with pytest.raises(PeriodError, match="not closed"):
        reopen(engine, "an-lao", "2025-07")
    reopen(engine, "an-lao", "2025-05", reason="sao kê tháng 5 ghi thiếu một khoản")
    transfer(engine, "an-lao", BANK, fund("C-000123"), 100_000, on=date(2025, 5, 20))
    with pytest.raises(PeriodClosed, match="closed through 2025-04-30"):
        transfer(engine, "an-lao", BANK, fund("C-000123"), 100_000, on=date(2025, 4, 30))
    with Session(engine) as session:
        history = [(e.action, e.month, e.closed_through, e.by, e.reason) for e in period_history(session, "an-lao")]
    assert history == [
        ("close", date(2025, 6, 1), date(2025, 6, 30), "thu-quy", ""),
        ("reopen", date(2025, 5, 1), date(2025, 4, 30), "quan-tri", "sao kê tháng 5 ghi thiếu một khoản"),
    ]


def test_a_reversal_of_a_closed_month_is_dated_in_the_open_period(engine):
    commune(engine)
    wrong = transfer(engine, "an-lao", BANK, fund("C-000123"), 100_000, on=date(2025, 5, 2))
    close(engine, "an-lao", "2025-05")
    with pytest.raises(PeriodClosed):
        run_in_transaction(engine, lambda s: reverse(s, wrong.id, posted_by="t", effective_date=date(2025, 5, 3)))
    reversal = run_in_transaction(engine, lambda s: reverse(s, wrong.id, posted_by="t", now=LATER))
    assert reversal.effective_date == date(2025, 7, 10)
    assert balance_of(engine, "an-lao", BANK) == 0
    assert balance_of(engine, "an-lao", BANK, as_of=date(2025, 5, 31)) == 100_000


@pytest.mark.postgres_only
def test_closing_a_month_while_others_post_into_it_lets_nothing_in_afterwards(engine):
    """Four writers keep posting May-dated transfers while a treasurer closes May. Every post
    that starts after the close has committed is refused; nothing else goes wrong."""
    import threading
    import time

    commune(engine)
    transfer(engine, "an-lao", BANK, fund("C-000123"), 100_000_000, on=date(2025, 5, 1))
    closed_at: list[float] = []
    outcomes: list[tuple[float, str]] = []
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                transfer(engine, "an-lao", fund("C-000123"), BANK, 1, on=date(2025, 5, 20))
                outcomes.append((started, "posted"))
            except PeriodClosed:
                outcomes.append((started, "refused"))
            except Exception as exc:  # anything else is a failure
                outcomes.append((started, repr(exc)))

    def wait_for(condition) -> None:  # events, not durations: a busy machine only makes it slower
        deadline = time.monotonic() + 600
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_for(lambda: sum(1 for _, outcome in outcomes if outcome == "posted") >= 4)
    close(engine, "an-lao", "2025-05")
    closed_at.append(time.monotonic())
    wait_for(lambda: sum(1 for started, _ in outcomes if started > closed_at[0]) >= 4)
    stop.set()
    for thread in threads:
        thread.join()

    assert {outcome for _, outcome in outcomes} <= {"posted", "refused"}
    after = [outcome for started, outcome in outcomes if started > closed_at[0]]
    assert after and set(after) == {"refused"}
    assert any(outcome == "posted" for _, outcome in outcomes)
    with Session(engine) as session:
        from ledger.verify import verify

        assert verify(session).ok


def test_a_large_batch_with_one_entry_in_a_closed_month_is_refused_whole(engine):
    """A monthly run posts thousands at once (COPY on PostgreSQL): the closed month still holds."""
    from ledger.accounts import AccountKey
    from ledger.posting import Entry, Leg, post_many
    from tests.factories import CASH

    commune(engine)
    close(engine, "an-lao", "2025-05")
    entries = [
        Entry(
            date(2025, 6, 2) if n else date(2025, 5, 31),  # the first one lies in the closed month
            f"thu tiền {n}",
            (Leg(AccountKey("an-lao", BANK), 1_000), Leg(AccountKey("an-lao", CASH), -1_000)),
            posted_by="thu-quy",
        )
        for n in range(1200)
    ]
    transfer(engine, "an-lao", CASH, fund("C-000123"), 10_000_000, on=date(2025, 6, 1))
    with pytest.raises(PeriodClosed, match="closed through 2025-05-31"):
        run_in_transaction(engine, lambda s: post_many(s, entries))
    assert balance_of(engine, "an-lao", BANK) == 0
    run_in_transaction(engine, lambda s: post_many(s, entries[1:]))
    assert balance_of(engine, "an-lao", BANK) == 1_199_000
