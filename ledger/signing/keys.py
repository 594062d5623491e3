"""Which key signs a branch's statements: the ``signing-key`` branch setting and the environment.

The setting names a PKCS#12 file (``godmother branch set hp-an-lao signing-key /etc/godmother/
hp-an-lao.p12``); a branch without its own follows the nearest branch above it. The password is
never stored: it comes from ``SIGNING_KEY_PASSWORD_<BRANCH>`` (the code in capitals, ``-`` as
``_``) or else ``SIGNING_KEY_PASSWORD``. Rotating a key is setting a new file: statements
signed before keep their certificate inside them and stay verifiable while the CA is trusted.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from ledger.accounts import get_branch
from ledger.branch_settings import SIGNING_KEY, setting_in_force
from ledger.errors import LedgerError
from ledger.signing.token import token_signer


class SigningUnavailable(LedgerError):
    """A key is configured but cannot be used: the statement is not issued unsigned by surprise."""

    def __init__(self, branch: str, reason: str) -> None:
        self.branch, self.reason = branch, reason
        super().__init__(f"the signing key of {branch} cannot be used: {reason}")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What a renderer process needs to sign (picklable; the password lives only in memory)."""

    branch: str
    branch_name: str
    key_file: str  # a PKCS#12 file, or pkcs11:MODULE:TOKEN:KEY for a key on a token
    password: str  # the file's password, or the token's PIN
    signer: str
    certificate_sha256: str
    timestamp_url: str = ""

    @property
    def on_token(self) -> bool:
        return self.key_file.startswith("pkcs11:")

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"SigningKey({self.branch!r}, {self.key_file!r})"


def password_variable(branch: str) -> str:
    return "SIGNING_KEY_PASSWORD_" + branch.upper().replace("-", "_")


def signing_key_for(session: Session, branch_code: str) -> SigningKey | None:
    """The key that signs ``branch_code``'s statements, or None where none is configured."""
    branch = get_branch(session, branch_code)
    assert branch.id is not None
    value = setting_in_force(session, branch.id, SIGNING_KEY)
    if value in ("", "off"):
        return None
    path = Path(value)
    if not value.startswith("pkcs11:") and not path.is_file():
        raise SigningUnavailable(branch_code, f"the key file {value} does not exist")
    password = os.environ.get(password_variable(branch_code)) or os.environ.get("SIGNING_KEY_PASSWORD")
    if password is None:
        raise SigningUnavailable(
            branch_code, f"set its password in {password_variable(branch_code)} or SIGNING_KEY_PASSWORD"
        )
    if value.startswith("pkcs11:"):
        signer, fingerprint = _certificate_on_token(branch_code, value, password)
    else:
        signer, fingerprint = _certificate_of(branch_code, path, password)
    return SigningKey(
        branch_code, branch.name, value, password, signer, fingerprint, os.environ.get("TIMESTAMP_URL", "")
    )


def _certificate_on_token(branch: str, value: str, pin: str) -> tuple[str, str]:

    try:
        with token_signer(value, pin) as signer:
            certificate = signer.signing_cert
    except Exception as exc:  # the token's library names what is wrong (no token, wrong PIN, no key)
        raise SigningUnavailable(
            branch, f"the token {value} cannot be used ({exc.__class__.__name__}: {exc})"
        ) from None
    assert certificate is not None
    name = certificate.subject.native.get("common_name", certificate.subject.human_friendly)
    return str(name), hashlib.sha256(certificate.dump()).hexdigest()


def _certificate_of(branch: str, path: Path, password: str) -> tuple[str, str]:
    """The signer's name and certificate fingerprint; the password is checked here, before any work."""
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
    from cryptography.x509.oid import NameOID

    try:
        _, certificate, _ = pkcs12.load_key_and_certificates(path.read_bytes(), password.encode())
    except (ValueError, TypeError) as exc:
        raise SigningUnavailable(branch, f"{path} cannot be opened with its password ({exc})") from None
    if certificate is None:
        raise SigningUnavailable(branch, f"{path} holds no certificate")
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    signer = str(names[0].value) if names else certificate.subject.rfc4514_string()
    return signer, hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


class SigningKeys:
    """Keys by branch, looked up once each (a batch of statements signs with few keys)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.found: dict[str, SigningKey | None] = {}

    def __call__(self, branch_code: str) -> SigningKey | None:
        if branch_code not in self.found:
            self.found[branch_code] = signing_key_for(self.session, branch_code)
        return self.found[branch_code]
