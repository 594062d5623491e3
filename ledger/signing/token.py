"""A key on a PKCS#11 token (a USB key or an HSM): the signer that keeps the private key on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyhanko.sign.pkcs11 import PKCS11Signer


@contextmanager
def token_signer(value: str, pin: str) -> Iterator[PKCS11Signer]:
    """A signer on a PKCS#11 token (``pkcs11:MODULE:TOKEN:KEY``), its session closed afterwards."""
    # loaded only where a branch keeps its key on a token
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign import pkcs11

    _, module, token, label = value.split(":", 3)
    session = pkcs11.open_pkcs11_session(module, token_criteria=TokenCriteria(label=token), user_pin=pin)
    try:
        # hashing here and signing the digest on the token: what most tokens support (ECDSA and RSA)
        yield pkcs11.PKCS11Signer(session, cert_label=label, key_label=label, use_raw_mechanism=True)
    finally:
        session.close()
