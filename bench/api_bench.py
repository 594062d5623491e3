"""Balance reads over HTTP against a bare FastAPI endpoint, in the same run (issue 5).

Starts two uvicorn servers on loopback, one worker each: a bare ``async def`` endpoint that
returns a constant, and the product (signed in as a treasurer, reading one child's fund
balance through authentication, scope and the database). wrk drives each with 32
connections; the report gives requests per second, the ratio, and wrk's latency percentiles.
The product answers the read's common case before FastAPI's routing (``api/hot_read.py``), which
the bare endpoint goes through, so the ratio can pass 100 %.

    .venv/bin/python bench/api_bench.py [--database-url URL] [--seconds 15]

Needs ``wrk`` (Debian package) and the demo in the database (``godmother demo``).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BARE = """
from fastapi import FastAPI
app = FastAPI()

@app.get("/api/v1/accounts/{code}/balance")
async def balance(code: str) -> dict:
    return {"branch": "hp-an-lao-quanghung", "account": code, "type": "liability", "as_of": None, "balance": -1400000}
"""
LUA = 'wrk.headers["Authorization"] = "Bearer {token}"\n'
POST_LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local counter = 0
function request()
  counter = counter + 1
  local headers = {{}}
  headers["Authorization"] = "Bearer {token}"
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = "bench-{run}-" .. id .. "-" .. counter
  return wrk.format("POST", "/api/v1/transactions", headers, [[{body}]])
end
"""


def serve(args: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *args, "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env,
    )
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=0.5)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


def wrk(url: str, seconds: int, script: Path | None) -> tuple[float, str]:
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return rate, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "sqlite:///godmother.db"))
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--account", default="liabilities:fund:child:C-000003")
    options = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": options.database_url}
    from ledger.db import make_engine
    from ledger.demo import demo_logins

    logins = {name: password for name, _, password in demo_logins(make_engine(options.database_url))}
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "bare_app.py").write_text(BARE)
        bare = serve(["--app-dir", folder, "bare_app:app"], 8301, env)
        product = serve(["--factory", "api.main:app"], 8302, env)
        try:
            token = httpx.post(
                "http://127.0.0.1:8302/api/v1/auth/token",
                data={"username": "thu-quy-an-lao", "password": logins["thu-quy-an-lao"]},
            ).json()["access_token"]
            script = Path(folder, "auth.lua")
            script.write_text(LUA.format(token=token))
            path = f"/api/v1/accounts/{options.account}/balance"
            assert (
                httpx.get(f"http://127.0.0.1:8302{path}", headers={"Authorization": f"Bearer {token}"}).status_code
                == 200
            )
            wrk(f"http://127.0.0.1:8301{path}", 3, None)  # warm-up
            wrk(f"http://127.0.0.1:8302{path}", 3, script)
            bare_rate, bare_out = wrk(f"http://127.0.0.1:8301{path}", options.seconds, None)
            rate, out = wrk(f"http://127.0.0.1:8302{path}", options.seconds, script)
            admin = httpx.post(
                "http://127.0.0.1:8302/api/v1/auth/token",
                data={"username": "quan-tri", "password": logins["quan-tri"]},
            ).json()["access_token"]
            posting = post_under_load(token, admin, folder, options.seconds, options.database_url)
        finally:
            bare.terminate()
            product.terminate()
    print("bare FastAPI endpoint:\n" + bare_out)
    print("balance read (auth + scope + database):\n" + out)
    print(f"bare {bare_rate:,.0f} req/s, balance {rate:,.0f} req/s: {rate / bare_rate:.0%} of bare (target >= 40%)")
    print(posting)


def post_under_load(token: str, admin: str, folder: str, seconds: int, database_url: str) -> str:
    """32 clients post 1-đồng bank fees with unique Idempotency-Keys; then every fee must be in
    the ledger exactly once and ``verify`` (chain, balances, cached balances) must pass."""
    from ledger.months import today_in_vietnam

    headers = {"Authorization": f"Bearer {token}"}
    balance_url = "http://127.0.0.1:8302/api/v1/accounts/expenses:bank-fees/balance?branch=hp-an-lao"
    before = httpx.get(balance_url, headers=headers).json()["balance"]
    today = today_in_vietnam().isoformat()
    body = (
        f'{{"effective_date":"{today}","description":"bench: phí 1 đồng","postings":['
        '{"branch":"hp-an-lao","account":"expenses:bank-fees","amount":1},'
        '{"branch":"hp-an-lao","account":"assets:bank:vcb-hp-an-lao","amount":-1}]}'
    )
    script = Path(folder, "post.lua")
    run = time.time_ns()
    script.write_text(POST_LUA.format(token=token, run=run, body=body))
    _, out = wrk("http://127.0.0.1:8302/api/v1/transactions", seconds, script)
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    posted = done - (int(failed.group(1)) if failed else 0)
    time.sleep(1)  # wrk stops counting at the deadline; requests still in flight finish on the server
    after = httpx.get(balance_url, headers=headers).json()["balance"]
    from sqlalchemy import func, select

    from ledger.db import make_engine
    from ledger.models import LedgerTransaction

    with make_engine(database_url).connect() as connection:
        in_ledger = connection.execute(
            select(func.count(), func.count(func.distinct(LedgerTransaction.idempotency_key))).where(
                LedgerTransaction.idempotency_key.like(f"api:%:bench-{run}-%")  # type: ignore[union-attr]
            )
        ).one()
    report = httpx.get("http://127.0.0.1:8302/api/v1/verify", headers={"Authorization": f"Bearer {admin}"}, timeout=600)
    verified = report.json() if report.status_code == 200 else {"ok": f"verify answered {report.status_code}"}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    return (
        f"posting under load: {rate} transactions/s (p99 {p99}); wrk counted {posted} answered 2xx and "
        f"{done - posted} refused before its deadline; the ledger holds {in_ledger[0]} of them "
        f"({in_ledger[1]} distinct keys) and bank fees grew by {after - before} đồng "
        f"({'equal' if after - before == in_ledger[0] == in_ledger[1] else 'NOT EQUAL'}); "
        f"verify ok: {verified.get('ok')}"
    )


if __name__ == "__main__":
    main()
