"""Signed statements: valid in pyHanko and in poppler's pdfsig; every way a signed file can lie, named.

Real keys and certificates (a test CA made by ``ledger.signing.testca``), real signatures
(pyHanko), real readers (pyHanko's validator, poppler's ``pdfsig`` with an NSS trust store).
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from ledger.access.models import AuditEvent
from ledger.branch_settings import set_branch_setting
from ledger.db import run_in_transaction
from ledger.register.models import Sponsor
from ledger.signing.check import SIGN_ACTION
from ledger.signing.keys import SigningKey, signing_key_for
from ledger.signing.testca import create_test_ca, issue_branch_key, revoke
from ledger.statements.document import Period, StatementRequest
from ledger.statements.issue import gather_for, record_issue
from pdf_templates.render import render_pdf
from pdf_templates.verify import verify_statement
from tests.factories import admin
from tests.statements.conftest import load_small_demo, pages_text

pytestmark = pytest.mark.slow  # run by default; deselect with -m "not slow" for a quick round

PASSWORD = "mat-khau-khoa-ky-1"
ADMIN = admin("admin")


@pytest.fixture
def signed_world(database, tmp_path, monkeypatch):
    month = load_small_demo(database, children=8, sponsors=6, months=2)
    ca = create_test_ca(tmp_path / "ca")
    key = issue_branch_key(ca, branch="hp", name="Hội LHPN thành phố Hải Phòng", password=PASSWORD)
    _use_key(database, "hp", key)
    monkeypatch.setenv("SIGNING_KEY_PASSWORD", PASSWORD)
    monkeypatch.setenv("TRUST_ROOTS", str(ca.certificate))
    monkeypatch.setenv("REVOCATION_LISTS", str(ca.revocations))
    return database, month, ca


def _use_key(database, branch: str, key: Path) -> None:
    run_in_transaction(
        database.engine,
        lambda s: set_branch_setting(s, branch=branch, name="signing-key", value=str(key), actor=ADMIN),
    )


def _issue(database, month, key: SigningKey | None = None, **render) -> tuple[dict, bytes]:
    """Issue a sponsor statement as every door does: gather, sign with the branch's key, record."""

    def work(session: Session) -> tuple[dict, SigningKey | None]:
        sponsor = session.scalar(select(Sponsor.code).order_by(Sponsor.code))
        request = StatementRequest("sponsor", sponsor, Period.month(month))
        document = gather_for(session, request, actor=ADMIN, issued_on=month.last_day)
        chosen = key if key is not None else signing_key_for(session, document["branch"]["code"])
        record_issue(session, actor=ADMIN, request=request, document=document, key=chosen)
        return document, chosen

    document, chosen = run_in_transaction(database.engine, work)
    return document, render_pdf(document, "vi", chosen, **render)


def _verdict(database, pdf: bytes):
    with Session(database.engine) as session:
        return verify_statement(session, pdf)


def _failed(verdict) -> dict[str, str]:
    return {c.name: c.detail for c in verdict.checks if not c.ok}


def test_a_signed_statement_is_valid_in_pyhanko_and_in_pdfsig_and_says_who_signed(signed_world, tmp_path):
    database, month, ca = signed_world
    document, pdf = _issue(database, month)
    verdict = _verdict(database, pdf)
    assert verdict.ok, verdict.checks
    assert verdict.signature is not None and verdict.signature.reason == "valid"
    assert "Hội LHPN thành phố Hải Phòng" in verdict.signature.detail
    text = " ".join(pages_text(pdf))
    assert "Chữ ký số của đơn vị phát hành" in text and "không có chữ ký số" not in text
    with Session(database.engine) as session:
        signed = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == SIGN_ACTION)).all()
    assert [d["certificate_sha256"] for d in signed] == [verdict.signature.certificate_sha256]

    if shutil.which("pdfsig") is None or shutil.which("certutil") is None:
        pytest.fail("poppler-utils and libnss3-tools are needed (./dev test installs them)")
    store = tmp_path / "nss"
    store.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{store}", "--empty-password"], check=True, timeout=600)
    subprocess.run(["certutil", "-A", "-d", f"sql:{store}", "-n", "godmother-test-ca", "-t", "C,C,C", "-i",
                    str(ca.certificate)], check=True, timeout=600)  # fmt: skip
    (tmp_path / "s.pdf").write_bytes(pdf)
    report = subprocess.run(["pdfsig", "-nssdir", f"sql:{store}", str(tmp_path / "s.pdf")], capture_output=True,
                            text=True, check=False, timeout=600)  # fmt: skip
    assert "Signature is Valid." in report.stdout, report.stdout
    assert "Certificate is Trusted." in report.stdout, report.stdout
    assert "Total document signed" in report.stdout


