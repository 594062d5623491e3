"""VietQR payloads against the public example and the CRC check value in docs/payments.md."""

import pytest

from ledger.vietqr import PaymentRequest, VietQRError, crc16_ccitt_false, fields, parse, payload

PUBLIC_EXAMPLE = (
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN"
    "62170813ung ho lu lut6304C15C"
)


def test_the_crc_check_value():
    assert crc16_ccitt_false("123456789") == "29B1"


def test_the_public_example_is_reproduced_exactly():
    request = PaymentRequest(bank_bin="970415", account="0011001932418", amount=120_000, purpose="ung ho lu lut")
    assert payload(request) == PUBLIC_EXAMPLE
    assert payload(PaymentRequest("970415", "0011001932418", 120_000, purpose="ủng hộ lũ lụt")) == PUBLIC_EXAMPLE


def test_a_sponsor_payment_code_round_trips_with_its_reference():
    text = payload(
        PaymentRequest("970436", "0011001932418", 500_000, purpose="MDD000123T0525", reference_label="MDD000123T0525")
    )
    top = parse(text)
    assert (top["01"], top["53"], top["54"], top["58"]) == ("12", "704", "500000", "VN")
    merchant = fields(top["38"])
    assert merchant["00"] == "A000000727" and merchant["02"] == "QRIBFTTA"
    assert fields(merchant["01"]) == {"00": "970436", "01": "0011001932418"}
    assert fields(top["62"]) == {"05": "MDD000123T0525", "08": "MDD000123T0525"}


def test_a_static_code_has_no_amount():
    top = parse(payload(PaymentRequest("970436", "0011001932418")))
    assert top["01"] == "11" and "54" not in top


def test_a_damaged_payload_fails_its_crc():
    with pytest.raises(VietQRError, match="CRC mismatch"):
        parse(PUBLIC_EXAMPLE.replace("120000", "920000"))


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        (PaymentRequest("97043", "001"), "6 digits"),
        (PaymentRequest("970436", "0011-0019"), "letters or digits"),
        (PaymentRequest("970436", "001", amount=0), "above zero"),
        (PaymentRequest("970436", "001", amount=1.5), "whole number"),  # type: ignore[arg-type]
    ],
)
def test_bad_requests_are_refused_clearly(request_, says):
    with pytest.raises(VietQRError, match=says):
        payload(request_)
