"""Reconciliation over HTTP: a treasurer uploads a statement, matches, reads the report; others are kept out."""

from __future__ import annotations

from tests.api.conftest import IN, OUT, World

STATEMENT = (
    "SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT\n"
    "Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Mô tả\n"
    ',,,,"1,000",Số dư đầu kỳ\n'
    '05/02/2030,G1,,"2,000","3,000",KHONG RO\n'
    ',,,,"3,000",Số dư cuối kỳ\n'
)


def test_upload_match_and_report(world: World) -> None:
    headers = world.login("thu-quy-an-lao")
    bank = world.codes.bank[IN]
    up = world.client.post(
        f"/api/v1/bank-accounts/{bank}/statements",
        files={"file": ("sao-ke.csv", STATEMENT.encode(), "text/csv")},
        headers=headers,
    )
    assert up.status_code == 201, up.text
    assert (up.json()["lines"], up.json()["new_lines"], up.json()["closing"]) == (1, 1, 3_000)
    again = world.client.post(
        f"/api/v1/bank-accounts/{bank}/statements",
        files={"file": ("s.csv", STATEMENT.encode(), "text/csv")},
        headers=headers,
    )
    assert again.json()["new_lines"] == 0

    matched = world.client.post(f"/api/v1/bank-accounts/{bank}/auto-match", headers=headers)
    assert matched.status_code == 200 and matched.json()["to_suspense"] == 1
    assert any(i["amount"] == 2_000 for i in world.client.get("/api/v1/suspense", headers=headers).json())

    report = world.client.get(f"/api/v1/bank-accounts/{bank}/reconciliation?month=2030-02", headers=headers)
    assert report.status_code == 200
    body = report.json()
    assert body["difference"] == body["explained"] + body["unexplained"]
    assert {"status", "bank_balance", "ledger_balance", "unmatched_lines", "unmatched_entries"} <= set(body)

    bad = world.client.post(
        f"/api/v1/bank-accounts/{bank}/statements",
        files={"file": ("s.csv", STATEMENT.replace('"3,000",Số dư cuối', '"9,000",Số dư cuối').encode(), "text/csv")},
        headers={**headers, "Accept-Language": "en"},
    )
    assert bad.status_code == 422 and "closing balance" in bad.json()["detail"]


def test_an_auditor_reads_but_does_not_match(world: World) -> None:
    headers = world.login("kiem-toan-an-lao")
    bank = world.codes.bank[IN]
    assert world.client.get(f"/api/v1/bank-accounts/{bank}/lines", headers=headers).status_code == 200
    assert world.client.post(f"/api/v1/bank-accounts/{bank}/auto-match", headers=headers).status_code == 403
    assert world.client.get(f"/api/v1/bank-accounts/{world.codes.bank[OUT]}/lines", headers=headers).status_code == 404
