"""Ledger benchmarks (issue 2): run by hand, each against a baseline measured in the same run.

    .venv/bin/python -m bench.ledger_bench --engine sqlite      # or postgres
    .venv/bin/python -m bench.ledger_bench --engine postgres --only concurrent

Baselines insert the same rows with plain SQLAlchemy Core into twin tables that have the same
columns and no triggers, locks, checks or hash chain.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import BigInteger, Column, Date, DateTime, Engine, Integer, MetaData, String, Table, Text, insert, text
from sqlmodel import Session

from ledger.accounts import AccountKey, create_branch, open_account
from ledger.balances import balance, trial_balance
from ledger.chain import link_hash
from ledger.db import make_engine, run_in_transaction, upgrade
from ledger.models import LedgerTransaction, Posting
from ledger.posting import Entry, Leg, post, post_many

LEDGER_TRANSACTION = LedgerTransaction.__table__  # type: ignore[attr-defined]
LEDGER_POSTING = Posting.__table__  # type: ignore[attr-defined]

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ACCOUNTS = 50
DAY = date(2025, 5, 2)

twin = MetaData()
bench_txn = Table(
    "bench_txn",
    twin,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("seq", BigInteger),
    Column("idempotency_key", String(200)),
    Column("effective_date", Date),
    Column("recorded_at", DateTime(timezone=True)),
    Column("description", Text),
    Column("metadata", Text),
    Column("posted_by", String(100)),
    Column("kind", String(32)),
    Column("content_hash", String(64)),
    Column("prev_hash", String(64)),
    Column("hash", String(64)),
)
bench_posting = Table(
    "bench_posting",
    twin,
    Column("transaction_id", BigInteger, primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("account_id", Integer),
    Column("amount", BigInteger),
    Column("currency", String(3)),
    Column("effective_date", Date),
)


def fresh_database(kind: str) -> tuple[str, dict]:
    if kind == "sqlite":
        path = os.path.join(tempfile.mkdtemp(), "bench.db")
        return f"sqlite:///{path}", {}
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = make_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    return PG_URL, {"connect_args": {"options": f"-csearch_path={schema}"}}


def analyze(engine: Engine) -> None:
    """Planner statistics for this bench's own tables, as autovacuum keeps them on a live database.

    A bare ANALYZE on PostgreSQL reads every schema of the database: run beside another bench, it
    would record that bench's tables as empty while its load is not committed yet, and that
    bench's plans would go quadratic."""
    with engine.begin() as connection:
        if engine.dialect.name != "postgresql":
            connection.execute(text("ANALYZE"))
            return
        tables = connection.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
        for table in list(tables):
            connection.execute(text(f'ANALYZE "{table}"'))


def setup(url: str, kwargs: dict, branches: int = 1) -> Engine:
    engine = make_engine(url, **kwargs)
    upgrade(engine)
    twin.create_all(engine)

    def work(session: Session) -> None:
        for b in range(branches):
            create_branch(session, code=f"b{b}", name=f"Chi hội {b}", level="province")
            open_account(session, branch=f"b{b}", code="equity:opening-balances", opened_on=DAY)
            for i in range(ACCOUNTS):
                # Half may not go negative; fund them so that most transfers pass.
                open_account(
                    session, branch=f"b{b}", code=f"assets:bank:a{i:02d}", opened_on=DAY, may_go_negative=i % 2 == 0
                )
        post_many(
            session,
            [
                Entry(
                    DAY,
                    "opening",
                    (
                        Leg(AccountKey(f"b{b}", f"assets:bank:a{i:02d}"), 10**12),
                        Leg(AccountKey(f"b{b}", "equity:opening-balances"), -(10**12)),
                    ),
                    posted_by="bench",
                )
                for b in range(branches)
                for i in range(ACCOUNTS)
            ],
        )

    run_in_transaction(engine, work)
    return engine


def random_entry(rng: random.Random, branch: str = "b0", day: date = DAY) -> Entry:
    a, b = rng.sample(range(ACCOUNTS), 2)
    amount = rng.randint(1, 1_000_000)
    return Entry(
        day,
        "bench transfer",
        (
            Leg(AccountKey(branch, f"assets:bank:a{a:02d}"), amount),
            Leg(AccountKey(branch, f"assets:bank:a{b:02d}"), -amount),
        ),
        posted_by="bench",
    )


