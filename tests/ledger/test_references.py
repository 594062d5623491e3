"""Payment references survive what banks do to them (docs/payments.md)."""

import pytest

from ledger.months import Month
from ledger.references import Found, find_references, payment_reference

CODES = ["MDD000123", "MDD00012", "MDD000124", "P-000001"]


def test_a_reference_names_the_code_and_the_month():
    assert payment_reference("MDD000123", Month(2025, 5)) == "MDD000123T0525"
    assert payment_reference("p-000001", Month(2026, 11)) == "P000001T1126"


@pytest.mark.parametrize(
    "description",
    [
        "MBVCB.4530998360.029552.NGUYEN THI HOA chuyen tien MDD000123T0525",
        "nguyen thi hoa chuyen tien mdd000123t0525",
        "Nguyễn Thị Hoa chuyển tiền MDD 000123 T0525",
        "IBFT MDD-000123-T.0525 FT25140123456",
        "TKThe :0011001932418, tai VCB. MDD000123T0525 -CTLNHIDI000012345",
    ],
)
def test_the_reference_is_found_however_the_bank_rewrote_it(description):
    assert find_references(description, CODES) == [Found("MDD000123", Month(2025, 5))]


def test_a_shorter_code_inside_a_longer_one_is_not_found():
    assert [f.code for f in find_references("chuyen tien MDD000123", CODES)] == ["MDD000123"]
    assert [f.code for f in find_references("chuyen tien MDD00012 thang 5", CODES)] == ["MDD00012"]


def test_one_transfer_naming_two_codes_finds_both():
    found = find_references("MDD000123T0525 VA MDD000124T0525", CODES)
    assert {(f.code, f.month) for f in found} == {("MDD000123", Month(2025, 5)), ("MDD000124", Month(2025, 5))}


def test_nothing_known_is_nothing_found():
    assert find_references("LAI NHAP VON THANG 05/2025", CODES) == []
    assert find_references("MDD000123T1325", CODES) == [Found("MDD000123", None)]  # month 13: no month
