"""A throwaway CA and a server certificate for the demo deployment, made with `cryptography`.

Everything lands in a temporary folder the deployment owns: the CA certificate (the profile's
`ca_bundle`) and the leaf key and certificate the server loads, the private key mode 0600.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LIFETIME = timedelta(days=90)
# tls-expiring keeps a normal 90-day lifetime but only 3 days remain, so only the "expires
# soon" rule fires (not a short-lifetime oddity).
EXPIRING_AGE = timedelta(days=87)
EXPIRING_LEFT = timedelta(days=3)


@dataclass(frozen=True)
class DemoCertificates:
    """Where the demo's CA and server certificate were written, and the leaf's validity."""

    ca_path: Path
    cert_path: Path
    key_path: Path
    not_before: datetime
    not_after: datetime


def _write(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL: never reuse a file someone else planted in the folder.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Messenger demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_certificates(
    directory: Path,
    *,
    expiring: bool = False,
    now: datetime | None = None,
    validity: tuple[timedelta, timedelta] | None = None,
) -> DemoCertificates:
    """Create a CA and a leaf for localhost, 127.0.0.1 and ::1 under `directory`.

    `validity` is (lifetime, time left) for a leaf of another shape, e.g. a short-lived one.
    """
    now = now or datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Acme demo throwaway CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=90))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    if validity is not None:
        lifetime, left = validity
        not_before, not_after = now + left - lifetime, now + left
    elif expiring:
        not_before, not_after = now - EXPIRING_AGE, now + EXPIRING_LEFT
    else:
        not_before = now - timedelta(hours=1)  # tolerate small clock skew on the client
        not_after = not_before + LIFETIME
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    certs = DemoCertificates(
        ca_path=directory / "demo-ca.pem",
        cert_path=directory / "demo-server.pem",
        key_path=directory / "demo-server-key.pem",
        not_before=not_before,
        not_after=not_after,
    )
    _write(certs.ca_path, ca_cert.public_bytes(pem), 0o644)
    _write(certs.cert_path, leaf_cert.public_bytes(pem), 0o600)
    key_bytes = leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(certs.key_path, key_bytes, 0o600)
    return certs