def twin_rows(txn_id: int, rng: random.Random) -> tuple[dict, list[dict]]:
    a, b = rng.sample(range(ACCOUNTS), 2)
    amount = rng.randint(1, 1_000_000)
    header = {
        "id": txn_id,
        "seq": txn_id,
        "idempotency_key": None,
        "effective_date": DAY,
        "recorded_at": datetime.now(UTC),
        "description": "bench transfer",
        "metadata": "{}",
        "posted_by": "bench",
        "kind": "general",
        "content_hash": "0" * 64,
        "prev_hash": "0" * 64,
        "hash": "0" * 64,
    }
    postings = [
        {
            "transaction_id": txn_id,
            "line": 1,
            "account_id": a + 1,
            "amount": amount,
            "currency": "VND",
            "effective_date": DAY,
        },
        {
            "transaction_id": txn_id,
            "line": 2,
            "account_id": b + 1,
            "amount": -amount,
            "currency": "VND",
            "effective_date": DAY,
        },
    ]
    return header, postings


def rate(count: int, seconds: float) -> float:
    return count / seconds


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- 1. one transaction per call, one commit each ----------------------------------------


def ledger_table_rows(
    engine: Engine, txn_id: int, seq: int, prev: str, rng: random.Random
) -> tuple[dict, list[dict], str]:
    """The rows a transfer writes, for inserting with plain Core into the ledger's own tables."""
    header, postings = twin_rows(txn_id, rng)
    header["metadata"] = {}
    header["content_hash"] = content = f"{txn_id:064x}"
    header["seq"], header["prev_hash"] = seq, prev
    header["hash"] = link_hash(prev, content)
    return header, postings, header["hash"]


def bench_single(engine: Engine, n: int = 2000, rounds: int = 5) -> None:
    """Each side posts ``n`` in all, in ``rounds`` turns taken one after the other, so that a slow
    spell of the machine falls on all three rather than on whichever ran then."""
    rng = random.Random(1)
    per_round = n // rounds

    def ledger() -> None:
        for _ in range(per_round):
            entry = random_entry(rng)
            run_in_transaction(engine, lambda s, e=entry: post(s, e))

    def core_twin(first_id: int) -> None:
        for i in range(per_round):
            header, postings = twin_rows(first_id + i, rng)
            with engine.begin() as connection:
                connection.execute(insert(bench_txn), [header])
                connection.execute(insert(bench_posting), postings)

    def core_ledger_tables(first_id: int) -> None:
        with engine.connect() as connection:
            seq, prev = connection.execute(text("SELECT seq, hash FROM chain_head")).one()
        for i in range(per_round):
            seq += 1
            header, postings, prev = ledger_table_rows(engine, first_id + i, seq, prev, rng)
            with engine.begin() as connection:
                connection.execute(insert(LEDGER_POSTING), postings)
                connection.execute(insert(LEDGER_TRANSACTION), [header])

    core_twin(10_000_000)  # warm-up: caches, pages, WAL
    ledger()
    seconds = {"ledger": 0.0, "twin": 0.0, "tables": 0.0}
    for turn in range(rounds):
        seconds["ledger"] += timed(ledger)
        seconds["twin"] += timed(lambda t=turn: core_twin(20_000_000 + t * per_round))
        seconds["tables"] += timed(lambda t=turn: core_ledger_tables(30_000_000 + t * per_round))
    done = per_round * rounds
    report(
        "single post, 1 commit each, vs Core into the ledger's tables",
        rate(done, seconds["ledger"]),
        rate(done, seconds["tables"]),
        "tx/s",
        0.5,
    )
    report(
        "single post, 1 commit each, vs Core into trigger-free twins",
        rate(done, seconds["ledger"]),
        rate(done, seconds["twin"]),
        "tx/s",
        0.5,
    )


# --- 2. a batch of 10,000 transactions in one call ---------------------------------------


def bench_batch(engine: Engine, n: int = 10_000) -> None:
    rng = random.Random(2)
    entries = [random_entry(rng) for _ in range(n)]
    rows = [twin_rows(30_000_000 + i, rng) for i in range(n)]

    def core() -> None:
        with engine.begin() as connection:
            connection.execute(insert(bench_txn), [h for h, _ in rows])
            connection.execute(insert(bench_posting), [p for _, ps in rows for p in ps])

    ledger_s = timed(lambda: run_in_transaction(engine, lambda s, es=entries: post_many(s, es)))
    core_s = timed(core)
    report(f"batch of {n:,} in one call", rate(n, ledger_s), rate(n, core_s), "tx/s", target=0.3)


# --- 3. eight concurrent writers (PostgreSQL) --------------------------------------------


