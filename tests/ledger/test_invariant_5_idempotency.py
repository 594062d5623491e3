"""Invariant 5: same key and content returns the original; same key, other content, a conflict."""

import threading
from datetime import date

import pytest
from sqlalchemy import text

from ledger.db import run_in_transaction
from ledger.errors import IdempotencyConflict, InvalidEntry
from ledger.posting import post_many
from tests.factories import BANK, balance_of, commune, fund, transfer


def count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM ledger_transaction")).scalar_one()


def test_a_retried_request_returns_the_original_and_posts_nothing(engine):
    commune(engine)
    first = transfer(engine, "an-lao", BANK, fund("C-000123"), 1_500_000, key="vcb-2025-05-02-0001")
    again = transfer(engine, "an-lao", BANK, fund("C-000123"), 1_500_000, key="vcb-2025-05-02-0001")
    assert (again.id, again.hash, again.created) == (first.id, first.hash, False)
    assert first.created
    assert count(engine) == 1
    assert balance_of(engine, "an-lao", BANK) == 1_500_000


@pytest.mark.parametrize(
    "changes",
    [{"amount": 1_400_000}, {"on": date(2025, 5, 3)}, {"description": "khác"}],
)
def test_the_same_key_with_different_content_is_a_conflict(engine, changes):
    commune(engine)
    first = transfer(engine, "an-lao", BANK, fund("C-000123"), 1_500_000, key="k-1", description="chuyển khoản")
    arguments = {"amount": 1_500_000, "on": date(2025, 5, 2), "description": "chuyển khoản"} | changes
    with pytest.raises(IdempotencyConflict) as caught:
        transfer(
            engine,
            "an-lao",
            BANK,
            fund("C-000123"),
            arguments["amount"],
            on=arguments["on"],
            description=arguments["description"],
            key="k-1",
        )
    assert caught.value.transaction_id == first.id
    assert count(engine) == 1


def test_a_batch_with_one_key_twice_is_refused(engine):
    from ledger.posting import Entry, Leg
    from tests.ledger.test_invariant_1_balanced import A, B

    commune(engine)
    entry = Entry(date(2025, 5, 2), "x", (Leg(A, 5), Leg(B, -5)), posted_by="t", idempotency_key="dup")
    with pytest.raises(InvalidEntry, match="twice"):
        run_in_transaction(engine, lambda s: post_many(s, [entry, entry]))


@pytest.mark.postgres_only
def test_concurrent_requests_with_one_key_post_once(engine):
    commune(engine)
    results, errors = [], []
    barrier = threading.Barrier(6)

    def client() -> None:
        barrier.wait()
        try:
            results.append(transfer(engine, "an-lao", BANK, fund("C-000123"), 1_500_000, key="same-key"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert count(engine) == 1
    assert balance_of(engine, "an-lao", BANK) == 1_500_000
