"""``/kiem-tra``: anyone drops a statement PDF and learns whether it is one we issued, untouched.

No sign-in: a sponsor, a guardian or a bank can check a paper they were given. The file is read
in the supervised process pool, like the API's; the answer names each check in the reader's
language but never shows today's figures (those are for the people who may issue the statement).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep, off_the_loop
from api.web.session import page, reader_lang
from ledger.errors import TooLarge
from ledger.signing.check import Trust
from pdf_templates.verify import MAX_PAGES, Verdict, compare_with_ledger, inspect_statement

router = APIRouter(include_in_schema=False)
PUBLIC_PDF = 5 * 1024 * 1024  # a statement is tens of KB; an audit pack a few MB

SIGNATURE_VI = {
    "valid": "Có chữ ký số hợp lệ của {signer}, chứng thư được tin cậy.",
    "unsigned": "Tệp không có chữ ký số (đơn vị phát hành chưa dùng khóa ký).",
    "changed": "Tệp đã bị sửa sau khi {signer} ký.",
    "broken": "Chữ ký số không khớp với nội dung tệp.",
    "added": "Có nội dung được thêm vào tệp sau khi {signer} ký.",
    "untrusted": "Ký bởi {signer}, chứng thư không nằm trong danh sách tin cậy của Hội.",
    "expired": "Ký bởi {signer}, chứng thư đã hết hạn hoặc chưa có hiệu lực khi ký.",
    "revoked": "Ký bởi {signer}, chứng thư đã bị thu hồi.",
    "several": "Tệp có nhiều chữ ký; sao kê của Hội chỉ được ký một lần.",
    "unreadable": "Không đọc được chữ ký số của tệp.",
}
CHECKS_VI = {
    ("statement", True): "Đây là sao kê do Hội phát hành ngày {issued_on}.",
    ("statement", False): "Tệp này không phải sao kê của Hội hoặc không đọc được.",
    ("code", True): "Mã xác minh {code} khớp với số liệu trong sao kê.",
    ("code", False): "Mã xác minh không khớp với số liệu: tệp đã bị sửa.",
    ("pages", True): "Nội dung các trang đúng với số liệu của sao kê.",
    ("pages", False): "Nội dung các trang khác với số liệu: tệp đã bị sửa.",
    ("ledger", True): "Sổ cái hiện nay vẫn cho đúng các số liệu này.",
    ("ledger", False): "Sổ cái đã thay đổi kể từ khi phát hành sao kê này.",
    (
        "signer",
        False,
    ): "Chữ ký trên tệp không phải chữ ký Hội đã dùng khi phát hành sao kê này (đã bị ký lại hoặc gỡ bỏ).",
}


def _lines(verdict: Verdict, lang: str) -> list[tuple[bool, str]]:
    lines = []
    for check in verdict.checks:
        if lang != "vi":
            lines.append((check.ok, check.detail))
        elif check.name == "signature" and verdict.signature is not None:
            reason = verdict.signature.reason
            if reason == "unsigned" and not check.ok:
                lines.append((False, "Sao kê được phát hành có chữ ký số, nhưng chữ ký đã bị gỡ khỏi tệp."))
            else:
                lines.append((check.ok, SIGNATURE_VI[reason].format(signer=verdict.signature.signer or "")))
        else:
            text = CHECKS_VI.get((check.name, check.ok), check.detail)
            lines.append((check.ok, text.format(issued_on=verdict.issued_on or "", code=verdict.code or "")))
    return lines


@router.get("/kiem-tra", response_class=HTMLResponse)
async def check_page(request: Request) -> Response:
    return page(request, "check.html", reader_lang(request), user=None, lines=None, valid=None)


@router.post("/kiem-tra", response_class=HTMLResponse)
async def check_file(request: Request, db: SessionDep, file: UploadFile) -> Response:
    lang = reader_lang(request)
    content = await file.read(PUBLIC_PDF + 1)
    if len(content) > PUBLIC_PDF:
        raise TooLarge("this file is too large to be a statement", f"{PUBLIC_PDF // (1024 * 1024)} MB")
    verdict = await request.app.state.isolated.run(inspect_statement, content, MAX_PAGES, Trust.from_environment())
    verdict = await off_the_loop(db, compare_with_ledger, db, verdict)
    return page(
        request, "check.html", lang, user=None, lines=_lines(verdict, lang), valid=verdict.ok,
        filename=file.filename or "",
    )  # fmt: skip
