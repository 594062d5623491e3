"""Other users' requests while two clients try to stop the service (issue 19).

Starts the product on loopback (one uvicorn worker) on a database with the demo. A "victim"
reads a balance over and over, first alone, then while one client uploads a 100,000-row
spreadsheet and another asks to verify a 20,000-page PDF (a real statement padded with blank
pages). The report gives the victim's latency percentiles in both phases, their ratio, and what
the two heavy requests were answered. Target: p99 under 1 s while the heavy requests run.

    .venv/bin/python bench/abuse_bench.py [--database-url URL] [--rows 100000] [--pages 20000]

Needs the demo in the database (``godmother demo``).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import tempfile
import threading
import time

import httpx

from bench.api_bench import serve as serve_on_port

PORT = 8311
BASE = f"http://127.0.0.1:{PORT}"


def serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return serve_on_port(["--factory", "api.main:app"], PORT, env)


def children_file(rows: int) -> bytes:
    """A register of ``rows`` children of An Lão; the last row is bad, so all are read and none kept."""
    lines = ["code,full_name,date_of_birth,gender,branch,guardian_name,consent_guardian_on"]
    lines += [
        f"BENCH-{i:06d},Nguyễn Thị Thử {i},2015-03-0{1 + i % 9},F,hp-an-lao,Bà Thử,2024-01-02" for i in range(rows)
    ]
    lines[-1] = lines[-1].replace("2015-03-0", "2015-13-0")
    return ("\n".join(lines) + "\n").encode()


def padded_statement(statement: bytes, pages: int) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(statement)))
    width, height = writer.pages[0].mediabox.width, writer.pages[0].mediabox.height
    for _ in range(pages - len(writer.pages)):
        writer.add_blank_page(width, height)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def latencies(token: str, stop: threading.Event, seconds: float | None) -> list[float]:
    """One client reading a balance as fast as answers come, until ``stop`` (or ``seconds``)."""
    found: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + seconds if seconds else None
    with httpx.Client(base_url=BASE, headers=headers, timeout=120) as client:
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            start = time.perf_counter()
            answer = client.get("/api/v1/accounts/assets:cash/balance?branch=hp-an-lao")
            found.append(time.perf_counter() - start)
            assert answer.status_code == 200, answer.text
    return found


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{len(values)} requests, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", "sqlite:///godmother.db"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10)
    options = parser.parse_args()
    from ledger.db import make_engine
    from ledger.demo import demo_logins

    logins = {name: password for name, _, password in demo_logins(make_engine(options.database_url))}
    server = serve({**os.environ, "DATABASE_URL": options.database_url})
    try:
        tokens = {
            name: httpx.post(f"{BASE}/api/v1/auth/token", data={"username": name, "password": logins[name]}).json()[
                "access_token"
            ]
            for name in ("thu-quy-an-lao", "quan-tri", "kiem-toan-hp")
        }
        sponsor = httpx.get(
            f"{BASE}/api/v1/sponsors?limit=1", headers={"Authorization": f"Bearer {tokens['quan-tri']}"}
        ).json()[0]["code"]
        statement = httpx.get(
            f"{BASE}/api/v1/statements/sponsor/{sponsor}?year=2025",
            headers={"Authorization": f"Bearer {tokens['quan-tri']}"},
            timeout=600,
        ).content
        with tempfile.TemporaryDirectory():
            spreadsheet, pdf = children_file(options.rows), padded_statement(statement, options.pages)
        print(f"heavy requests: a {len(spreadsheet) / 1e6:.1f} MB CSV of {options.rows:,} rows, "
              f"a {len(pdf) / 1e6:.1f} MB PDF of {options.pages:,} pages")  # fmt: skip

        alone = latencies(tokens["kiem-toan-hp"], threading.Event(), options.seconds)
        answers: dict[str, str] = {}

        def upload() -> None:
            start = time.perf_counter()
            treasurer = {"Authorization": f"Bearer {tokens['thu-quy-an-lao']}"}
            answer = httpx.post(f"{BASE}/api/v1/imports/children", files={"file": ("tre-em.csv", spreadsheet)},
                                headers=treasurer, timeout=1200)  # fmt: skip
            answers["import"] = f"{answer.status_code} after {time.perf_counter() - start:.1f} s"

        def verify() -> None:
            start = time.perf_counter()
            answer = httpx.post(f"{BASE}/api/v1/statements/verify", files={"file": ("sao-ke.pdf", pdf)},
                                headers={"Authorization": f"Bearer {tokens['quan-tri']}"}, timeout=1200)  # fmt: skip
            answers["verify"] = f"{answer.status_code} after {time.perf_counter() - start:.1f} s"

        stop = threading.Event()
        heavy = [threading.Thread(target=upload), threading.Thread(target=verify)]
        found: list[float] = []
        victim = threading.Thread(target=lambda: found.extend(latencies(tokens["kiem-toan-hp"], stop, None)))
        victim.start()
        for thread in heavy:
            thread.start()
        for thread in heavy:
            thread.join()
        stop.set()
        victim.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"alone:            {percentiles(alone)}")
    print(f"under the attack: {percentiles(found)}")
    ratio = sorted(found)[int(len(found) * 0.99)] / sorted(alone)[int(len(alone) * 0.99)]
    print(f"p99 under the attack / p99 alone: {ratio:.1f}x (target: p99 under 1 s)")
    print(f"the import was answered {answers.get('import')}, the verification {answers.get('verify')}")


if __name__ == "__main__":
    main()
