"""The public account under a crowd (issue 23): requests/s beside a bare endpoint, same run.

Two uvicorn servers on loopback, one worker each: a bare ``async def`` endpoint returning a
page of the same size, and the product's ``/cong-khai/{branch}`` (no sign-in, answered from its
per-branch, per-month cache after the first reader). wrk drives each with 32 connections.

    .venv/bin/python -m bench.public_bench [--database-url URL] [--branch hp] [--month 2026-10]

Needs ``wrk`` (Debian package) and the demo in the database (``godmother demo``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import httpx

from bench.api_bench import serve, wrk

BARE = """
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
app = FastAPI()
PAGE = "x" * {size}

@app.get("/cong-khai/{{branch}}", response_class=HTMLResponse)
async def public(branch: str, month: str = "") -> str:
    return PAGE
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "sqlite:///godmother.db"))
    parser.add_argument("--branch", default="hp")
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--seconds", type=int, default=10)
    options = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": options.database_url}
    path = f"/cong-khai/{options.branch}?month={options.month}"
    product = serve(["--factory", "api.main:app"], 8312, env)
    try:
        first = httpx.get(f"http://127.0.0.1:8312{path}", timeout=600)  # the one reader who fills the cache
        first.raise_for_status()
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "bare_app.py").write_text(BARE.format(size=len(first.content)))
            bare = serve(["--app-dir", folder, "bare_app:app"], 8311, env)
            try:
                bare_rate, _ = wrk(f"http://127.0.0.1:8311{path}", options.seconds, None)
            finally:
                bare.terminate()
        rate, out = wrk(f"http://127.0.0.1:8312{path}", options.seconds, None)
    finally:
        product.terminate()
    print(out)
    print(f"page of {len(first.content):,} bytes; first reader {first.elapsed.total_seconds():.2f} s")
    print(f"bare {bare_rate:,.0f} req/s, public account {rate:,.0f} req/s: {rate / bare_rate:.0%} of bare")


if __name__ == "__main__":
    main()
