"""Forms refuse what another site could send, and sessions live in cookies scripts cannot read."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from ledger.register.models import Payment
from tests.api.conftest import IN, PASSWORD

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round


def _sign_in(client, name):
    form = client.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
    return client.post("/sign-in", data={"name": name, "password": PASSWORD, "csrf": csrf}, follow_redirects=False)


def test_the_session_cookie_is_http_only_and_same_site(world):
    world.client.cookies.clear()
    signed = _sign_in(world.client, "thu-quy-an-lao")
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"].lower()
    assert "godmother_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    world.client.cookies.clear()


def test_a_wrong_password_or_a_form_from_elsewhere_is_refused(world):
    world.client.cookies.clear()
    form = world.client.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
    wrong = world.client.post("/sign-in", data={"name": "thu-quy-an-lao", "password": "sai-mat-khau-roi", "csrf": csrf})
    assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    world.client.cookies.clear()
    forged = world.client.post("/sign-in", data={"name": "thu-quy-an-lao", "password": PASSWORD, "csrf": csrf})
    assert forged.status_code == 400  # no form cookie: the form did not come from our page


def test_a_payment_without_the_form_token_records_nothing(world):
    world.client.cookies.clear()
    _sign_in(world.client, "thu-quy-an-lao")
    with Session(world.database.engine) as session:
        before = session.scalar(select(func.count()).select_from(Payment))
    refused = world.client.post(
        "/treasurer/payments",
        data={"sponsor": world.codes.sponsor[IN], "amount": "100.000", "paid_on": "2026-11-20", "method": "cash",
              "csrf": "0" * 32, "confirmed": "yes"},
    )  # fmt: skip
    assert refused.status_code == 400
    with Session(world.database.engine) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == before
    world.client.cookies.clear()


def test_pages_need_a_session_and_the_right_role(world):
    world.client.cookies.clear()
    assert world.client.get("/treasurer", follow_redirects=False).headers["location"] == "/sign-in?next=/treasurer"
    _sign_in(world.client, "kiem-toan-an-lao")
    assert world.client.get("/sponsor").status_code == 403
    assert world.client.get("/statements/audit.pdf?branch=hp-tien-lang&from=2026-10").status_code == 404
    world.client.cookies.clear()