def _ledger_writer(args: tuple[str, dict, int, int]) -> int:
    url, kwargs, seed, n = args
    engine = make_engine(url, **kwargs)
    rng, posted = random.Random(seed), 0
    for _ in range(n):
        entry = random_entry(rng)
        run_in_transaction(engine, lambda s, e=entry: post(s, e))
        posted += 1
    engine.dispose()
    return posted


def _raw_writer(args: tuple[str, dict, int, int]) -> int:
    url, kwargs, seed, n = args
    engine = make_engine(url, **kwargs)
    rng = random.Random(seed)
    for i in range(n):
        header, postings = twin_rows(seed * 1_000_000 + i, rng)
        with engine.begin() as connection:
            connection.execute(insert(bench_txn), [header])
            connection.execute(insert(bench_posting), postings)
    engine.dispose()
    return n


def bench_concurrent(url: str, kwargs: dict, workers: int = 8, per_worker: int = 500) -> None:
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers) as pool:
        pool.map(_raw_writer, [(url, kwargs, 100 + w, 20) for w in range(workers)])  # warm the pool
        raw_s = timed(lambda: pool.map(_raw_writer, [(url, kwargs, 200 + w, per_worker) for w in range(workers)]))
        ledger_s = timed(lambda: pool.map(_ledger_writer, [(url, kwargs, 300 + w, per_worker) for w in range(workers)]))
    n = workers * per_worker
    report(f"{workers} concurrent writers", rate(n, ledger_s), rate(n, raw_s), "tx/s", target=0.5)


# --- 4 and 5. reads against history --------------------------------------------------------


def grow(engine: Engine, postings: int, rng: random.Random) -> None:
    """Post transfers in batches of 10,000 until the ledger holds about ``postings`` postings."""
    with engine.connect() as connection:
        have = connection.execute(text("SELECT count(*) FROM posting")).scalar_one()
    while have < postings:
        size = min(10_000, (postings - have) // 2 or 1)
        entries = [random_entry(rng, day=DAY + timedelta(days=rng.randint(0, 365))) for _ in range(size)]
        run_in_transaction(engine, lambda s, es=entries: post_many(s, es))
        have += 2 * size


def median_seconds(fn: Callable[[], object], repeat: int = 2000) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_reads(engine: Engine, small: int = 10_000, large: int = 1_000_000) -> None:
    rng = random.Random(4)
    key = AccountKey("b0", "assets:bank:a07")

    def read() -> int:
        with Session(engine) as session:
            return balance(session, key)

    grow(engine, small, rng)
    small_s = median_seconds(read)
    start = time.perf_counter()
    grow(engine, large, rng)
    print(f"  (grew the ledger to {large:,} postings in {time.perf_counter() - start:.0f} s)")
    if engine.dialect.name == "postgresql":
        analyze(engine)
    large_s = median_seconds(read)
    print(
        f"balance read: {small_s * 1e3:.3f} ms at {small:,} postings, {large_s * 1e3:.3f} ms at {large:,}: "
        f"ratio {large_s / small_s:.2f} (target ≤ 1.5)"
    )

    def tb(as_of: date | None) -> None:
        with Session(engine) as session:
            trial_balance(session, branch="b0", as_of=as_of)

    now_s = median_seconds(lambda: tb(None), repeat=20)
    as_of_s = median_seconds(lambda: tb(DAY + timedelta(days=200)), repeat=5)
    print(
        f"trial balance with {large:,} postings: {now_s * 1e3:.1f} ms now, {as_of_s * 1e3:.0f} ms as of a past date "
        "(target < 1000 ms)"
    )


def report(name: str, ours: float, baseline: float, unit: str, target: float) -> None:
    ratio = ours / baseline
    verdict = "OK" if ratio >= target else "BELOW TARGET"
    print(
        f"{name}: ledger {ours:,.0f} {unit}, Core baseline {baseline:,.0f} {unit}: "
        f"{ratio:.0%} of baseline (target ≥ {target:.0%}) {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--only", choices=["single", "batch", "concurrent", "reads"])
    parser.add_argument("--large", type=int, default=1_000_000, help="postings for the read benchmark")
    args = parser.parse_args()
    print(f"== {args.engine} ==")
    for name in ["single", "batch", "concurrent", "reads"]:
        if args.only and name != args.only:
            continue
        if name == "concurrent" and args.engine != "postgres":
            continue
        url, kwargs = fresh_database(args.engine)
        engine = setup(url, kwargs)
        if name == "single":
            bench_single(engine)
        elif name == "batch":
            bench_batch(engine)
        elif name == "concurrent":
            bench_concurrent(url, kwargs)
        else:
            bench_reads(engine, large=args.large)
        engine.dispose()


if __name__ == "__main__":
    main()
