"""Scheduled work over HTTP: what is scheduled and ran, notices, and the sponsor's stored statements."""

from __future__ import annotations

import time

from tests.api.conftest import IN, World


def test_a_treasurer_sees_the_schedule_runs_a_job_and_reads_the_record(world: World) -> None:
    headers = world.login("thu-quy-an-lao")
    jobs = world.client.get("/api/v1/jobs", headers=headers).json()
    assert {j["job"] for j in jobs} >= {f"arrears-reminders:{IN}", f"sponsor-statements:{IN}"}
    assert all(j["branch"].startswith(IN) for j in jobs)
    assert all(j["next_due"].endswith("+07:00") for j in jobs)  # Vietnam time
    started = world.client.post("/api/v1/jobs/eligibility-sweep:hp/run", headers=world.login("admin"))
    assert started.status_code == 202
    deadline = time.monotonic() + 600  # a generous bound: a busy machine only makes it slower
    while time.monotonic() < deadline:
        rows = world.client.get("/api/v1/jobs/history?job=eligibility-sweep:hp", headers=world.login("admin")).json()
        if rows and rows[0]["status"] != "running":
            break
        time.sleep(0.1)
    assert rows[0]["status"] == "succeeded" and rows[0]["trigger"] == "run-now" and "children" in rows[0]["counts"]


def test_notices_are_read_and_dismissed(world: World) -> None:
    headers = world.login("thu-quy-an-lao")
    mine = world.client.get("/api/v1/notices", headers=headers).json()
    assert any(n["id"] == world.codes.notice[IN] for n in mine)
    assert all(n["branch"].startswith(IN) for n in mine)
    assert world.client.post(f"/api/v1/notices/{world.codes.notice[IN]}/dismissal", headers=headers).status_code == 204
    left = world.client.get("/api/v1/notices", headers=headers).json()
    assert all(n["id"] != world.codes.notice[IN] for n in left)


def test_a_sponsor_downloads_the_statements_the_scheduler_kept(world: World) -> None:
    headers = world.login("nha-tai-tro")
    listed = world.client.get(f"/api/v1/sponsors/{world.codes.sponsor_user_sponsor}/statements", headers=headers)
    assert listed.status_code == 200 and listed.json()
    first = listed.json()[0]
    pdf = world.client.get(f"/api/v1/stored-statements/{first['id']}", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["x-verification-code"] == first["code"]
