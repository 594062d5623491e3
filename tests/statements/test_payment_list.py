"""Danh sách chi trả – ký nhận: the month's list per program, its totals in figures and in words."""

from __future__ import annotations

import pytest

from pdf_templates.amounts import in_words
from tests.statements.conftest import pages_text, squeeze


@pytest.mark.parametrize(
    ("amount", "vi", "en"),
    [
        (7_500_000, "Bảy triệu năm trăm nghìn đồng", "Seven million five hundred thousand đồng"),
        (1_050_000, "Một triệu không trăm năm mươi nghìn đồng", "One million fifty thousand đồng"),
        (105, "Một trăm lẻ năm đồng", "One hundred five đồng"),
        (15, "Mười lăm đồng", "Fifteen đồng"),
        (21, "Hai mươi mốt đồng", "Twenty-one đồng"),
        (1_005_000, "Một triệu không trăm lẻ năm nghìn đồng", "One million five thousand đồng"),
        (2_000_000_000, "Hai tỷ đồng", "Two billion đồng"),
        (1_000_000_000_000, "Một nghìn tỷ đồng", "One trillion đồng"),
        (0, "Không đồng", "Zero đồng"),
    ],
)
def test_amounts_in_words_as_a_vietnamese_payment_list_writes_them(amount, vi, en):
    assert in_words(amount, "vi") == vi
    assert in_words(amount, "en") == en


def test_the_months_list_per_program_adds_up_to_the_guardian_slips(world):
    slips = world.document("guardian", "hp")["body"]
    listed = world.document("payment-list", "hp")["body"]
    assert listed["lists"] and listed["total"] == slips["total"] > 0
    for one in listed["lists"]:
        assert one["count"] == len(one["rows"]) and one["total"] == sum(r["amount"] for r in one["rows"])
        expected = sum(
            line["amount"] for s in slips["slips"] for line in s["lines"] if line["program"] == one["program"]
        )
        assert one["total"] == expected
    text = squeeze(" ".join(pages_text(world.pdf("payment-list", "hp"))))
    assert "DANH SÁCH CHI TRẢ" in text.upper() and "Ký nhận" in text and "NGƯỜI CHI TIỀN" in text
    for one in listed["lists"]:
        assert f"Bằng chữ: {in_words(one['total'])}" in text
        assert one["rows"][0]["child"]["full_name"] in text
