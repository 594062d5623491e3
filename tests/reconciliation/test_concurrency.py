"""Two treasurers matching the same account at the same moment never match a line twice (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.db import run_in_transaction
from ledger.demo import write_statement
from ledger.reconciliation import reconcile
from ledger.reconciliation.importing import import_statement
from ledger.reconciliation.models import BankLine, Match, MatchLine
from tests.factories import admin
from tests.statements.conftest import load_small_demo

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round


@pytest.mark.postgres_only
def test_concurrent_auto_matches_and_imports_do_not_double_up(database, tmp_path):
    month = load_small_demo(database, children=12, sponsors=10, months=2)
    path = write_statement(database.engine, "hp-an-lao", "vcb-hp-an-lao", month, tmp_path)
    barrier, errors = threading.Barrier(4), []

    def work(job):
        try:
            barrier.wait()
            run_in_transaction(database.engine, job)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    imports = [lambda s: import_statement(s, path=path, account="vcb-hp-an-lao", actor=admin("t"))] * 4
    threads = [threading.Thread(target=work, args=(job,)) for job in imports]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    with Session(database.engine) as session:
        lines = session.scalar(select(func.count()).select_from(BankLine))

    matchers = [lambda s: reconcile.auto_match(s, account="vcb-hp-an-lao", actor=admin("t"))] * 4
    threads = [threading.Thread(target=work, args=(job,)) for job in matchers]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    with Session(database.engine) as session:
        assert lines == session.scalar(select(func.count(func.distinct(MatchLine.line_id))))
        taken = session.execute(
            select(MatchLine.line_id, func.sum(MatchLine.amount), BankLine.amount)
            .join(Match, Match.id == MatchLine.match_id)
            .join(BankLine, BankLine.id == MatchLine.line_id)
            .where(Match.undone_at.is_(None))
            .group_by(MatchLine.line_id, BankLine.amount)
        ).all()
    assert taken and all(total == amount for _, total, amount in taken)
