"""The smaller holes of the adversarial review, each closed and kept closed.

Every test here failed before its fix: formulas in exports, passwords changed with a token
alone or guessable, missing security headers, a web sign-out that left the token alive, the
database password in an error line, replays and keys that leaked or doubled, run summaries
naming other communes' children, ids and fields that gave 500, uploads trusted by their name,
bodies read before sign-in, and a PDF reader that could take the server down.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlmodel import Session

from api.isolation import Isolated, ReaderStopped
from ledger.access.actor import Actor
from ledger.access.models import AuditEvent
from ledger.access.scope import actor_named
from ledger.disbursement.handover import EvidenceFile, keep_evidence
from ledger.disbursement.models import Run
from ledger.disbursement.stored import summary_seen_by
from ledger.errors import InvalidEntry, TooLarge
from ledger.models import Branch
from ledger.register.models import Child
from tests.api.conftest import IN, OUT, PASSWORD, World

GODMOTHER = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "godmother"


def _count(world: World, action: str) -> int:
    with Session(world.database.engine) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)) or 0


def test_exported_names_that_look_like_formulas_stay_text(world, tmp_path):
    path = tmp_path / "sponsors.csv"
    path.write_text(
        f'code,name,kind,branch\nMDD-CONG-THUC,"=HYPERLINK(""http://x"",""bam"")",individual,{IN}\n'
        f"MDD-CONG-THUC-2,@SUM(1+1),individual,{IN}\n",
        encoding="utf-8",
    )
    with path.open("rb") as handle:
        imported = world.client.post(
            "/api/v1/imports/sponsors", headers=world.login("thu-quy-an-lao"), files={"file": ("s.csv", handle)}
        )
    assert imported.status_code == 200, imported.text
    exported = world.client.get("/api/v1/exports/sponsors", headers=world.login("thu-quy-an-lao"))
    sheet = load_workbook(io.BytesIO(exported.content)).active
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    for code, text in (("MDD-CONG-THUC", '=HYPERLINK("http://x","bam")'), ("MDD-CONG-THUC-2", "@SUM(1+1)")):
        assert cells[code].value == text and cells[code].data_type == "s"


def test_changing_ones_own_password_needs_the_current_one_and_a_reset_is_audited(world):
    url = "/api/v1/users/du-phong/password"
    mine = world.login("du-phong")
    new = "mot cau dai kho doan hon"
    assert world.client.post(url, headers=mine, json={"password": new}).status_code == 422
    wrong = world.client.post(url, headers=mine, json={"password": new, "current_password": "khong-phai-dau"})
    assert wrong.status_code == 422
    changed = world.client.post(url, headers=mine, json={"password": new, "current_password": PASSWORD})
    assert changed.status_code == 204
    resets = _count(world, "user.password-reset")
    again = world.client.post(url, headers=world.login("admin"), json={"password": PASSWORD})
    assert again.status_code == 204 and _count(world, "user.password-reset") == resets + 1
    world.tokens.pop("du-phong", None)


@pytest.mark.parametrize("password", ["1234567890", " " * 10, "phong-thu-nghiem", "matkhau123", "aaaaaaaaaaaa"])
def test_guessable_passwords_are_refused(world, password):
    answer = world.client.post(
        "/api/v1/users",
        headers=world.login("admin"),
        json={"name": "phong-thu-nghiem", "role": "auditor", "password": password, "branch": OUT},
    )
    assert answer.status_code == 422, (password, answer.text)


def test_every_answer_carries_the_security_headers(world):
    world.client.cookies.clear()
    for path in ("/sign-in", "/api/v1/branches/hp"):
        headers = world.client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp
    private = world.client.get("/api/v1/branches/hp", headers=world.login("admin")).headers
    assert "no-store" in private["cache-control"]
    assert "strict-transport-security" not in private
    https = world.client.get("/sign-in", headers={"X-Forwarded-Proto": "https"}).headers
    assert https["strict-transport-security"].startswith("max-age=")


def test_web_sign_out_ends_the_session_token_everywhere(world):
    world.client.cookies.clear()
    form = world.client.get("/sign-in")
    pre = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
    world.client.post("/sign-in", data={"name": "kiem-toan-an-lao", "password": PASSWORD, "csrf": pre})
    token = world.client.cookies.get("godmother_session")
    bearer = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    world.client.post("/sign-out", data={})  # even without the form's token
    world.client.cookies.clear()
    assert world.client.get("/api/v1/auth/me", headers=bearer).status_code == 401


def test_the_cli_never_prints_the_database_password(world):
    env = {**os.environ, "DATABASE_URL": "postgresql+psycopg://ke-toan:bi-mat-lam@127.0.0.1:1/khong-co"}
    failed = subprocess.run([str(GODMOTHER), "balance", "x", "--branch", "y"], capture_output=True, text=True,
                            env=env, timeout=600)  # fmt: skip
    assert failed.returncode != 0 and "bi-mat-lam" not in failed.stderr + failed.stdout
    assert "***" in failed.stderr


def test_concurrent_replays_of_one_payment_answer_alike_with_one_audit_event(world):
    before = _count(world, "payment.record")
    body = {"sponsor": world.codes.sponsor[IN], "amount": 120_000, "paid_on": "2030-02-01", "method": "cash"}
    headers = {**world.login("thu-quy-an-lao"), "Idempotency-Key": "cung-mot-lan-nop"}

    def post(_: int) -> tuple[int, int]:
        # A client of its own per thread, without the app's lifespan (whose end disposes the engine).
        answer = TestClient(world.app).post("/api/v1/payments", headers=headers, json=body)
        return answer.status_code, answer.json().get("id", -1)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, range(6)))
    assert sorted(status for status, _ in answers) == [200] * 5 + [201], answers
    assert len({payment for _, payment in answers}) == 1
    assert _count(world, "payment.record") == before + 1


def test_an_idempotency_key_is_one_persons_and_reveals_nothing_of_anothers(world):
    body = {
        "effective_date": "2030-02-02",
        "description": "chuyển quỹ",
        "postings": [
            {"branch": IN, "account": "assets:cash", "amount": 1_000},
            {"branch": IN, "account": "income:donations:general", "amount": -1_000},
        ],
    }
    mine = world.client.post(
        "/api/v1/transactions", headers={**world.login("thu-quy-an-lao"), "Idempotency-Key": "k-1"}, json=body
    )
    assert mine.status_code == 201, mine.text
    theirs_body = {**body, "postings": [{**p, "branch": OUT} for p in body["postings"]]}
    theirs = world.client.post(
        "/api/v1/transactions", headers={**world.login("du-phong"), "Idempotency-Key": "k-1"}, json=theirs_body
    )
    assert theirs.status_code == 201, theirs.text
    # Their answer is their own transaction: none of mine's identity (a bare substring test would
    # also find my id's digits inside their hash, by chance).
    mine_out, theirs_out = mine.json(), theirs.json()
    for name in ("id", "seq", "hash", "posted_by"):
        assert theirs_out[name] != mine_out[name], name
    assert mine_out["hash"] not in theirs.text
    assert {p["branch"] for p in theirs_out["postings"]} == {OUT}


def test_a_run_wider_than_the_reader_names_only_their_own_children(world):
    with Session(world.database.engine) as session:
        inside = session.scalar(select(Child.code).join(Branch).where(Branch.code.like(f"{IN}%")))
        outside = session.scalar(select(Child.code).join(Branch).where(Branch.code.like(f"{OUT}%")))
        treasurer = actor_named(session, "thu-quy-an-lao", door="api")
        wide = Run(month=date(2030, 1, 1), branch_id=None, status="done", posted_on=date(2030, 1, 5),
                   prepared_by="x", prepared_at=datetime.now(UTC),
                   summary={"paid_total": 5, "aged_out": [inside, outside], "pledges_ended": []})  # fmt: skip
        seen = summary_seen_by(session, wide, treasurer)
        assert seen["aged_out"] == [inside] and seen["paid_total"] == 5
        everyone = summary_seen_by(session, wide, Actor.local_administrator("x"))
        assert everyone["aged_out"] == [inside, outside]


def test_oversize_ids_and_fields_are_invalid_requests_not_errors(world, tmp_path):
    world.client.cookies.clear()
    assert world.client.get(f"/api/v1/transactions/{2**70}", headers=world.login("admin")).status_code == 422
    form = world.client.get("/sign-in")
    pre = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
    world.client.post("/sign-in", data={"name": "nha-tai-tro", "password": PASSWORD, "csrf": pre})
    assert world.client.get(f"/sponsor/stored/{2**70}.pdf").status_code == 422
    world.client.cookies.clear()
    path = tmp_path / "children.csv"
    path.write_text("code,full_name\nC-1," + "x" * 200_000 + "\n", encoding="utf-8")
    with path.open("rb") as handle:
        answer = world.client.post(
            "/api/v1/imports/children", headers=world.login("thu-quy-an-lao"), files={"file": ("c.csv", handle)}
        )
    assert answer.status_code == 422, answer.text


def test_a_slip_is_typed_by_its_bytes_not_its_name(world):
    with Session(world.database.engine) as session:
        with pytest.raises(InvalidEntry, match="not a photo"):
            keep_evidence(session, EvidenceFile("anh-bien-nhan.jpg", b"<script>alert(1)</script>"), by="t")
        kept = keep_evidence(session, EvidenceFile("scan.bin", b"\xff\xd8\xff\xe0" + b"\x00" * 64), by="t")
        assert kept.content_type == "image/jpeg"
        session.rollback()


def test_a_large_body_is_refused_before_it_is_read_and_needs_a_session(world):
    world.client.cookies.clear()
    huge = world.client.post(
        "/api/v1/statements/verify",
        headers={**world.login("admin"), "Content-Length": str(21 * 1024 * 1024), "Content-Type": "application/pdf"},
        content=b"x",
    )
    assert huge.status_code == 413
    anonymous = world.client.post("/api/v1/imports/children", files={"file": ("c.csv", b"x" * 100_000)})
    assert anonymous.status_code == 401 and "đăng nhập" in anonymous.json()["detail"]


def _dies() -> None:
    os._exit(139)  # as a segfault in a PDF library would


def _pid() -> int:
    return os.getpid()


def test_a_file_worker_that_dies_is_replaced_and_the_service_goes_on():
    isolated = Isolated(workers=1, seconds=600)

    async def journey() -> tuple[int, int]:
        first = await isolated.run(_pid)
        with pytest.raises(ReaderStopped):
            await isolated.run(_dies)
        return first, await isolated.run(_pid)

    try:
        first, second = asyncio.run(journey())
        assert first != second and second != os.getpid() and isolated.restarts == 1
    finally:
        isolated.close()


def test_a_statement_with_too_many_pages_is_refused_by_count(world, monkeypatch):
    from api.routes import statements

    issued = world.client.get(
        f"/api/v1/statements/sponsor/{world.codes.sponsor[IN]}?year=2030", headers=world.login("admin")
    )
    assert issued.status_code == 200
    monkeypatch.setattr(statements, "MAX_PAGES", 0)
    answer = world.client.post(
        "/api/v1/statements/verify", headers=world.login("admin"), files={"file": ("s.pdf", issued.content)}
    )
    assert answer.status_code == 413, answer.text
    with pytest.raises(TooLarge):
        from pdf_templates.verify import inspect_statement

        inspect_statement(issued.content, max_pages=0)


@pytest.mark.postgres_only
def test_parallel_guesses_check_no_more_passwords_than_the_limit(world):
    from ledger.access.models import SignInAttempt
    from ledger.access.users import MAX_FAILURES

    def guess(n: int) -> int:
        return (
            TestClient(world.app)
            .post("/api/v1/auth/token", data={"username": "du-doan", "password": f"sai-{n}"})
            .status_code
        )

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(guess, range(16)))
    assert sorted(set(answers)) == [401, 429]
    with Session(world.database.engine) as session:
        checked = session.scalar(select(func.count()).select_from(SignInAttempt).where(SignInAttempt.name == "du-doan"))
    assert checked == MAX_FAILURES == answers.count(401)
