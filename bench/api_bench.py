"""Balance reads over HTTP against a bare FastAPI endpoint, in the same run (issue 5).

Starts two uvicorn servers on loopback, one worker each: a bare ``async def`` endpoint that
returns a constant, and the product (signed in as a treasurer, reading one child's fund
balance through authentication, scope and the database). wrk drives each with 32
connections; the report gives requests per second, the ratio, and wrk's latency percentiles.

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
        finally:
            bare.terminate()
            product.terminate()
    print("bare FastAPI endpoint:\n" + bare_out)
    print("balance read (auth + scope + database):\n" + out)
    print(f"bare {bare_rate:,.0f} req/s, balance {rate:,.0f} req/s: {rate / bare_rate:.0%} of bare (target >= 40%)")


if __name__ == "__main__":
    main()
