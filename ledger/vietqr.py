"""VietQR (NAPAS 247) payloads: the text inside the QR code a sponsor scans to pay.

EMVCo Merchant-Presented Mode: fields ``ID (2 digits) LENGTH (2 digits) VALUE``, some nested,
closed by a CRC-16/CCITT-FALSE over the whole string including the CRC's own ``6304``
(docs/payments.md). Banks strip accents and upper-case what they show, so the text we put in is
plain ASCII already.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ledger.errors import InvalidEntry

NAPAS_GUID = "A000000727"
TO_ACCOUNT, TO_CARD = "QRIBFTTA", "QRIBFTTC"
VND = "704"

BANKS = {  # NAPAS bank identification numbers (docs/payments.md)
    "970436": "Vietcombank",
    "970415": "VietinBank",
    "970418": "BIDV",
    "970405": "Agribank",
    "970407": "Techcombank",
    "970422": "MB",
    "970416": "ACB",
    "970432": "VPBank",
    "970423": "TPBank",
    "970403": "Sacombank",
}


class VietQRError(InvalidEntry, ValueError):
    """A payment request that VietQR cannot carry (an unknown bank, a too long reference, …)."""


def crc16_ccitt_false(text: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) as four upper-case hex digits."""
    crc = 0xFFFF
    for byte in text.encode("utf-8"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def ascii_text(text: str) -> str:
    """'Ủng hộ lũ lụt' → 'Ung ho lu lut': what survives a bank's rewriting."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"[^A-Za-z0-9 .,\-/]", "", text).strip()


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(f"field {tag} is {len(value)} characters long; at most 99 fit")
    return f"{tag}{len(value):02d}{value}"


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    bank_bin: str
    account: str
    amount: int | None = None  # whole đồng; none for a static code the payer fills in
    purpose: str = ""  # shown to the payer and echoed on the bank statement
    bill_number: str = ""
    reference_label: str = ""
    to_card: bool = False


def payload(request: PaymentRequest) -> str:
    """The VietQR string for ``request``, CRC included."""
    if not re.fullmatch(r"\d{6}", request.bank_bin):
        raise VietQRError(f"bank BIN {request.bank_bin!r} must be 6 digits (e.g. 970436 for Vietcombank)")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", request.account):
        raise VietQRError(f"account {request.account!r} must be 1 to 19 letters or digits")
    if request.amount is not None and (type(request.amount) is not int or not 0 < request.amount < 10**13):
        raise VietQRError(f"amount {request.amount!r} must be a whole number of đồng above zero")
    beneficiary = _field("00", request.bank_bin) + _field("01", request.account)
    merchant = (
        _field("00", NAPAS_GUID) + _field("01", beneficiary) + _field("02", TO_CARD if request.to_card else TO_ACCOUNT)
    )
    additional = "".join(
        _field(tag, ascii_text(value))
        for tag, value in (("01", request.bill_number), ("05", request.reference_label), ("08", request.purpose))
        if value and ascii_text(value)
    )
    text = (
        _field("00", "01")
        + _field("01", "11" if request.amount is None else "12")
        + _field("38", merchant)
        + _field("53", VND)
        + (_field("54", str(request.amount)) if request.amount is not None else "")
        + _field("58", "VN")
        + (_field("62", additional) if additional else "")
        + "6304"
    )
    return text + crc16_ccitt_false(text)


def parse(text: str) -> dict[str, str]:
    """The top-level fields of a VietQR string, after checking its CRC (for tests and verification)."""
    if len(text) < 8 or text[-8:-4] != "6304":
        raise VietQRError("not a VietQR payload: it must end with the CRC field 6304XXXX")
    if crc16_ccitt_false(text[:-4]) != text[-4:].upper():
        raise VietQRError(f"CRC mismatch: {text[-4:]} ≠ {crc16_ccitt_false(text[:-4])}")
    return fields(text)


def fields(text: str) -> dict[str, str]:
    """Split a TLV string into its fields."""
    found, i = {}, 0
    while i < len(text):
        tag, length = text[i : i + 2], text[i + 2 : i + 4]
        if not (tag.isdigit() and length.isdigit()) or i + 4 + int(length) > len(text):
            raise VietQRError(f"malformed field at position {i}")
        found[tag] = text[i + 4 : i + 4 + int(length)]
        i += 4 + int(length)
    return found
