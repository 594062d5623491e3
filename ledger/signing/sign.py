"""Signing a rendered statement: PAdES baseline, a visible block, a timestamp where configured.

The block sits in the space the statement reserves for it at its end (the renderer writes the
words ``SIGNATURE_ANCHOR`` there; its position is found on the page with PDFium). The signature
is an incremental update: the statement's bytes, its attached figures and its pages stay exactly
as rendered, so every check that worked on an unsigned statement works on a signed one.
"""

from __future__ import annotations

import io
import os
from functools import cache
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.stamp import TextStampStyle

from ledger.signing.keys import SigningKey, SigningUnavailable
from ledger.signing.token import token_signer

FIELD = "ChuKySo"
FONT = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"
FALLBACK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SIGNATURE_ANCHOR = "Chữ ký số của đơn vị phát hành"
SIGNATURE_ANCHOR_EN = "Digital signature of the issuing branch"
BLOCK = (250, 56)  # points: wide and tall enough for three lines


@cache
def _signer(key_file: str, password: str, certificate_sha256: str) -> signers.SimpleSigner:
    """The file's signer, opened once per process; a file replaced in place (a rotation) is another
    certificate, so it is opened again."""
    signer: signers.SimpleSigner | None = signers.SimpleSigner.load_pkcs12(key_file, passphrase=password.encode())
    if signer is None:
        raise SigningUnavailable(key_file, "the file cannot be opened with the password given (or is not PKCS#12)")
    return signer


@cache
def _font_bytes() -> bytes:
    return Path(FONT if os.path.exists(FONT) else FALLBACK_FONT).read_bytes()


class _FontInMemory(GlyphAccumulatorFactory):
    """pyHanko's embedded-font factory, reading the font from memory: its own opens a file per
    signature and never closes it."""

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer, font_handle=io.BytesIO(_font_bytes()), font_size=self.font_size, obj_stream=obj_stream
        )


def anchor_box(pdf: bytes) -> tuple[int, tuple[int, int, int, int]]:
    """The page and box of the reserved signature space: just under its heading, on the last page."""
    document = pdfium.PdfDocument(pdf)
    try:
        last = len(document) - 1
        for index in range(last, -1, -1):
            page = document[index]
            text = page.get_textpage()
            for needle in (SIGNATURE_ANCHOR, SIGNATURE_ANCHOR_EN):
                searcher = text.search(needle)
                found = searcher.get_next()
                if found is not None:
                    left, bottom = (round(v) for v in text.get_charbox(found[0])[:2])
                    return index, (left, bottom - 6 - BLOCK[1], left + BLOCK[0], bottom - 6)
        width = round(document[last].get_size()[0])
        return last, (width - 57 - BLOCK[0], 60, width - 57, 60 + BLOCK[1])
    finally:
        document.close()


def sign_statement(pdf: bytes, key: SigningKey, *, lang: str) -> bytes:
    if key.on_token:
        with token_signer(key.key_file, key.password) as signer:
            return _sign(pdf, key, signer, lang)
    return _sign(pdf, key, _signer(key.key_file, key.password, key.certificate_sha256), lang)


def _sign(pdf: bytes, key: SigningKey, signer: signers.Signer, lang: str) -> bytes:
    page, box = anchor_box(pdf)
    vi = lang == "vi"
    text = (
        "Ký số bởi: %(signer)s\nVai trò: đơn vị phát hành sao kê\nThời điểm ký: %(ts)s"
        if vi
        else "Digitally signed by: %(signer)s\nRole: the branch issuing this statement\nSigned at: %(ts)s"
    )
    style = TextStampStyle(
        stamp_text=text,
        text_box_style=TextBoxStyle(font=_FontInMemory(FONT), font_size=8),
        border_width=1,
        timestamp_format="%d/%m/%Y %H:%M:%S %Z" if vi else "%Y-%m-%d %H:%M:%S %Z",
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        reason="Phát hành sao kê" if vi else "Statement issued",
        location=key.branch_name,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    timestamper = HTTPTimeStamper(key.timestamp_url) if key.timestamp_url else None
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, timestamper=timestamper, stamp_style=style,
        new_field_spec=fields.SigFieldSpec(FIELD, on_page=page, box=box),
    )  # fmt: skip
    out: io.BytesIO = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
    return out.getvalue()
