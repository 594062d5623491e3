"""Invariant 6: transactions form a hash chain; changing, deleting or inserting one is detected."""

from datetime import date

import pytest
from sqlmodel import Session

from ledger import chain
from ledger.models import GENESIS_HASH
from ledger.verify import verify
from tests.factories import BANK, commune, fund, payable, transfer
from tests.ledger.raw import scalar, without_protection


@pytest.fixture
def chained(database):
    commune(database.engine, children=("C-1", "C-2"))
    posted = [
        transfer(database.engine, "an-lao", BANK, fund("C-1"), 1_000_000, on=date(2025, 5, 2)),
        transfer(database.engine, "an-lao", BANK, fund("C-2"), 500_000, on=date(2025, 5, 3)),
        transfer(database.engine, "an-lao", fund("C-1"), payable("C-1"), 500_000, on=date(2025, 5, 15)),
        transfer(database.engine, "an-lao", fund("C-2"), payable("C-2"), 500_000, on=date(2025, 5, 15)),
    ]
    return database, posted


def report(database):
    with Session(database.engine) as session:
        return verify(session)


def test_an_intact_chain_verifies_and_links_each_transaction_to_the_previous(chained):
    database, posted = chained
    result = report(database)
    assert result.ok and result.transactions == 4 and result.head_seq == 4
    assert [p.seq for p in posted] == [1, 2, 3, 4]
    prev = GENESIS_HASH
    for p in posted:
        content = scalar(database, f"SELECT content_hash FROM ledger_transaction WHERE id = {p.id}")
        assert p.hash == chain.link_hash(prev, content)
        prev = p.hash
    assert result.head_hash == posted[-1].hash


@pytest.mark.parametrize(
    ("tamper", "bad", "says"),
    [
        ("UPDATE posting SET amount = amount + 100000 WHERE transaction_id = {t2} AND line = 1", 2, "changed"),
        ("UPDATE ledger_transaction SET description = 'sửa' WHERE id = {t2}", 2, "changed"),
        ("UPDATE ledger_transaction SET effective_date = '2025-04-30' WHERE id = {t3}", 3, "changed"),
        ("UPDATE posting SET account_id = account_id + 1 WHERE transaction_id = {t1} AND line = 2", 1, "changed"),
        (
            "DELETE FROM posting WHERE transaction_id = {t3}; DELETE FROM ledger_transaction WHERE id = {t3}",
            4,
            "removed",
        ),
        (
            "DELETE FROM posting WHERE transaction_id = {t4}; DELETE FROM ledger_transaction WHERE id = {t4}",
            None,
            "head",
        ),
        ("UPDATE ledger_transaction SET seq = seq + 10 WHERE id >= {t2}", 2, "jumps"),
    ],
)
def test_any_raw_change_is_detected_and_the_first_bad_transaction_named(chained, tamper, bad, says):
    database, posted = chained
    ids = {f"t{i}": p.id for i, p in enumerate(posted, start=1)}
    without_protection(database, *tamper.format(**ids).split("; "))
    result = report(database)
    assert not result.ok
    assert result.first_bad is not None
    assert result.first_bad.transaction_id == (posted[bad - 1].id if bad else None)
    assert says in result.first_bad.message


def test_a_transaction_inserted_with_raw_sql_is_detected(chained):
    database, posted = chained
    bank = scalar(database, f"SELECT id FROM account WHERE code = '{BANK}'")
    child = scalar(database, f"SELECT id FROM account WHERE code = '{fund('C-1')}'")
    head = scalar(database, "SELECT hash FROM chain_head")
    # A forger who even links the row correctly to the head, but cannot reproduce our content hash.
    forged_hash = chain.link_hash(head, "f" * 64)
    without_protection(
        database,
        "INSERT INTO posting (transaction_id, line, account_id, amount, currency, effective_date) "
        f"VALUES (999, 1, {bank}, 1, 'VND', '2025-05-20'), (999, 2, {child}, -1, 'VND', '2025-05-20')",
        "INSERT INTO ledger_transaction (id, seq, effective_date, recorded_at, description, metadata, posted_by, "
        f"kind, content_hash, prev_hash, hash) VALUES (999, 5, '2025-05-20', '2025-05-20 00:00:00', 'forged', "
        f"'{{}}', 'x', 'general', '{'f' * 64}', '{head}', '{forged_hash}')",
        f"UPDATE chain_head SET seq = 5, hash = '{forged_hash}'",
    )
    result = report(database)
    assert not result.ok
    assert result.first_bad is not None and result.first_bad.transaction_id == 999