def test_one_changed_byte_is_named(signed_world):
    database, month, _ = signed_world
    _, pdf = _issue(database, month)
    changed = bytearray(pdf)
    changed[12] ^= 0x01  # in the binary comment of the signed revision: the file still reads
    verdict = _verdict(database, bytes(changed))
    assert not verdict.ok
    assert "changed after" in _failed(verdict)["signature"]


def test_a_copy_signed_again_with_an_untrusted_key_is_named(signed_world, tmp_path):
    database, month, _ = signed_world
    other = create_test_ca(tmp_path / "forger")
    forged_key = issue_branch_key(other, branch="hp", name="Hội LHPN thành phố Hải Phòng", password=PASSWORD)
    with Session(database.engine) as session:
        honest = signing_key_for(session, "hp")
    document, _ = _issue(database, month)
    forgery = render_pdf(document, "vi", SigningKey("hp", "Hội LHPN thành phố Hải Phòng", str(forged_key), PASSWORD,
                                                    honest.signer, "0" * 64))  # fmt: skip
    failed = _failed(_verdict(database, forgery))
    assert "does not trust" in failed["signature"]
    assert "signed again" in failed["signer"]


def test_a_copy_signed_again_with_another_branchs_trusted_key_is_named(signed_world):
    database, month, ca = signed_world
    neighbour = issue_branch_key(ca, branch="hp-an-lao", name="Hội LHPN xã An Lão", password=PASSWORD)
    document, _ = _issue(database, month)
    _use_key(database, "hp", neighbour)
    with Session(database.engine) as session:
        wrong = signing_key_for(session, "hp")
    failed = _failed(_verdict(database, render_pdf(document, "vi", wrong)))
    assert list(failed) == ["signer"] and "Hội LHPN xã An Lão" in failed["signer"]


def test_an_expired_and_a_revoked_certificate_are_named(signed_world):
    database, month, ca = signed_world
    old = issue_branch_key(ca, branch="hp", name="Hội LHPN (khóa cũ)", password=PASSWORD, serial=2,
                           not_before=datetime.now(UTC) - timedelta(days=400), days=30)  # fmt: skip
    _use_key(database, "hp", old)
    _, pdf = _issue(database, month)
    assert "not valid at the time of signing" in _failed(_verdict(database, pdf))["signature"]

    stolen = issue_branch_key(ca, branch="hp", name="Hội LHPN (khóa bị lộ)", password=PASSWORD, serial=3)
    _use_key(database, "hp", stolen)
    _, pdf = _issue(database, month)
    assert _verdict(database, pdf).ok
    revoke(ca, stolen, PASSWORD)
    assert "revoked" in _failed(_verdict(database, pdf))["signature"]


def test_rotating_the_key_keeps_old_statements_verifiable(signed_world):
    database, month, ca = signed_world
    _, before = _issue(database, month)
    _use_key(database, "hp", issue_branch_key(ca, branch="hp", name="Hội LHPN (khóa mới)", password=PASSWORD,
                                              serial=2))  # fmt: skip
    _, after = _issue(database, month)
    first, second = _verdict(database, before), _verdict(database, after)
    assert first.ok and second.ok, (first.checks, second.checks)
    assert first.signature.certificate_sha256 != second.signature.certificate_sha256


def test_a_removed_signature_is_named_and_an_unsigned_branch_says_so(signed_world):
    database, month, _ = signed_world
    document, signed = _issue(database, month)
    with Session(database.engine) as session:
        key = signing_key_for(session, "hp")
    stripped = render_pdf(document, "vi", signature={"branch": key.branch, "branch_name": key.branch_name})
    failed = _failed(_verdict(database, stripped))
    assert "signature was removed" in failed["signature"]

    _use_key(database, "hp", Path("off"))
    _, unsigned = _issue(database, month)
    verdict = _verdict(database, unsigned)
    assert verdict.ok and verdict.signature.reason == "unsigned"
    assert "không có chữ ký số" in " ".join(pages_text(unsigned))


def test_a_key_whose_password_is_missing_stops_the_issue_with_a_clear_message(signed_world, monkeypatch):
    database, month, _ = signed_world
    monkeypatch.delenv("SIGNING_KEY_PASSWORD")
    with pytest.raises(Exception, match="SIGNING_KEY_PASSWORD"):
        _issue(database, month)


def test_the_ca_helper_marks_its_certificates_test_only(tmp_path):
    from cryptography import x509

    ca = create_test_ca(tmp_path)
    key = issue_branch_key(ca, branch="hp", name="Hội LHPN", password=PASSWORD)
    root = x509.load_pem_x509_certificate(ca.certificate.read_bytes())
    assert "TEST ONLY" in root.subject.rfc4514_string()
    from cryptography.hazmat.primitives.serialization import pkcs12

    _, branch, _ = pkcs12.load_key_and_certificates(key.read_bytes(), PASSWORD.encode())
    assert branch is not None and "TEST ONLY" in branch.subject.rfc4514_string()


