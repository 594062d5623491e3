"""Is a statement's digital signature good? pyHanko's validation, each failure named for people.

The file alone says whether it was changed after signing, whether the signature is sound, and
whether the signer's certificate chains to a root this deployment trusts and was neither expired
nor revoked (``TRUST_ROOTS``, ``REVOCATION_LISTS``; once lists are given, every certificate must be covered by
one). The ledger then says whether that
certificate ever signed for the branch the statement names (``signed_for``): a forger who
rewrites a statement and signs it with any other key, trusted or not, is caught.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import (
    PdfSignatureStatus,
    SignatureCoverageLevel,  # noqa: F401
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError

from ledger.signing.records import SIGN_ACTION

logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # findings are reported, not logged with tracebacks
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)


@dataclass(frozen=True, slots=True)
class Trust:
    roots: tuple[bytes, ...]
    revocation_lists: tuple[bytes, ...]

    @classmethod
    def from_environment(cls) -> Trust:
        """``TRUST_ROOTS`` and ``REVOCATION_LISTS``: files (PEM or DER), separated by ``:``."""
        return cls(_read_all(os.environ.get("TRUST_ROOTS", "")), _read_all(os.environ.get("REVOCATION_LISTS", "")))

    def context(self) -> ValidationContext:
        roots = [x509.Certificate.load(der) for der in self.roots]
        return ValidationContext(
            trust_roots=roots, crls=list(self.revocation_lists), allow_fetching=False,
            revocation_mode="require" if self.revocation_lists else "soft-fail",
        )  # fmt: skip


def _read_all(paths: str) -> tuple[bytes, ...]:
    found = []
    for name in filter(None, paths.split(os.pathsep)):
        data = Path(name).read_bytes()
        if pem.detect(data):
            found += [der for _, _, der in pem.unarmor(data, multiple=True)]
        else:
            found.append(data)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class SignatureFinding:
    reason: str  # unsigned, valid, changed, broken, added, untrusted, expired, revoked, several, unreadable
    detail: str
    signer: str | None = None
    certificate_sha256: str | None = None
    timestamped_at: datetime | None = None  # by a trusted time-stamping authority (RFC 3161)

    @property
    def signed(self) -> bool:
        return self.reason not in ("unsigned", "unreadable")

    @property
    def ok(self) -> bool:
        return self.reason in ("valid", "unsigned")


def check_signature(pdf: bytes, trust: Trust) -> SignatureFinding:
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except Exception as exc:  # a file pyHanko cannot parse is not a signed statement of ours
        return SignatureFinding("unreadable", f"its signatures cannot be read ({exc.__class__.__name__})")
    if not signatures:
        return SignatureFinding("unsigned", "the file carries no digital signature")
    if len(signatures) > 1:
        return SignatureFinding("several", f"the file carries {len(signatures)} signatures; we sign a statement once")
    try:
        status = validate_pdf_signature(signatures[0], trust.context())
    except Exception as exc:
        return SignatureFinding("broken", f"the signature cannot be validated ({exc.__class__.__name__}: {exc})")
    certificate = status.signing_cert
    signer = certificate.subject.native.get("common_name", certificate.subject.human_friendly)
    fingerprint = hashlib.sha256(certificate.dump()).hexdigest()
    reason, detail = _reason(status, signer)
    stamped = status.timestamp_validity
    at = stamped.timestamp if stamped is not None and stamped.intact and stamped.valid and stamped.trusted else None
    if at is not None and reason == "valid":
        detail += f", timestamped {at:%Y-%m-%d %H:%M:%S} UTC by a trusted authority"
    return SignatureFinding(reason, detail, signer, fingerprint, at)


def _reason(status: PdfSignatureStatus, signer: str) -> tuple[str, str]:
    if not status.intact:
        return "changed", f"the file was changed after {signer} signed it"
    if not status.valid:
        return "broken", f"the signature does not match the document it claims to sign ({signer})"
    coverage = getattr(status, "coverage", SignatureCoverageLevel.ENTIRE_FILE)
    if coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return "added", f"something was added to the file after {signer} signed it"
    indication = status.trust_problem_indic
    if indication is None:
        return "valid", f"digitally signed by {signer}, a certificate this deployment trusts"
    name = str(indication.standard_name)
    if "REVOKED" in name:
        return "revoked", f"signed by {signer}, whose certificate has been revoked"
    if name in ("EXPIRED", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "NOT_YET_VALID"):
        return "expired", f"signed by {signer}, whose certificate was not valid at the time of signing"
    if name in ("NO_CERTIFICATE_CHAIN_FOUND", "NO_CERTIFICATE_CHAIN_FOUND_NO_POE"):
        return "untrusted", f"signed by {signer}, a certificate this deployment does not trust"
    return "untrusted", f"signed by {signer}, a certificate this deployment does not trust ({name.lower()})"


__all__ = ["SIGN_ACTION", "PathBuildingError", "SignatureFinding", "Trust", "check_signature"]
