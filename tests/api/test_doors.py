"""The same rights at every door: the API, the web forms, spreadsheet imports and the CLI.

Each attack of the review is tried through every door that offers it, by a treasurer of An Lão
(IN) against Tiên Lãng (OUT), and the whole database is compared before and after: a refused
act writes nothing, not even half. The same acts inside the treasurer's own branch succeed and
leave one audit event that names the door.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from ledger.access.models import AuditEvent
from ledger.models import Branch
from ledger.reconciliation.models import MatchEntry
from ledger.register.models import BankAccount, Sponsor
from tests.api.conftest import IN, OUT, PASSWORD, World

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round

GODMOTHER = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "godmother"
TREASURER = "thu-quy-an-lao"
GROUP_TREASURER = "thu-quy-xa-an-lao"  # An Lão's commune only, not its village groups
TABLES = (
    "branch", "sponsor", "child", "pledge", "payment", "allocation", "ledger_transaction", "posting",
    "handover", "bank_account", "bank_match", "audit_event", "app_user",
)  # fmt: skip


def snapshot(world: World) -> dict[str, Any]:
    """Everything an attack could change: row counts, every balance, sponsors' and branches' fields."""
    with Session(world.database.engine) as session:
        counts = {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}  # noqa: S608
        balances = session.execute(text("SELECT id, balance FROM account ORDER BY id")).all()
        sponsors = session.execute(select(Sponsor.code, Sponsor.branch_id, Sponsor.email, Sponsor.name)).all()
        branches = session.execute(select(Branch.code, Branch.name, Branch.parent_id)).all()
    return {"counts": counts, "balances": balances, "sponsors": sorted(sponsors), "branches": sorted(branches)}


def unchanged(world: World, attempt: Callable[[], Any]) -> Any:
    before = snapshot(world)
    outcome = attempt()
    assert snapshot(world) == before
    return outcome


def bank_of(world: World, side: str) -> str:
    return world.codes.bank[side]


def csv_file(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.write_text(content, encoding="utf-8")
    return path


# --- the doors ----------------------------------------------------------------------------


def web_sign_in(world: World, name: str) -> str:
    """Sign in through the form; returns the form token of the treasurer's page."""
    web_sign_in_only(world, name)
    page = world.client.get("/treasurer")
    return re.search(r'name="csrf" value="([^"]+)"', page.text)[1]  # type: ignore[index]


def api_import(world: World, user: str, kind: str, path: Path) -> int:
    with path.open("rb") as handle:
        answer = world.client.post(
            f"/api/v1/imports/{kind}", headers=world.login(user), files={"file": (path.name, handle, "text/csv")}
        )
    return answer.status_code


def web_import(world: World, user: str, kind: str, path: Path) -> int:
    csrf = web_sign_in(world, user)
    with path.open("rb") as handle:
        answer = world.client.post(
            "/treasurer/import",
            data={"kind": kind, "csrf": csrf},
            files={"file": (path.name, handle, "text/csv")},
            follow_redirects=False,
        )
    world.client.cookies.clear()
    return answer.status_code


def cli(world: World, *args: str, user: str | None = TREASURER) -> subprocess.CompletedProcess[str]:
    acting = ["--as", user] if user else []
    return subprocess.run(
        [str(GODMOTHER), *acting, *args], capture_output=True, text=True, env=world.database.env(), timeout=600
    )


def cli_import(world: World, user: str, kind: str, path: Path) -> int:
    return cli(world, "import", kind, str(path), user=user).returncode


IMPORT_DOORS = {"api": api_import, "web": web_import, "cli": cli_import}


# --- imports ------------------------------------------------------------------------------


