"""A local certificate authority and branch certificates, FOR TESTS AND TRYING IT OUT ONLY.

Real deployments sign with certificates from a licensed Vietnamese CA (on a USB token or a
remote-signing service). These are marked ``TEST ONLY`` in their organisation name so that no
reader mistakes them for real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TEST_ORGANISATION = "TEST ONLY - godmother test CA"
CRL_URL = "http://godmother.invalid/test-ca.crl"  # never fetched: the deployment gives the list


@dataclass(frozen=True, slots=True)
class TrialCA:
    folder: Path

    @property
    def certificate(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def revocations(self) -> Path:
        return self.folder / "ca.crl"

    def branch_key(self, code: str, serial: int = 1) -> Path:
        return self.folder / (f"{code}.p12" if serial == 1 else f"{code}-{serial}.p12")


def _name(common: str, branch: str | None = None) -> x509.Name:
    parts = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_ORGANISATION),
        x509.NameAttribute(NameOID.COMMON_NAME, common),
    ]
    if branch:
        parts.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, branch))
    return x509.Name(parts)


def create_test_ca(folder: Path, *, now: datetime | None = None) -> TrialCA:
    """A root valid for ten years, and an empty revocation list."""
    now = now or datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("godmother TEST root CA")
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # key_cert_sign, crl_sign
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    ca = TrialCA(folder)
    ca.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "ca.key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    write_crl(ca, revoked=[], now=now)
    return ca


def _ca_key(ca: TrialCA) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    certificate = x509.load_pem_x509_certificate(ca.certificate.read_bytes())
    key = serialization.load_pem_private_key((ca.folder / "ca.key.pem").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return certificate, key


def issue_branch_key(
    ca: TrialCA,
    *,
    branch: str,
    name: str,
    password: str,
    serial: int = 1,
    not_before: datetime | None = None,
    days: int = 730,
) -> Path:
    """A signing certificate for ``branch`` (its code in the subject's serialNumber), as PKCS#12."""
    ca_certificate, ca_key = _ca_key(ca)
    start = not_before or datetime.now(UTC) - timedelta(hours=1)
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(name, branch))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )  # digital_signature, content_commitment (non-repudiation)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    path = ca.branch_key(branch, serial)
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            branch.encode(), key, certificate, [ca_certificate],
            serialization.BestAvailableEncryption(password.encode()),
        )
    )  # fmt: skip
    return path


def revoke(ca: TrialCA, key_file: Path, password: str, *, now: datetime | None = None) -> None:
    """Put the certificate in ``key_file`` on the CA's revocation list."""
    _, certificate, _ = pkcs12.load_key_and_certificates(key_file.read_bytes(), password.encode())
    assert certificate is not None
    revoked = [certificate.serial_number]
    if ca.revocations.exists():
        revoked += [r.serial_number for r in x509.load_der_x509_crl(ca.revocations.read_bytes())]
    write_crl(ca, revoked=revoked, now=now)


def write_crl(ca: TrialCA, *, revoked: list[int], now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    ca_certificate, ca_key = _ca_key(ca)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_certificate.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=30))
    )
    for serial in sorted(set(revoked)):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now - timedelta(minutes=1)).build()
        )
    crl = builder.sign(ca_key, hashes.SHA256())
    ca.revocations.write_bytes(crl.public_bytes(serialization.Encoding.DER))


def issue_timestamp_authority(ca: TrialCA) -> tuple[Path, Path]:
    """A time-stamping certificate and key (PEM) from the test CA, for a local RFC 3161 service."""
    ca_certificate, ca_key = _ca_key(ca)
    now = datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test responder signs RSA
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("godmother TEST time-stamping authority"))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(CRL_URL)], None, None, None)]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = ca.folder / "tsa.pem", ca.folder / "tsa.key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
