"""The balance read, the API's hottest request, as a served process has it: its lifespan open, its
account looked up on asynchronous connections (PostgreSQL), its query validated by the route.

It must answer exactly as every other route does: the same balance as the ledger, the same
refusals (401, 404 outside the scope, 422 naming the bad field), the same documentation.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.hot_read import HotBalanceRead
from ledger import balances
from ledger.access.users import add_user
from ledger.accounts import AccountKey
from ledger.db import ASYNC_READS_NAME, is_sqlite, run_in_transaction
from ledger.demo import load_demo
from tests.factories import admin

PASSWORD = "mot mat khau rat dai"
IN, OUT = "hp-an-lao", "hp-tien-lang"
FUND = f"assets:bank:vcb-{IN}"  # payments come in, handovers go out: it moves every month


@pytest.fixture
def world(database):
    load_demo(database.engine, today=date(2026, 11, 23), children=30, sponsors=20, months=2, communes=2)

    def users(session: Session) -> None:
        add_user(session, name="thu-quy", role="treasurer", branch=IN, include_below=True, password=PASSWORD,
                 actor=admin())  # fmt: skip

    run_in_transaction(database.engine, users)
    return database


@pytest.fixture
def served(world) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app with its lifespan running, as uvicorn serves it, and a treasurer's token."""
    with TestClient(create_app(world.engine), raise_server_exceptions=False) as client:
        token = client.post("/api/v1/auth/token", data={"username": "thu-quy", "password": PASSWORD})
        yield client, {"Authorization": f"Bearer {token.json()['access_token']}"}


def hot_read(client: TestClient) -> HotBalanceRead:
    """The middleware that answers the read's common case, as the served app holds it."""
    layer = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, HotBalanceRead):
        layer = layer.app
    return layer


def async_readers(database) -> int:
    with database.raw() as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            (ASYNC_READS_NAME,),
        ).fetchone()[0]


def test_the_balance_read_answers_as_the_ledger_and_refuses_as_every_route(world, served):
    client, headers = served
    with Session(world.engine) as session:
        now = balances.balance(session, AccountKey(IN, FUND))
        then = balances.balance(session, AccountKey(IN, FUND), as_of=date(2026, 10, 15))
    assert now != then  # the demo moved money since: as_of is read, not ignored

    answer = client.get(f"/api/v1/accounts/{FUND}/balance?branch={IN}", headers=headers)
    assert answer.status_code == 200
    assert answer.json() == {"branch": IN, "account": FUND, "type": "asset", "as_of": None, "balance": now}
    assert client.get(f"/api/v1/accounts/{FUND}/balance", headers=headers).json() == answer.json()  # the only one
    assert hot_read(client).answered == 2  # the common case, answered before the application
    dated = client.get(f"/api/v1/accounts/{FUND}/balance?branch={IN}&as_of=2026-10-15", headers=headers)
    assert (dated.json()["as_of"], dated.json()["balance"]) == ("2026-10-15", then)
    # The route's answer (as_of) and the early one carry the same headers, the Guard's among them.
    same = ("content-type", "cache-control", "x-content-type-options", "content-security-policy")
    assert [answer.headers[h] for h in same] == [dated.headers[h] for h in same]

    assert client.get(f"/api/v1/accounts/{FUND}/balance?branch={IN}").status_code == 401
    assert client.get(f"/api/v1/accounts/{FUND}/balance?branch={IN}", headers={"Authorization": "Basic x"}
                      ).status_code == 401  # fmt: skip
    with Session(world.engine) as session:
        balances.balance(session, AccountKey(OUT, "assets:cash"))  # it is there, outside her sight
    assert client.get(f"/api/v1/accounts/assets:cash/balance?branch={OUT}", headers=headers).status_code == 404

    bad = client.get(f"/api/v1/accounts/{FUND}/balance?as_of=15-10-2026", headers={**headers, "Accept-Language": "en"})
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json()["errors"]] == ["query.as_of"]
    long = client.get(f"/api/v1/accounts/{FUND}/balance?branch={'x' * 65}", headers=headers)
    assert long.status_code == 422
    assert [error["field"] for error in long.json()["errors"]] == ["query.branch"]
    # A blank branch is a branch named "" (as the route reads its query), not "any branch".
    assert client.get(f"/api/v1/accounts/{FUND}/balance?branch=", headers=headers).status_code == 404
    assert hot_read(client).answered == 2  # every refusal above was the route's


def test_the_balance_read_is_documented_with_its_query_and_its_sign_in(served):
    client, _ = served
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/accounts/{code}/balance"]["get"]
    assert {p["name"]: p["in"] for p in operation["parameters"]} == {"code": "path", "branch": "query",
                                                                     "as_of": "query"}  # fmt: skip
    assert operation["security"] == [{"OAuth2PasswordBearer": []}]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/BalanceOut")


@pytest.mark.postgres_only
def test_the_balance_read_waits_for_postgresql_without_holding_the_event_loop(world):
    assert not is_sqlite(world.engine)
    with TestClient(create_app(world.engine), raise_server_exceptions=False) as client:
        token = client.post("/api/v1/auth/token", data={"username": "thu-quy", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert async_readers(world) == 0
        assert client.get(f"/api/v1/accounts/{FUND}/balance?branch={IN}", headers=headers).status_code == 200
        assert async_readers(world) == 1  # the read went through the asynchronous connections

        with world.raw() as connection:  # a restart, an operator's pg_terminate_backend
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = %s",
                (ASYNC_READS_NAME,),
            )
        assert [client.get(f"/api/v1/accounts/{FUND}/balance?branch={IN}", headers=headers).status_code
                for _ in range(3)] == [200] * 3  # fmt: skip