def attacks(world: World) -> dict[str, tuple[str, str]]:
    """Import files that each reach into Tiên Lãng, by the kind they are."""
    codes = world.codes
    with Session(world.database.engine) as session:
        out_sponsor = session.scalar(select(Sponsor).where(Sponsor.code == codes.sponsor[OUT]))
        assert out_sponsor is not None
    return {
        "sponsor moved in and its e-mail overwritten": (
            "sponsors",
            f"code,name,kind,email,branch\n{out_sponsor.code},{out_sponsor.name},individual,ke-gian@example.com,{IN}\n",
        ),
        "another commune renamed": ("branches", f"code,name,parent,level\n{OUT},Đã đổi tên,hp,commune\n"),
        "the province renamed": ("branches", "code,name,level\nhp,Tỉnh đổi tên,province\n"),
        "a branch created under another commune": (
            "branches",
            f"code,name,parent,level\n{OUT}-moi,Chi hội mới,{OUT},group\n",
        ),
        "another commune's pledge paid": (
            "payments",
            f"date,sponsor,pledge,amount,method,reference\n2030-01-05,{codes.sponsor[IN]},{codes.pledge[OUT]},"
            "500000,cash,X\n",
        ),
        "money into another commune's bank account": (
            "payments",
            f"date,sponsor,amount,method,bank_account,reference\n2030-01-05,{codes.sponsor[IN]},500000,bank,"
            f"{bank_of(world, OUT)},X\n",
        ),
    }


@pytest.mark.parametrize("door", sorted(IMPORT_DOORS))
@pytest.mark.parametrize("user", [TREASURER, GROUP_TREASURER])
def test_an_import_naming_another_communes_things_is_refused_and_writes_nothing(world, tmp_path, door, user):
    for name, (kind, content) in attacks(world).items():
        path = csv_file(tmp_path, f"{kind}.csv", content)
        status = unchanged(world, lambda k=kind, p=path: IMPORT_DOORS[door](world, user, k, p))
        assert status in (422, 1), (name, door, status)


def test_the_refusal_names_the_row_and_the_column(world, tmp_path):
    kind, content = attacks(world)["another commune's pledge paid"]
    path = csv_file(tmp_path, "payments.csv", content)
    with path.open("rb") as handle:
        answer = world.client.post(
            "/api/v1/imports/payments",
            headers={**world.login(TREASURER), "Accept-Language": "en"},
            files={"file": (path.name, handle, "text/csv")},
        )
    assert answer.status_code == 422
    fields = {(e["field"], e["message"]) for e in answer.json()["errors"]}
    assert ("row 2, pledge", f"{world.codes.pledge[OUT]!r} is outside the branches you may change") in fields
    refused = cli(world, "import", "payments", str(path))
    assert refused.returncode == 1 and "dòng 2, cột pledge" in refused.stderr and "Traceback" not in refused.stderr


def test_a_village_group_treasurer_cannot_touch_the_communes_own_sponsor(world, tmp_path):
    """A treasurer limited to the commune itself still reaches only what the commune holds."""
    with Session(world.database.engine) as session:
        sponsor = session.scalar(
            select(Sponsor).join(Branch, Branch.id == Sponsor.branch_id).where(Branch.code.like(f"{IN}-%"))
        )
    if sponsor is None:
        pytest.skip("the demo put no sponsor in a village group")
    path = csv_file(
        tmp_path, "sponsors.csv", f"code,name,kind,email,branch\n{sponsor.code},{sponsor.name},individual,x@y.vn,{IN}\n"
    )
    assert unchanged(world, lambda: api_import(world, GROUP_TREASURER, "sponsors", path)) == 422


# --- web forms ------------------------------------------------------------------------------


def test_web_forms_refuse_another_communes_bank_account(world):
    out_bank = bank_of(world, OUT)
    csrf = web_sign_in(world, TREASURER)
    payment = unchanged(
        world,
        lambda: world.client.post(
            "/treasurer/payments",
            data={"sponsor": world.codes.sponsor[IN], "amount": "100.000", "paid_on": "2030-01-05", "method": "bank",
                  "bank_account": out_bank, "csrf": csrf, "form_nonce": "n" * 16},
        ),
    )  # fmt: skip
    assert payment.status_code == 404
    to_all = unchanged(
        world,
        lambda: world.client.post(
            "/treasurer/handovers", data={"month": "2030-01", "method": "bank", "bank_account": out_bank, "csrf": csrf}
        ),
    )
    assert to_all.status_code == 404
    one = unchanged(
        world,
        lambda: world.client.post(
            "/treasurer/handover",
            data={"child": world.codes.child[IN], "received_by": "Bà", "month": "2030-01", "method": "bank",
                  "bank_account": out_bank, "csrf": csrf},
        ),
    )  # fmt: skip
    assert one.status_code == 404
    world.client.cookies.clear()


