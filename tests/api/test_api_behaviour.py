"""What clients rely on: idempotent posting, paging, reversals, children's privacy, consent
withdrawal, and errors as RFC 9457 problems in the reader's language."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from api.app import create_app
from tests.api.conftest import IN, OUT, PASSWORD, World

FEE = {
    "effective_date": "2026-11-15",
    "description": "Phí quản lý tài khoản tháng 11",
    "postings": [
        {"branch": IN, "account": "expenses:bank-fees", "amount": 11000},
        {"branch": IN, "account": "assets:bank:vcb-hp-an-lao", "amount": -11000},
    ],
}


def test_posting_with_an_idempotency_key_posts_once(world: World) -> None:
    headers = {**world.login("thu-quy-an-lao"), "Idempotency-Key": "phi-11-2026"}
    before = world.client.get("/api/v1/accounts/expenses:bank-fees/balance", params={"branch": IN}, headers=headers)
    first = world.client.post("/api/v1/transactions", json=FEE, headers=headers)
    again = world.client.post("/api/v1/transactions", json=FEE, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert [p["amount"] for p in first.json()["postings"]] == [11000, -11000]
    after = world.client.get("/api/v1/accounts/expenses:bank-fees/balance", params={"branch": IN}, headers=headers)
    assert after.json()["balance"] == before.json()["balance"] + 11000
    other = world.client.post("/api/v1/transactions", json={**FEE, "description": "khác"}, headers=headers)
    assert other.status_code == 409 and "idempotency key" in other.json()["detail"]


def test_an_unbalanced_transaction_is_refused_and_names_no_stack(world: World) -> None:
    headers = {**world.login("thu-quy-an-lao"), "Accept-Language": "en"}
    legs = [dict(FEE["postings"][0]), {**FEE["postings"][1], "amount": -10000}]  # type: ignore[dict-item]
    response = world.client.post("/api/v1/transactions", json={**FEE, "postings": legs}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Invalid request" and "Traceback" not in response.text


def test_validation_errors_name_the_field_in_the_readers_language(world: World) -> None:
    bad = {**FEE, "postings": [{**FEE["postings"][0], "amount": 1.5}, FEE["postings"][1]]}  # type: ignore[dict-item]
    vi = world.client.post("/api/v1/transactions", json=bad, headers=world.login("thu-quy-an-lao"))
    en = world.client.post(
        "/api/v1/transactions", json=bad, headers={**world.login("thu-quy-an-lao"), "Accept-Language": "en-GB,en;q=0.9"}
    )
    assert vi.status_code == en.status_code == 422
    assert vi.json()["errors"][0]["field"] == "body.postings.0.amount"
    assert vi.json()["title"] == "Dữ liệu không hợp lệ" and "số nguyên" in vi.json()["errors"][0]["message"]
    assert en.json()["title"] == "Invalid request" and "whole number" in en.json()["errors"][0]["message"]
    assert en.headers["content-language"] == "en"


def test_transactions_page_newest_first_with_a_cursor(world: World) -> None:
    headers = world.login("kiem-toan-an-lao")
    seen, cursor, pages = [], None, 0
    while pages < 50:
        params = {"branch": IN, "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = world.client.get("/api/v1/transactions", params=params, headers=headers).json()
        seen += [t["seq"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages > 1 and seen == sorted(seen, reverse=True) and len(seen) == len(set(seen))
    everything = world.client.get("/api/v1/transactions", params={"branch": IN, "limit": 500}, headers=headers).json()
    assert [t["seq"] for t in everything["items"]] == seen
    bad = world.client.get("/api/v1/transactions", params={"cursor": "not-ours"}, headers=headers)
    assert bad.status_code == 422


def test_a_reversal_mirrors_the_original_once(world: World) -> None:
    headers = world.login("thu-quy-an-lao")
    posted = world.client.post(
        "/api/v1/transactions", json={**FEE, "description": "nhầm"}, headers={**headers, "Idempotency-Key": "nham-1"}
    ).json()
    reversal = world.client.post(
        f"/api/v1/transactions/{posted['id']}/reversal", json={"reason": "nhập nhầm"}, headers=headers
    )
    assert reversal.status_code == 201
    assert reversal.json()["reverses"] == posted["id"]
    assert [p["amount"] for p in reversal.json()["postings"]] == [-11000, 11000]
    assert (
        world.client.get(f"/api/v1/transactions/{posted['id']}", headers=headers).json()["reversed_by"]
        == reversal.json()["id"]
    )
    twice = world.client.post(
        f"/api/v1/transactions/{posted['id']}/reversal", json={"reason": "lần nữa"}, headers=headers
    )
    assert twice.status_code == 409


def test_a_sponsor_sees_only_first_name_age_and_commune_and_staff_reads_are_logged(world: World) -> None:
    child = world.codes.child[IN]
    as_sponsor = world.client.get(f"/api/v1/children/{child}", headers=world.login("nha-tai-tro")).json()
    assert set(as_sponsor) == {"code", "first_name", "age", "commune"}
    assert as_sponsor["commune"] == "Hội LHPN xã An Lão"
    full = world.client.get(f"/api/v1/children/{child}", headers=world.login("thu-quy-an-lao")).json()
    assert full["full_name"].split()[-1] == as_sponsor["first_name"] and "guardian_phone" in full
    log = world.client.get(
        "/api/v1/audit-log", params={"subject": f"child:{child}"}, headers=world.login("kiem-toan-an-lao")
    )
    reads = [e for e in log.json() if e["action"] == "child.read"]
    assert reads and reads[0]["actor"] == "thu-quy-an-lao"
    # The sponsor's own view of the child is not a read of the full record.
    assert all(e["actor"] != "nha-tai-tro" for e in reads)
    # An auditor of another commune does not see An Lão's log; a treasurer sees no log at all.
    created = world.client.post(
        "/api/v1/users",
        headers=world.login("admin"),
        json={"name": "kiem-toan-tien-lang", "role": "auditor", "password": PASSWORD, "branch": OUT},
    )
    assert created.status_code == 201, created.text
    elsewhere = world.client.get(
        "/api/v1/audit-log", params={"subject": f"child:{child}"}, headers=world.login("kiem-toan-tien-lang")
    )
    assert elsewhere.status_code == 200 and elsewhere.json() == []
    assert world.client.get("/api/v1/audit-log", headers=world.login("thu-quy-an-lao")).status_code == 403


def test_consent_withdrawal_anonymises_the_child_and_keeps_the_money(world: World) -> None:
    child = world.codes.child[OUT]
    admin = world.login("admin")
    fund = f"liabilities:fund:child:{child}"
    before = world.client.get(f"/api/v1/accounts/{fund}/history", headers=admin).json()
    withdrawn = world.client.post(
        f"/api/v1/children/{child}/consent-withdrawal", json={"reason": "người giám hộ rút đồng ý"}, headers=admin
    )
    assert withdrawn.status_code == 200, withdrawn.text
    record = withdrawn.json()
    assert record["full_name"] == record["guardian_name"] == "(ẩn danh)"
    assert record["guardian_phone"] == record["guardian_id_number"] == record["guardian_bank"] == ""
    assert record["consent_withdrawn_on"] is not None
    assert world.client.get(f"/api/v1/accounts/{fund}/history", headers=admin).json() == before
    assert world.client.get("/api/v1/verify", headers=admin).json()["ok"] is True
    again = world.client.post(f"/api/v1/children/{child}/consent-withdrawal", json={}, headers=admin)
    assert again.status_code == 409


def test_a_database_that_is_down_gives_503_and_a_problem(world: World) -> None:
    down = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_pre_ping=False)
    client = TestClient(create_app(down), raise_server_exceptions=False)
    response = client.get("/api/v1/branches", headers={**world.login("admin"), "Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "nothing was written" in response.json()["detail"]


def test_a_runs_decisions_explain_themselves_in_the_readers_language(world: World) -> None:
    """A run keeps each reason as a rule with its parameters; the API writes the sentences when read."""
    admin = world.login("admin")
    vi = world.client.get("/api/v1/runs/1/decisions", headers=admin)
    en = world.client.get("/api/v1/runs/1/decisions", headers={**admin, "Accept-Language": "en"})
    assert vi.status_code == en.status_code == 200, vi.text
    assert len(vi.json()) == len(en.json()) > 0
    for said_vi, said_en in zip(vi.json(), en.json(), strict=True):
        assert said_vi["child"] == said_en["child"] and said_vi["reasons"]
        for reason_vi, reason_en in zip(said_vi["reasons"], said_en["reasons"], strict=True):
            assert reason_vi["rule"] == reason_en["rule"] and reason_vi["params"] == reason_en["params"]
            assert reason_vi["text"] == reason_vi["vi"] and reason_en["text"] == reason_en["en"]
            assert reason_vi["vi"] and reason_en["en"] and reason_vi["vi"] != reason_en["en"]
    rules = {r["rule"]: r for d in vi.json() for r in d["reasons"]}
    assert rules["age.under_limit"]["vi"].startswith("tuổi ngày ")
    assert rules["money.paid"]["vi"].startswith("chi đủ ") and "₫" in rules["money.paid"]["vi"]