def test_anyone_checks_a_statement_on_the_web_page_in_vietnamese(signed_world):
    from fastapi.testclient import TestClient

    from api.app import create_app

    database, month, _ = signed_world
    _, pdf = _issue(database, month)
    changed = bytearray(pdf)
    changed[12] ^= 0x01
    with TestClient(create_app(database.engine)) as client:
        form = client.get("/kiem-tra", headers={"Accept-Language": "vi"})
        assert form.status_code == 200 and "Kiểm tra sao kê" in form.text
        good = client.post("/kiem-tra", files={"file": ("sao-ke.pdf", pdf, "application/pdf")})
        assert good.status_code == 200, good.text
        assert "Sao kê hợp lệ" in good.text and "Có chữ ký số hợp lệ của Hội LHPN thành phố Hải Phòng" in good.text
        bad = client.post("/kiem-tra", files={"file": ("sao-ke.pdf", bytes(changed), "application/pdf")})
        assert "KHÔNG hợp lệ" in bad.text and "Tệp đã bị sửa sau khi Hội LHPN thành phố Hải Phòng ký." in bad.text
        assert "1.000.000" not in bad.text  # never today's figures for someone not signed in
        client.cookies.set("lang", "en")
        english = client.post("/kiem-tra", files={"file": ("s.pdf", bytes(changed), "application/pdf")})
        assert "was changed after" in english.text


def test_a_configured_timestamp_server_stamps_each_signature(signed_world, monkeypatch):
    """A real RFC 3161 exchange over HTTP with a local authority (pyHanko's own TSA responder)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from asn1crypto import keys, pem, tsp, x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    from ledger.signing.testca import issue_timestamp_authority

    database, month, ca = signed_world
    cert_path, key_path = issue_timestamp_authority(ca)
    authority = DummyTimeStamper(
        tsa_cert=x509.Certificate.load(pem.unarmor(cert_path.read_bytes())[2]),
        tsa_key=keys.PrivateKeyInfo.load(pem.unarmor(key_path.read_bytes())[2]),
    )

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = authority.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("TIMESTAMP_URL", f"http://127.0.0.1:{server.server_address[1]}/")
        _, pdf = _issue(database, month)
    finally:
        server.shutdown()
        server.server_close()
    verdict = _verdict(database, pdf)
    assert verdict.ok, verdict.checks
    assert verdict.signature.timestamped_at is not None and "timestamped" in verdict.signature.detail


def test_a_key_on_a_token_signs_through_pkcs11(signed_world, tmp_path, monkeypatch):
    """SoftHSM (Debian's softhsm2) stands in for a USB token: the key never leaves it."""
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12

    module = Path("/usr/lib/softhsm/libsofthsm2.so")
    if not module.exists() or shutil.which("softhsm2-util") is None or shutil.which("pkcs11-tool") is None:
        pytest.fail("softhsm2 and opensc are needed (./dev test installs them)")
    database, month, ca = signed_world
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    (tmp_path / "softhsm2.conf").write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(tmp_path / "softhsm2.conf"))
    pin = "123456"
    key_file = issue_branch_key(ca, branch="hp", name="Hội LHPN (token)", password=PASSWORD, serial=5)
    key, certificate, _ = pkcs12.load_key_and_certificates(key_file.read_bytes(), PASSWORD.encode())
    (tmp_path / "key.pem").write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    (tmp_path / "cert.der").write_bytes(certificate.public_bytes(Encoding.DER))
    run = dict(check=True, capture_output=True, timeout=600)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "hoi-hp", "--pin", pin, "--so-pin", "654321"],
                   **run)  # fmt: skip
    subprocess.run(["softhsm2-util", "--import", str(tmp_path / "key.pem"), "--token", "hoi-hp", "--label", "hp",
                    "--id", "01", "--pin", pin], **run)  # fmt: skip
    subprocess.run(["pkcs11-tool", "--module", str(module), "--token-label", "hoi-hp", "--login", "--pin", pin,
                    "--write-object", str(tmp_path / "cert.der"), "--type", "cert", "--label", "hp", "--id", "01"],
                   **run)  # fmt: skip
    monkeypatch.setenv("SIGNING_KEY_PASSWORD", pin)
    run_in_transaction(
        database.engine,
        lambda s: set_branch_setting(
            s, branch="hp", name="signing-key", value=f"pkcs11:{module}:hoi-hp:hp", actor=ADMIN
        ),  # fmt: skip
    )
    _, pdf = _issue(database, month)
    verdict = _verdict(database, pdf)
    assert verdict.ok, verdict.checks
    assert verdict.signature.signer == "Hội LHPN (token)"
    monkeypatch.setenv("SIGNING_KEY_PASSWORD", "000000")
    with pytest.raises(Exception, match="cannot be used"):
        _issue(database, month)