def test_suspense_cannot_be_cleared_into_a_sponsor_or_pledge_out_of_sight(world):
    waiting = world.codes.suspense[IN]
    for body in (
        {"sponsor": world.codes.sponsor[OUT], "reason": "gọi điện"},
        {"sponsor": world.codes.sponsor[IN], "pledge": world.codes.pledge[OUT], "reason": "gọi điện"},
    ):
        answer = unchanged(
            world,
            lambda b=body: world.client.post(
                f"/api/v1/suspense/{waiting}/clearing", headers=world.login(TREASURER), json=b
            ),
        )
        assert answer.status_code == 404, answer.text
    refused = unchanged(
        world, lambda: cli(world, "bank", "clear", str(waiting), "--reason", "x", "--sponsor", world.codes.sponsor[OUT])
    )
    assert refused.returncode == 1 and "is not in the register" in refused.stderr


# --- the CLI as a named user --------------------------------------------------------------


def test_the_cli_as_a_treasurer_has_the_treasurers_rights(world):
    out = world.codes
    for args in (
        ("payment", "record", "--sponsor", out.sponsor[OUT], "--amount", "100.000", "--method", "cash",
         "--date", "2030-01-05"),
        ("handover", "--month", "2030-01", "--branch", OUT),
        ("period", "close", OUT, "2029-12"),
        ("pledge", "pause", out.pledge[OUT], "--from", "2031-01", "--to", "2031-02", "--reason", "x"),
        ("bank", "match", "--account", bank_of(world, OUT)),
        ("run-month", "2030-01", "--branch", OUT),
    ):  # fmt: skip
        refused = unchanged(world, lambda a=args: cli(world, *a))
        assert refused.returncode == 1, (args, refused.stdout, refused.stderr)
        assert "Traceback" not in refused.stderr and refused.stderr.count("\n") == 1, refused.stderr
    auditor = unchanged(
        world,
        lambda: cli(world, "payment", "record", "--sponsor", out.sponsor[IN], "--amount", "100.000", "--method",
                    "cash", "--date", "2030-01-05", user="kiem-toan-an-lao"),
    )  # fmt: skip
    assert auditor.returncode == 1 and "may read but not change" in auditor.stderr
    nobody = cli(world, "payment", "record", "--sponsor", out.sponsor[IN], "--amount", "1", "--method", "cash",
                 "--date", "2030-01-05", user="khong-co-ai")  # fmt: skip
    assert nobody.returncode == 1 and "no enabled user 'khong-co-ai'" in nobody.stderr


def test_each_door_leaves_one_audit_event_that_names_it(world):
    def events() -> list[tuple[str, str, str]]:
        with Session(world.database.engine) as session:
            return [
                (e.actor, e.action, e.door)
                for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "payment.record"))
            ]

    before = events()
    done = cli(world, "payment", "record", "--sponsor", world.codes.sponsor[IN], "--amount", "100.000",
               "--method", "cash", "--date", "2030-01-05")  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = world.client.post(
        "/api/v1/payments",
        headers={**world.login(TREASURER), "Idempotency-Key": "cua-api-1"},
        json={"sponsor": world.codes.sponsor[IN], "amount": 100_000, "paid_on": "2030-01-06", "method": "cash"},
    )
    assert answer.status_code == 201, answer.text
    csrf = web_sign_in(world, TREASURER)
    form = {"sponsor": world.codes.sponsor[IN], "amount": "100.000", "paid_on": "2030-01-07", "method": "cash",
            "csrf": csrf, "form_nonce": "mot-lan-thoi-1", "confirmed": "yes"}  # fmt: skip
    assert world.client.post("/treasurer/payments", data=form, follow_redirects=False).status_code == 303
    world.client.cookies.clear()
    assert events()[len(before) :] == [
        (TREASURER, "payment.record", "cli"),
        (TREASURER, "payment.record", "api"),
        (TREASURER, "payment.record", "web"),
    ]


