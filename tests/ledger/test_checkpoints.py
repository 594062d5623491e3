"""Verified checkpoints: a page checks only what came after the last one, and still finds a change
there; the full verification still finds a change anywhere."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from ledger.checkpoints import latest, verify_fully, verify_since
from ledger.db import run_in_transaction
from ledger.models import VerifiedCheckpoint
from ledger.verify import verify
from tests.factories import BANK, commune, fund, payable, transfer
from tests.ledger.raw import without_protection


def four_then_two(database):
    commune(database.engine, children=("C-1", "C-2"))
    first = [
        transfer(database.engine, "an-lao", BANK, fund("C-1"), 1_000_000, on=date(2025, 5, 2)),
        transfer(database.engine, "an-lao", BANK, fund("C-2"), 500_000, on=date(2025, 5, 3)),
        transfer(database.engine, "an-lao", fund("C-1"), payable("C-1"), 500_000, on=date(2025, 5, 15)),
        transfer(database.engine, "an-lao", fund("C-2"), payable("C-2"), 500_000, on=date(2025, 5, 15)),
    ]
    full = run_in_transaction(database.engine, lambda s: verify_fully(s, by="kiem-toan"))
    assert full.report.ok and full.full and full.through == 4
    later = [
        transfer(database.engine, "an-lao", BANK, fund("C-1"), 300_000, on=date(2025, 6, 2)),
        transfer(database.engine, "an-lao", fund("C-1"), payable("C-1"), 300_000, on=date(2025, 6, 15)),
    ]
    return first, later


def since(database):
    return run_in_transaction(database.engine, lambda s: verify_since(s, by="kiem-toan"))


def test_after_a_checkpoint_only_what_came_after_is_read_and_a_new_checkpoint_is_left(database):
    four_then_two(database)
    checked = since(database)
    assert checked.report.ok and (checked.since, checked.through, checked.full) == (4, 6, False)
    assert checked.report.transactions == 6  # four vouched for by the checkpoint, two read now
    with Session(database.engine) as session:
        newest = latest(session)
        assert newest is not None and (newest.seq, newest.full, newest.verified_by) == (6, False, "kiem-toan")
        count = session.scalar(select(func.count()).select_from(VerifiedCheckpoint))
    again = since(database)  # nothing new: the same place, no second checkpoint there
    assert again.report.ok and (again.since, again.through) == (6, 6)
    with Session(database.engine) as session:
        assert session.scalar(select(func.count()).select_from(VerifiedCheckpoint)) == count


def test_a_change_after_the_checkpoint_is_found(database):
    _, later = four_then_two(database)
    without_protection(database, f"UPDATE posting SET amount = amount + 1000 WHERE transaction_id = {later[0].id} "
                                  "AND line = 1")  # fmt: skip
    checked = since(database)
    assert not checked.report.ok and checked.through == 4
    assert any(p.transaction_id == later[0].id for p in checked.report.problems)


def test_a_cached_balance_tampered_with_is_found_without_reading_the_history(database):
    four_then_two(database)
    without_protection(database, "UPDATE account SET balance = balance + 5 WHERE code = 'assets:cash'")
    checked = since(database)
    assert not checked.report.ok and "balances" in checked.report.problems[-1].message


def test_the_checkpoint_itself_rewritten_is_found(database):
    first, _ = four_then_two(database)
    without_protection(database, f"UPDATE ledger_transaction SET hash = 'x' WHERE id = {first[-1].id}")
    checked = since(database)
    assert not checked.report.ok and checked.report.problems[0].seq == 4


def test_an_old_change_before_the_checkpoint_is_left_to_the_full_verification(database):
    """By design the page vouches only for what is new; the command and the nightly check read everything."""
    first, _ = four_then_two(database)
    without_protection(database, f"UPDATE ledger_transaction SET description = 'sửa' WHERE id = {first[1].id}")
    assert since(database).report.ok
    with Session(database.engine) as session:
        full = verify(session)
    assert not full.ok and full.first_bad is not None and full.first_bad.transaction_id == first[1].id
