"""Signing in and out: argon2 passwords, short-lived revocable tokens, slowed guessing."""

from __future__ import annotations

import subprocess
import sys
import time

from sqlalchemy import select
from sqlmodel import Session

from ledger.access.models import User
from tests.api.conftest import PASSWORD, World


def sign_in(world: World, name: str, password: str):  # noqa: ANN201
    return world.client.post("/api/v1/auth/token", data={"username": name, "password": password})


def test_a_token_works_until_signed_out(world: World) -> None:
    response = sign_in(world, "kiem-toan-an-lao", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 1800
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert world.client.get("/api/v1/auth/me", headers=headers).json() == {
        "name": "kiem-toan-an-lao",
        "role": "auditor",
        "branch": "hp-an-lao",
        "include_below": True,
        "sponsor": None,
    }
    assert world.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    after = world.client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == "Bearer"
    assert after.headers["content-type"].startswith("application/problem+json")


def test_passwords_are_stored_as_argon2_hashes(world: World) -> None:
    with Session(world.database.engine) as session:
        stored = session.scalar(select(User.password_hash).where(User.name == "kiem-toan-an-lao"))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_wrong_password_and_an_unknown_name_are_refused_alike(world: World) -> None:
    wrong, unknown = sign_in(world, "thu-quy-an-lao", "sai-mat-khau-roi"), sign_in(world, "khong-ai", "sai-mat-khau")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "wrong user name or password"


def test_five_failures_lock_the_name_for_a_while_even_with_the_right_password(world: World) -> None:
    for _ in range(5):
        assert sign_in(world, "du-phong", "doan-mo-mat-khau").status_code == 401
    locked = sign_in(world, "du-phong", PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 900
    # Other users are not affected.
    assert sign_in(world, "admin", PASSWORD).status_code == 200


def test_disabling_a_user_ends_their_tokens_at_once(world: World) -> None:
    admin = world.login("admin")
    created = world.client.post(
        "/api/v1/users",
        headers=admin,
        json={"name": "tam-thoi", "role": "auditor", "password": "mot-mat-khau-dai", "branch": "hp-tien-lang"},
    )
    assert created.status_code == 201, created.text
    token = sign_in(world, "tam-thoi", "mot-mat-khau-dai").json()["access_token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/branches/hp-tien-lang", headers=mine).status_code == 200
    assert world.client.post("/api/v1/users/tam-thoi/disable", headers=admin).json()["disabled"] is True
    assert world.client.get("/api/v1/branches/hp-tien-lang", headers=mine).status_code == 401
    assert sign_in(world, "tam-thoi", "mot-mat-khau-dai").status_code == 401


def test_user_add_on_the_command_line_reads_the_password_from_stdin(world: World) -> None:
    env = world.database.env()
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "user",
            "add",
            "ke-toan-tien-lang",
            "--role",
            "treasurer",
            "--branch",
            "hp-tien-lang",
            "--password-stdin",
        ],
        input="mat-khau-tu-stdin\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    assert sign_in(world, "ke-toan-tien-lang", "mat-khau-tu-stdin").status_code == 200
    again = subprocess.run(
        [sys.executable, "-m", "cli.main", "user", "add", "x", "--role", "treasurer", "--password-stdin"],
        input="mat-khau-tu-stdin\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert again.returncode == 1 and again.stderr.startswith("error: a treasurer works for a branch")
    changed = subprocess.run(
        [sys.executable, "-m", "cli.main", "user", "passwd", "ke-toan-tien-lang", "--password-stdin"],
        input="mat-khau-moi-hon-nua\n",
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert changed.returncode == 0, changed.stderr
    assert sign_in(world, "ke-toan-tien-lang", "mat-khau-tu-stdin").status_code == 401
    assert sign_in(world, "ke-toan-tien-lang", "mat-khau-moi-hon-nua").status_code == 200


def test_another_worker_stops_trusting_a_revoked_token_within_a_second(world: World) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.deps import TOKEN_RECHECK_SECONDS

    token = sign_in(world, "kiem-toan-an-lao", PASSWORD).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    other_worker = TestClient(create_app(world.database.engine), raise_server_exceptions=False)
    assert other_worker.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert world.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert world.client.get("/api/v1/auth/me", headers=headers).status_code == 401  # at once where revoked
    time.sleep(TOKEN_RECHECK_SECONDS + 0.1)
    assert other_worker.get("/api/v1/auth/me", headers=headers).status_code == 401