def test_two_real_receipts_alike_are_two_payments_and_a_double_click_is_one(world):
    with Session(world.database.engine) as session:
        count = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "payment.record")
        )
    csrf = web_sign_in(world, TREASURER)
    same = {"sponsor": world.codes.sponsor[IN], "amount": "50.000", "paid_on": "2030-01-08", "method": "cash",
            "csrf": csrf, "confirmed": "yes"}  # fmt: skip
    for nonce in ("bien-lai-so-1", "bien-lai-so-1", "bien-lai-so-2"):  # a double click, then a second receipt
        assert world.client.post("/treasurer/payments", data={**same, "form_nonce": nonce}).status_code == 200
    world.client.cookies.clear()
    with Session(world.database.engine) as session:
        after = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "payment.record")
        )
    assert after == count + 2


def test_bank_accounts_of_the_scope_are_the_only_ones_the_payment_form_offers(world):
    csrf = web_sign_in(world, TREASURER)
    page = world.client.get("/treasurer").text
    world.client.cookies.clear()
    assert csrf and bank_of(world, IN) in page and bank_of(world, OUT) not in page
    with Session(world.database.engine) as session:
        assert session.scalar(select(BankAccount.id).where(BankAccount.code == bank_of(world, OUT))) is not None


def test_the_audit_log_reads_the_same_from_the_cli_with_the_readers_rights(world):
    done = cli(world, "payment", "record", "--sponsor", world.codes.sponsor[IN], "--amount", "70.000",
               "--method", "cash", "--date", "2030-01-09")  # fmt: skip
    assert done.returncode == 0, done.stderr
    read = cli(world, "audit-log", "--action", "payment.record", "--branch", IN, "--json", "--limit", "1", user=None)
    assert read.returncode == 0, read.stderr
    (latest,) = json.loads(read.stdout)
    assert (latest["actor"], latest["door"], latest["detail"]["amount"]) == (TREASURER, "cli", 70_000)
    auditor = cli(world, "audit-log", "--json", user="kiem-toan-an-lao")
    assert auditor.returncode == 0 and all(e["action"] for e in json.loads(auditor.stdout))
    refused = cli(world, "audit-log")
    assert refused.returncode == 1 and "only an administrator" in refused.stderr


def web_forms(world: World, side: str) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every form of the web application that changes something, aimed at ``side``'s things."""
    codes, bank = world.codes, bank_of(world, side)
    sheet = f"code,name,kind,branch\nMDD-WEB-{side},Người thử,individual,{side}\n".encode()
    statement = b"Ngay giao dich,So tien ghi co,Mo ta\n05/01/2030,1000,X\n"
    return {
        "payment": ("/treasurer/payments", {"sponsor": codes.sponsor[side], "amount": "100.000",
                    "paid_on": "2030-01-05", "method": "bank", "bank_account": bank, "form_nonce": f"n-{side}-1"}, {}),
        "import": ("/treasurer/import", {"kind": "sponsors"}, {"file": ("s.csv", sheet, "text/csv")}),
        "run": ("/treasurer/run", {"month": "2026-10"}, {}),
        "handovers": ("/treasurer/handovers", {"month": "2026-10", "method": "bank", "bank_account": bank}, {}),
        "handover": ("/treasurer/handover", {"child": codes.child[side], "received_by": "Bà", "month": "2026-10"}, {}),
        "bank statement": ("/treasurer/bank/statement", {"account": bank, "month": "2030-01"},
                           {"file": ("s.csv", statement, "text/csv")}),
        "bank line": (f"/treasurer/bank/lines/{codes.bank_line[side]}", {"action": "book", "month": "2030-01",
                      "account": "expenses:bank-fees", "reason": "phí"}, {}),
        "close": ("/treasurer/close", {"month": "2026-09"}, {}),
        "add user": ("/admin/users", {"name": f"moi-{side}", "role": "auditor", "password": "mot cau rat dai day",
                     "branch": side}, {}),
        "disable user": ("/admin/users/du-phong/disable", {}, {}),
        "setting": ("/admin/settings", {"branch": side, "name": "four-eyes", "value": "on"}, {}),
    }  # fmt: skip


