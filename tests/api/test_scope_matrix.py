"""Every role against every endpoint, inside and outside its branch.

The table below must name every route of the application (a new endpoint without a row
fails ``test_every_endpoint_is_in_the_matrix``). Each row says who may use the endpoint:

- staff: administrators; treasurers and auditors inside their branches;
- write: administrators; treasurers inside their branches (auditors read only);
- sponsor: like staff, and the sponsor whose pledge, payment or child it is;
- audit: administrators and auditors (no branch in the path);
- admin: administrators only;
- staff-global / writer-global: no branch in the path: staff / writers.

"Allowed" means the request got past authorization: any answer but 401, 403 or 404 (a
refusal by the ledger's own rules, such as a closed month, still counts as allowed). Outside
the scope the answer must be 404, the same as for something that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import IN, OUT, Codes, World

ROLES = ("admin", "thu-quy-an-lao", "kiem-toan-an-lao", "nha-tai-tro")
ROLE = {"admin": "admin", "thu-quy-an-lao": "treasurer", "kiem-toan-an-lao": "auditor", "nha-tai-tro": "sponsor"}
CSV = "code,name,kind,phone,email,language,branch\n"


@dataclass(frozen=True)
class Row:
    access: str
    request: Callable[[Codes, str], dict[str, Any]]  # (codes, side) -> url and request arguments
    sided: bool = True


def fund(codes: Codes, side: str) -> str:
    return f"liabilities:fund:child:{codes.child[side]}"


M = "2026-10"
TABLE: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/auth/me"): Row("self", lambda c, s: {"url": "/api/v1/auth/me"}, sided=False),
    ("GET", "/api/v1/users"): Row("admin", lambda c, s: {"url": "/api/v1/users"}, sided=False),
    ("POST", "/api/v1/users"): Row(
        "admin",
        lambda c, s: {
            "url": "/api/v1/users",
            "json": {"name": "moi", "role": "admin", "password": "ba con meo tren mai nha"},
        },
        sided=False,
    ),
    ("POST", "/api/v1/users/{name}/password"): Row(
        "admin",
        lambda c, s: {"url": "/api/v1/users/du-phong/password", "json": {"password": "mot mat khau moi hoan toan"}},
        sided=False,
    ),
    ("POST", "/api/v1/users/{name}/disable"): Row(
        "admin", lambda c, s: {"url": "/api/v1/users/moi/disable"}, sided=False
    ),
    ("GET", "/api/v1/accounts/{code}/balance"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/accounts/{fund(c, s)}/balance"}
    ),
    ("GET", "/api/v1/accounts/{code}/history"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/accounts/{fund(c, s)}/history"}
    ),
    ("GET", "/api/v1/branches/{code}/accounts"): Row("staff", lambda c, s: {"url": f"/api/v1/branches/{s}/accounts"}),
    ("GET", "/api/v1/trial-balance"): Row("staff", lambda c, s: {"url": f"/api/v1/trial-balance?branch={s}"}),
    ("POST", "/api/v1/transactions"): Row(
        "write",
        lambda c, s: {
            "url": "/api/v1/transactions",
            "json": {
                "effective_date": "2026-11-02",
                "description": "không cân",
                "postings": [
                    {"branch": s, "account": "expenses:bank-fees", "amount": 5},
                    {"branch": s, "account": "assets:cash", "amount": -4},
                ],
            },
        },
    ),
    ("GET", "/api/v1/transactions"): Row("staff", lambda c, s: {"url": f"/api/v1/transactions?branch={s}&limit=2"}),
    ("GET", "/api/v1/transactions/{transaction_id}"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/transactions/{c.payment_transaction[s]}"}
    ),
    ("POST", "/api/v1/transactions/{transaction_id}/reversal"): Row(
        "write",
        lambda c, s: {
            "url": f"/api/v1/transactions/{c.payment_transaction[s]}/reversal",
            "json": {"reason": "thử", "effective_date": "2000-01-01"},
        },
    ),
    ("GET", "/api/v1/verify"): Row("audit", lambda c, s: {"url": "/api/v1/verify"}, sided=False),
    ("GET", "/api/v1/branches/{code}/periods"): Row("staff", lambda c, s: {"url": f"/api/v1/branches/{s}/periods"}),
    ("POST", "/api/v1/branches/{code}/periods/{month}/close"): Row(
        "write", lambda c, s: {"url": f"/api/v1/branches/{s}/periods/2000-01/close"}
    ),
    ("POST", "/api/v1/branches/{code}/periods/{month}/reopen"): Row(
        "admin", lambda c, s: {"url": f"/api/v1/branches/{s}/periods/2999-01/reopen", "json": {"reason": "thử"}}
    ),
    ("GET", "/api/v1/branches"): Row("staff-global", lambda c, s: {"url": "/api/v1/branches"}, sided=False),
    ("GET", "/api/v1/branches/{code}"): Row("staff", lambda c, s: {"url": f"/api/v1/branches/{s}"}),
    ("PUT", "/api/v1/branches/{code}/settings/{name}"): Row(
        "admin", lambda c, s: {"url": f"/api/v1/branches/{s}/settings/four-eyes", "json": {"value": "off"}}
    ),
    ("GET", "/api/v1/sponsors"): Row("staff-global", lambda c, s: {"url": "/api/v1/sponsors"}, sided=False),
    ("GET", "/api/v1/sponsors/{code}"): Row("sponsor", lambda c, s: {"url": f"/api/v1/sponsors/{c.sponsor[s]}"}),
    ("GET", "/api/v1/sponsors/{code}/pledges"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/sponsors/{c.sponsor[s]}/pledges"}
    ),
    ("GET", "/api/v1/sponsors/{code}/children"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/sponsors/{c.sponsor[s]}/children"}
    ),
    ("GET", "/api/v1/sponsors/{code}/payments"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/sponsors/{c.sponsor[s]}/payments"}
    ),
    ("GET", "/api/v1/sponsors/{code}/arrears"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/sponsors/{c.sponsor[s]}/arrears"}
    ),
    ("GET", "/api/v1/arrears"): Row("staff", lambda c, s: {"url": f"/api/v1/arrears?branch={s}"}),
    ("GET", "/api/v1/children"): Row("staff", lambda c, s: {"url": f"/api/v1/children?branch={c.group[s]}"}),
    ("GET", "/api/v1/children/{code}"): Row("sponsor", lambda c, s: {"url": f"/api/v1/children/{c.child[s]}"}),
    ("GET", "/api/v1/children/{code}/received"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/children/{c.child[s]}/received"}
    ),
    ("GET", "/api/v1/children/{code}/pledges"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/children/{c.child[s]}/pledges"}
    ),
    ("GET", "/api/v1/children/{code}/enrolments"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/children/{c.child[s]}/enrolments"}
    ),
    ("GET", "/api/v1/children/{code}/coverage"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/children/{c.child[s]}/coverage?from=2026-01&to=2026-12"}
    ),
    ("GET", "/api/v1/children/{code}/eligibility"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/children/{c.child[s]}/eligibility?month={M}&program=godmother"}
    ),
    ("POST", "/api/v1/children/{code}/consent-withdrawal"): Row(
        "write", lambda c, s: {"url": f"/api/v1/children/{c.child[s]}/consent-withdrawal", "json": {"reason": "thử"}}
    ),
    ("GET", "/api/v1/pledges/{code}"): Row("sponsor", lambda c, s: {"url": f"/api/v1/pledges/{c.pledge[s]}"}),
    ("GET", "/api/v1/pledges/{code}/schedule"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/pledges/{c.pledge[s]}/schedule"}
    ),
    ("GET", "/api/v1/pledges/{code}/changes"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/pledges/{c.pledge[s]}/changes"}
    ),
    ("POST", "/api/v1/pledges/{code}/changes"): Row(
        "write",
        lambda c, s: {
            "url": f"/api/v1/pledges/{c.pledge[s]}/changes",
            "json": {"kind": "end", "from_month": "2000-01"},
        },
    ),
    ("GET", "/api/v1/payments/{payment_id}"): Row("sponsor", lambda c, s: {"url": f"/api/v1/payments/{c.payment[s]}"}),
    ("POST", "/api/v1/payments"): Row(
        "write",
        lambda c, s: {
            "url": "/api/v1/payments",
            "json": {"sponsor": c.sponsor[s], "amount": 1, "paid_on": "2026-11-02", "method": "cash"},
            "headers": {"Idempotency-Key": f"matrix-{s}"},
        },
    ),
    ("POST", "/api/v1/runs"): Row(
        "staff", lambda c, s: {"url": "/api/v1/runs", "json": {"month": M, "branch": s, "dry_run": True}}
    ),
    ("GET", "/api/v1/runs/jobs/{job_id}"): Row("none", lambda c, s: {"url": "/api/v1/runs/jobs/khong-co"}, sided=False),
    ("GET", "/api/v1/runs"): Row("staff-global", lambda c, s: {"url": "/api/v1/runs"}, sided=False),
    ("GET", "/api/v1/runs/check"): Row("staff", lambda c, s: {"url": f"/api/v1/runs/check?month={M}&branch={s}"}),
    ("GET", "/api/v1/runs/{run_id}"): Row("staff-global", lambda c, s: {"url": "/api/v1/runs/1"}, sided=False),
    ("GET", "/api/v1/runs/{run_id}/decisions"): Row(
        "staff-global", lambda c, s: {"url": "/api/v1/runs/1/decisions"}, sided=False
    ),
    ("POST", "/api/v1/runs/{run_id}/approval"): Row(
        "admin", lambda c, s: {"url": "/api/v1/runs/1/approval"}, sided=False
    ),
    ("POST", "/api/v1/handovers"): Row(
        "write", lambda c, s: {"url": "/api/v1/handovers", "json": {"month": "2026-11", "children": [c.child[s]]}}
    ),
    ("POST", "/api/v1/imports/{kind}"): Row(
        "writer-global",
        lambda c, s: {
            "url": "/api/v1/imports/sponsors",
            "files": {"file": ("sponsors.csv", (CSV + f"MDD900001,Chị Thử,individual,,,vi,{IN}\n").encode())},
        },
        sided=False,
    ),
    ("GET", "/api/v1/exports/beancount"): Row("admin", lambda c, s: {"url": "/api/v1/exports/beancount"}, sided=False),
    ("GET", "/api/v1/exports/{kind}"): Row(
        "staff-global", lambda c, s: {"url": "/api/v1/exports/pledges"}, sided=False
    ),
    ("GET", "/api/v1/audit-log"): Row("audit", lambda c, s: {"url": "/api/v1/audit-log"}, sided=False),
    ("GET", "/api/v1/statements/sponsor/{code}"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/statements/sponsor/{c.sponsor[s]}?month={M}"}
    ),
    ("GET", "/api/v1/statements/guardian/{branch}"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/statements/guardian/{c.group[s]}?month={M}"}
    ),
    ("GET", "/api/v1/statements/treasurer/{branch}"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/statements/treasurer/{c.group[s]}?month={M}"}
    ),
    ("GET", "/api/v1/statements/audit/{branch}"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/statements/audit/{c.group[s]}?from={M}&to={M}"}
    ),
    ("GET", "/api/v1/statements/payment-list/{branch}"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/statements/payment-list/{c.group[s]}?month={M}"}
    ),
    ("GET", "/api/v1/search"): Row("staff-global", lambda c, s: {"url": f"/api/v1/search?q={c.child[s]}"}, sided=False),
    ("GET", "/api/v1/lists/{kind}"): Row("staff", lambda c, s: {"url": f"/api/v1/lists/children?branch={s}"}),
    ("GET", "/api/v1/statements/books/{kind}/{branch}"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/statements/books/general-ledger/{c.group[s]}?from={M}&to={M}"}
    ),
    ("GET", "/api/v1/statements/child-ledger/{code}"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/statements/child-ledger/{c.child[s]}?from={M}&to={M}&format=xlsx"}
    ),
    ("GET", "/api/v1/statements/sponsor-ledger/{code}"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/statements/sponsor-ledger/{c.sponsor[s]}?from={M}&to={M}"}
    ),
    ("GET", "/api/v1/statements/trial-balance/{branch}"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/statements/trial-balance/{c.group[s]}?from={M}&to={M}&format=xlsx"}
    ),
    ("POST", "/api/v1/bank-accounts/{code}/statements"): Row(
        "write",
        lambda c, s: {
            "url": f"/api/v1/bank-accounts/{c.bank[s]}/statements",
            "files": {"file": ("s.csv", b"not,a,statement\n", "text/csv")},
        },
    ),
    ("POST", "/api/v1/bank-accounts/{code}/auto-match"): Row(
        "write", lambda c, s: {"url": f"/api/v1/bank-accounts/{c.bank[s]}/auto-match"}
    ),
    ("GET", "/api/v1/bank-accounts/{code}/lines"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/bank-accounts/{c.bank[s]}/lines?open=true"}
    ),
    ("POST", "/api/v1/bank-accounts/{code}/matches"): Row(
        "write",
        lambda c, s: {
            "url": f"/api/v1/bank-accounts/{c.bank[s]}/matches",
            "json": {"lines": [{"id": c.bank_line[s]}], "entries": [], "reason": "thử"},
        },
    ),
    ("POST", "/api/v1/bank-matches/{match_id}/undo"): Row(
        "write", lambda c, s: {"url": f"/api/v1/bank-matches/{c.match[s]}/undo", "json": {"reason": "thử"}}
    ),
    ("POST", "/api/v1/bank-lines/{line_id}/booking"): Row(
        "write",
        lambda c, s: {
            "url": f"/api/v1/bank-lines/{c.bank_line[s]}/booking",
            "json": {"account": "expenses:bank-fees", "description": "phí"},
        },
    ),
    ("GET", "/api/v1/suspense"): Row("staff-global", lambda c, s: {"url": "/api/v1/suspense"}, sided=False),
    ("POST", "/api/v1/suspense/{transaction_id}/clearing"): Row(
        "write",
        lambda c, s: {
            "url": f"/api/v1/suspense/{c.suspense[s]}/clearing",
            "json": {"reason": "thử", "account": "liabilities:suspense", "amount": 10**12},
        },
    ),
    ("GET", "/api/v1/bank-accounts/{code}/reconciliation"): Row(
        "staff", lambda c, s: {"url": f"/api/v1/bank-accounts/{c.bank[s]}/reconciliation?month=2030-01"}
    ),
    ("GET", "/api/v1/jobs"): Row("staff-global", lambda c, s: {"url": "/api/v1/jobs"}, sided=False),
    ("GET", "/api/v1/jobs/history"): Row("staff-global", lambda c, s: {"url": "/api/v1/jobs/history"}, sided=False),
    ("POST", "/api/v1/jobs/{job}/run"): Row("write", lambda c, s: {"url": f"/api/v1/jobs/arrears-reminders:{s}/run"}),
    ("GET", "/api/v1/notices"): Row("staff-global", lambda c, s: {"url": "/api/v1/notices"}, sided=False),
    ("POST", "/api/v1/notices/{notice_id}/dismissal"): Row(
        "write", lambda c, s: {"url": f"/api/v1/notices/{c.notice[s]}/dismissal"}
    ),
    ("GET", "/api/v1/sponsors/{code}/statements"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/sponsors/{c.sponsor[s]}/statements"}
    ),
    ("GET", "/api/v1/stored-statements/{statement_id}"): Row(
        "sponsor", lambda c, s: {"url": f"/api/v1/stored-statements/{c.stored_statement[s]}"}
    ),
    ("POST", "/api/v1/statements/verify"): Row(
        "self",
        lambda c, s: {"url": "/api/v1/statements/verify", "files": {"file": ("s.pdf", b"%PDF-1.7", "application/pdf")}},
        sided=False,
    ),
}
SKIPPED = {("POST", "/api/v1/auth/token"), ("POST", "/api/v1/auth/logout")}  # tested in test_auth.py


def expected(access: str, role: str, side: str | None) -> str:
    """ "allowed", "forbidden" (403 or 404: the role may not, wherever) or "hidden" (404 only)."""
    role = ROLE[role]
    if access == "none":
        return "hidden"
    if access == "self" or role == "admin":
        return "allowed"
    table = {
        "staff": {"treasurer", "auditor"},
        "write": {"treasurer"},
        "sponsor": {"treasurer", "auditor", "sponsor"},
        "audit": {"auditor"},
        "admin": set(),
        "staff-global": {"treasurer", "auditor"},
        "writer-global": {"treasurer"},
    }
    may = role in table[access]
    if side == OUT:
        # A role that could do it inside its scope must not learn that the thing exists outside.
        return "hidden" if may else "forbidden"
    return "allowed" if may else "forbidden"


def routes(world: World) -> set[tuple[str, str]]:
    """Every operation the application documents."""
    paths = world.client.get("/api/v1/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def test_every_endpoint_is_in_the_matrix(world: World) -> None:
    assert routes(world) - SKIPPED == set(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_against_each_endpoint(world: World, role: str) -> None:
    codes = world.codes
    headers = world.login(role)
    failures = []
    for (method, _path), row in TABLE.items():
        for side in (IN, OUT) if row.sided else (None,):
            request = row.request(codes, side or IN)
            request["headers"] = {**headers, **request.get("headers", {})}
            response = world.client.request(method, **request)
            want = expected(row.access, role, side)
            got = response.status_code
            assert got < 500, f"{method} {request['url']} as {role}: {got} {response.text}"
            assert got != 401, f"{method} {request['url']} as {role}: not signed in? {response.text}"
            ok = {
                "allowed": got not in (403, 404),
                "forbidden": got in (403, 404),
                "hidden": got == 404,
            }[want]
            if not ok:
                failures.append(
                    f"{method} {request['url']} as {role} ({side}): want {want}, got {got} {response.text[:200]}"
                )
            if got in (403, 404):
                assert response.headers["content-type"].startswith("application/problem+json")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/children/{child}",
        "/api/v1/sponsors/{sponsor}",
        "/api/v1/pledges/{pledge}",
        "/api/v1/branches/{branch}",
    ],
)
def test_outside_the_scope_looks_exactly_like_nothing(world: World, url: str) -> None:
    codes = world.codes
    headers = {**world.login("thu-quy-an-lao"), "Accept-Language": "en"}
    real = url.format(child=codes.child[OUT], sponsor=codes.sponsor[OUT], pledge=codes.pledge[OUT], branch=OUT)
    fake = url.format(child="C-999999", sponsor="MDD999999", pledge="P-999999", branch="hp-khong-co")
    existing, missing = world.client.get(real, headers=headers), world.client.get(fake, headers=headers)
    assert existing.status_code == missing.status_code == 404
    code_of = real.rsplit("/", 1)[1]
    fake_code = fake.rsplit("/", 1)[1]
    assert existing.json()["detail"].replace(code_of, "X") == missing.json()["detail"].replace(fake_code, "X")
    assert existing.json()["title"] == missing.json()["title"] == "Not found"


def test_a_treasurer_of_the_commune_only_does_not_see_its_village_groups(world: World) -> None:
    headers = world.login("thu-quy-xa-an-lao")
    # Branch statements cover the village groups too, so they are out of this treasurer's reach.
    assert world.client.get(f"/api/v1/statements/treasurer/{IN}?month={M}", headers=headers).status_code == 404
    assert world.client.get(f"/api/v1/branches/{IN}", headers=headers).status_code == 200
    assert world.client.get(f"/api/v1/branches/{world.codes.group[IN]}", headers=headers).status_code == 404
    assert world.client.get(f"/api/v1/children/{world.codes.child[IN]}", headers=headers).status_code == 404
