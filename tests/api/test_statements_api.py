"""Statements over HTTP: a sponsor downloads their own, anyone in scope checks one, and it is logged."""

from __future__ import annotations

from tests.api.conftest import IN, OUT, World
from tests.statements.conftest import pages_text, squeeze

M = "2026-10"


def test_a_sponsor_downloads_their_statement_in_their_language_and_checks_it(world: World) -> None:
    headers = {**world.login("nha-tai-tro"), "Accept-Language": "en"}
    sponsor = world.codes.sponsor_user_sponsor
    response = world.client.get(f"/api/v1/statements/sponsor/{sponsor}?month={M}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="sponsor-{sponsor}-{M}.pdf"' in response.headers["content-disposition"]
    code = response.headers["x-verification-code"]
    text = squeeze(" ".join(pages_text(response.content)))
    assert "Sponsor statement" in text and code in text
    vi = world.client.get(f"/api/v1/statements/sponsor/{sponsor}?month={M}&lang=vi", headers=headers)
    assert "Sao kê của mẹ đỡ đầu" in " ".join(pages_text(vi.content))

    checked = world.client.post(
        "/api/v1/statements/verify", files={"file": ("s.pdf", response.content, "application/pdf")}, headers=headers
    )
    assert checked.status_code == 200
    assert checked.json()["valid"] is True and checked.json()["code"] == code

    # Another sponsor's statement, brought by this sponsor, is not checked for them.
    admin = world.login("admin")
    other = world.client.get(f"/api/v1/statements/sponsor/{world.codes.sponsor[OUT]}?month={M}", headers=admin)
    refused = world.client.post(
        "/api/v1/statements/verify", files={"file": ("s.pdf", other.content, "application/pdf")}, headers=headers
    )
    assert refused.status_code == 404

    log = world.client.get("/api/v1/audit-log?action=statement.issue", headers=admin).json()
    assert any(e["subject"] == f"statement:sponsor:{sponsor}" and e["actor"] == "nha-tai-tro" for e in log)


def test_branch_statements_need_a_period_in_the_right_shape(world: World) -> None:
    headers = world.login("thu-quy-an-lao")
    assert world.client.get(f"/api/v1/statements/treasurer/{IN}", headers=headers).status_code == 422
    bad = world.client.get(f"/api/v1/statements/audit/{IN}?from=2026-10&to=2026-01", headers=headers)
    assert bad.status_code == 422 and "before it starts" in bad.json()["detail"]
    both = world.client.get(
        f"/api/v1/statements/sponsor/{world.codes.sponsor[IN]}?month={M}&year=2026", headers=headers
    )
    assert both.status_code == 422