def web_post(world: World, user: str, path: str, data: dict[str, Any], files: dict[str, Any]) -> int:
    """The form sent as from the page that asks first, then as confirmed there: the same answer both times."""
    from api.web.session import csrf_for

    web_sign_in_only(world, user)
    token = world.client.cookies.get("godmother_session")
    answers = {
        world.client.post(
            path, data={**data, "csrf": csrf_for(token), **confirmed}, files=files or None, follow_redirects=False
        ).status_code  # fmt: skip
        for confirmed in ({}, {"confirmed": "yes"})
    }
    world.client.cookies.clear()
    assert len(answers) == 1, (path, answers)
    return answers.pop()


def web_sign_in_only(world: World, name: str) -> None:
    world.client.cookies.clear()
    form = world.client.get("/sign-in")
    pre = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]  # type: ignore[index]
    signed = world.client.post("/sign-in", data={"name": name, "password": PASSWORD, "csrf": pre},
                               follow_redirects=False)  # fmt: skip
    assert signed.status_code == 303, signed.text


@pytest.mark.parametrize(
    ("user", "side"), [("kiem-toan-an-lao", IN), ("nha-tai-tro", IN), (TREASURER, OUT), (GROUP_TREASURER, OUT)]
)
def test_every_web_form_refuses_who_may_not_and_writes_nothing(world, user, side):
    """Readers and sponsors change nothing anywhere; a treasurer nothing of another commune."""
    for name, (path, data, files) in web_forms(world, side).items():
        if user in (TREASURER, GROUP_TREASURER) and name in ("run", "close"):
            continue  # these act on the treasurer's own branch, whatever the form says: tried below
        status = unchanged(world, lambda p=path, d=data, f=files: web_post(world, user, p, d, f))
        assert status in (400, 403, 404, 422), (user, name, status)


CLI_ACTS = {
    "payment": ("payment", "record", "--sponsor", "{sponsor}", "--amount", "100.000", "--method", "cash",
                "--date", "2030-01-05"),
    "handover": ("handover", "--month", "2026-10", "--branch", "{branch}"),
    "close": ("period", "close", "{branch}", "2026-09"),
    "reopen": ("period", "reopen", "{branch}", "2020-01", "--reason", "x"),
    "pause": ("pledge", "pause", "{pledge}", "--from", "2031-01", "--to", "2031-02", "--reason", "x"),
    "bank match": ("bank", "match", "--account", "{bank}"),
    "bank book": ("bank", "book", "{line}", "--to", "expenses:bank-fees", "--description", "phí"),
    "run": ("run-month", "2026-10", "--branch", "{branch}"),
    "setting": ("branch", "set", "{branch}", "four-eyes", "on"),
    "consent": ("user", "disable", "du-phong"),
    "reverse": ("reverse", "{transaction}", "--by", "x", "--reason", "x"),
}  # fmt: skip


@pytest.mark.parametrize(("user", "side"), [("kiem-toan-an-lao", IN), (TREASURER, OUT)])
def test_every_cli_act_refuses_who_may_not_and_writes_nothing(world, user, side):
    codes = world.codes
    values = {"sponsor": codes.sponsor[side], "branch": side, "pledge": codes.pledge[side], "bank": bank_of(world, side),
              "line": str(codes.bank_line[side]), "transaction": str(codes.payment_transaction[side])}  # fmt: skip
    for name, template in CLI_ACTS.items():
        args = [part.format(**values) for part in template]
        refused = unchanged(world, lambda a=args: cli(world, *a, user=user))
        assert refused.returncode == 1, (user, name, refused.stdout, refused.stderr)
        assert "Traceback" not in refused.stderr and refused.stderr.count("\n") == 1, (name, refused.stderr)


