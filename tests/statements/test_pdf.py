"""The PDFs themselves: fonts embedded, no empty page, a QR code a banking app can read."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from pypdf import PdfReader

from ledger.references import payment_reference
from ledger.vietqr import fields, parse
from tests.statements.conftest import page_images, pages_text, squeeze
from tests.statements.test_figures import a_sponsor_with_payments

KINDS = [("sponsor", None), ("guardian", "hp-an-lao"), ("treasurer", "hp-an-lao"), ("audit", "hp-an-lao")]


def _subject(world, kind, subject):
    return subject or a_sponsor_with_payments(world).code


@pytest.mark.parametrize(("kind", "subject"), KINDS)
def test_every_font_is_embedded_and_covers_vietnamese(world, kind, subject):
    reader = PdfReader(io.BytesIO(world.pdf(kind, _subject(world, kind, subject))))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)[
                "/FontDescriptor"
            ].get_object()
            fonts[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert any("Noto" in name or "DejaVu" in name for name in fonts)
    text = " ".join(pages_text(world.pdf(kind, _subject(world, kind, subject))))
    assert "Hội Liên hiệp Phụ nữ Việt Nam" in text  # stacked diacritics survive extraction


@pytest.mark.parametrize(("kind", "subject"), KINDS)
def test_no_page_is_empty_or_broken(world, kind, subject):
    pdf = world.pdf(kind, _subject(world, kind, subject), lang="en")
    images = page_images(pdf, scale=0.5)
    assert len(images) == len(pages_text(pdf)) >= 1
    for number, image in enumerate(images, 1):
        grey = image.convert("L")
        inked = sum(grey.histogram()[:160])
        share = inked / (grey.width * grey.height)
        assert 0.002 < share < 0.5, f"page {number}: {share:.1%} inked"


def test_the_qr_code_on_the_sponsor_statement_decodes_to_the_amount_and_reference(world):
    sponsor = a_sponsor_with_payments(world).code
    document = world.document("sponsor", sponsor)
    following = world.month.next()
    pdf = world.pdf("sponsor", sponsor)
    decoded = [
        result.text
        for image in page_images(pdf, scale=3)
        for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ]
    assert len(decoded) == 1, decoded
    payload = decoded[0]
    top = parse(payload)  # raises on a bad CRC
    assert top["00"] == "01" and top["01"] == "12" and top["53"] == "704" and top["58"] == "VN"
    account = fields(fields(top["38"])["01"])
    assert account == {"00": document["body"]["next"]["bank"]["bin"], "01": document["body"]["next"]["bank"]["account"]}
    amount = document["body"]["next"]["amount"]
    assert int(top["54"]) == amount > 0
    assert fields(top["62"])["08"] == payment_reference(sponsor, following)
    text = squeeze(" ".join(pages_text(pdf)))
    assert payment_reference(sponsor, following) in text