def test_every_api_act_that_changes_something_leaves_exactly_one_event_of_its_kind(world, tmp_path):
    """Walked as an administrator through the API: each act succeeds and its audit event says
    who, what and "api", written with the change (the domain writes it, not the route)."""
    codes, admin_headers = world.codes, world.login("admin")
    fee = {"effective_date": "2030-01-03", "description": "phí", "postings": [
        {"branch": IN, "account": "expenses:bank-fees", "amount": 1_000},
        {"branch": IN, "account": f"assets:bank:{bank_of(world, IN)}", "amount": -1_000}]}  # fmt: skip
    sheet = csv_file(tmp_path, "sponsors.csv", f"code,name,kind,branch\nMDD-DI-BO,Người đi bộ,individual,{IN}\n")
    bank = bank_of(world, IN)
    statement = (
        "SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT\n"
        "Ngày giao dịch,Số tham chiếu,Số tiền ghi nợ,Số tiền ghi có,Số dư,Mô tả\n"
        "05/01/2030,F9,2.200,,,PHI SMS THANG 12\n"
    ).encode()
    with Session(world.database.engine) as session:
        from ledger.schedule.models import Notice

        notice = session.scalar(select(Notice.id).where(Notice.branch_id == Branch.id, Branch.code == IN).limit(1))
        booked = session.scalar(select(MatchEntry.transaction_id).where(MatchEntry.match_id == codes.match[IN]))

    def new_fee() -> int:
        lines = world.client.get(f"/api/v1/bank-accounts/{bank}/lines?open=true", headers=admin_headers).json()
        return next(line["id"] for line in lines if line["amount"] == -2_200)

    acts: list[tuple[str, Callable[[], Any]]] = [
        ("transaction.create", lambda: world.client.post("/api/v1/transactions", headers=admin_headers, json=fee)),
        ("branch.setting", lambda: world.client.put(f"/api/v1/branches/{IN}/settings/four-eyes",
                                                    headers=admin_headers, json={"value": "off"})),
        ("user.add", lambda: world.client.post("/api/v1/users", headers=admin_headers, json={
            "name": "di-bo", "role": "auditor", "password": "mot buoi sang di bo", "branch": IN})),
        ("user.password-reset", lambda: world.client.post("/api/v1/users/di-bo/password", headers=admin_headers,
                                                          json={"password": "mot buoi chieu di bo"})),
        ("user.disable", lambda: world.client.post("/api/v1/users/di-bo/disable", headers=admin_headers)),
        ("pledge.change", lambda: world.client.post(f"/api/v1/pledges/{codes.pledge[IN]}/changes", headers=admin_headers,
                                                    json={"kind": "pause", "from_month": "2031-01",
                                                          "until_month": "2031-02", "reason": "đi xa"})),
        ("notice.dismiss", lambda: world.client.post(f"/api/v1/notices/{notice}/dismissal", headers=admin_headers)),
        ("bank.unmatch", lambda: world.client.post(f"/api/v1/bank-matches/{codes.match[IN]}/undo",
                                                   headers=admin_headers, json={"reason": "nhầm"})),
        ("bank.suspense-cleared", lambda: world.client.post(f"/api/v1/suspense/{codes.suspense[IN]}/clearing",
                                                            headers=admin_headers,
                                                            json={"reason": "ủng hộ chung",
                                                                  "account": "income:donations:general"})),
        ("import", lambda: world.client.post("/api/v1/imports/sponsors", headers=admin_headers,
                                             files={"file": ("s.csv", sheet.read_bytes(), "text/csv")})),
        ("consent.withdraw", lambda: world.client.post(f"/api/v1/children/{codes.child[IN]}/consent-withdrawal",
                                                       headers=admin_headers, json={"reason": "gia đình rút"})),
        ("bank.match", lambda: world.client.post(f"/api/v1/bank-accounts/{bank}/matches", headers=admin_headers,
                                                 json={"lines": [{"id": codes.bank_line[IN]}],
                                                       "entries": [{"id": booked}], "reason": "đúng khoản phí"})),
        ("bank.import", lambda: world.client.post(f"/api/v1/bank-accounts/{bank}/statements", headers=admin_headers,
                                                  files={"file": ("s.csv", statement, "text/csv")})),
        ("bank.auto-match", lambda: world.client.post(f"/api/v1/bank-accounts/{bank}/auto-match",
                                                      headers=admin_headers)),
        ("bank.book", lambda: world.client.post(f"/api/v1/bank-lines/{new_fee()}/booking", headers=admin_headers,
                                                json={"account": "expenses:bank-fees", "description": "phí SMS"})),
        ("period.close", lambda: world.client.post(f"/api/v1/branches/{IN}/periods/2026-10/close",
                                                   headers=admin_headers)),
        ("period.reopen", lambda: world.client.post(f"/api/v1/branches/{IN}/periods/2026-10/reopen",
                                                    headers=admin_headers, json={"reason": "sao kê thiếu"})),
        ("statement.issue", lambda: world.client.get(f"/api/v1/statements/sponsor/{codes.sponsor[IN]}?month=2026-10",
                                                     headers=admin_headers)),
    ]  # fmt: skip
    for action, act in acts:
        with Session(world.database.engine) as session:
            last = session.scalar(select(func.max(AuditEvent.id))) or 0
        answer = act()
        assert answer.status_code in (200, 201, 204), (action, answer.text)
        with Session(world.database.engine) as session:
            new = session.execute(
                select(AuditEvent.action, AuditEvent.actor, AuditEvent.door).where(AuditEvent.id > last)
            ).all()
        assert [(a, who, door) for a, who, door in new if a == action] == [(action, "admin", "api")], (action, new)
    created = world.client.post("/api/v1/transactions", headers=admin_headers, json=fee).json()["id"]
    with Session(world.database.engine) as session:
        last = session.scalar(select(func.max(AuditEvent.id))) or 0
    reversed_ = world.client.post(f"/api/v1/transactions/{created}/reversal", headers=admin_headers,
                                  json={"reason": "ghi hai lần"})  # fmt: skip
    assert reversed_.status_code == 201, reversed_.text
    with Session(world.database.engine) as session:
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.id > last)).all() == ["transaction.reverse"]


def test_every_cli_act_that_changes_something_leaves_an_event_that_names_the_cli(world):
    """The same acts through the command line: each leaves its event, with the person and "cli"."""
    codes = world.codes
    with Session(world.database.engine) as session:
        booked = session.scalar(select(MatchEntry.transaction_id).where(MatchEntry.match_id == codes.match[OUT]))
    acts = [
        ("pledge.change", ("pledge", "pause", codes.pledge[OUT], "--from", "2032-01", "--to", "2032-02",
                           "--reason", "đi xa")),
        ("branch.setting", ("branch", "set", OUT, "four-eyes", "off")),
        # The fee was booked to the wrong account: the booking reversed (its match undone), the line booked again.
        ("transaction.reverse", ("reverse", str(booked), "--by", "ke-toan", "--reason", "sai tài khoản")),
        ("bank.book", ("bank", "book", str(codes.bank_line[OUT]), "--to", "expenses:bank-fees",
                       "--description", "phí SMS tháng 1")),
        ("transaction.reverse", ("reverse", str(codes.payment_transaction[OUT]), "--by", "ke-toan",
                                 "--reason", "chuyển khoản bị trả về")),
        ("period.close", ("period", "close", OUT, "2026-10")),
    ]  # fmt: skip
    for action, args in acts:
        with Session(world.database.engine) as session:
            last = session.scalar(select(func.max(AuditEvent.id))) or 0
        done = cli(world, *args, user=None)
        assert done.returncode == 0, (action, done.stderr)
        with Session(world.database.engine) as session:
            new = session.execute(
                select(AuditEvent.action, AuditEvent.door).where(AuditEvent.id > last, AuditEvent.action == action)
            ).all()
        assert new == [(action, "cli")], (action, new)
