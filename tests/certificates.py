"""Throw-away certificates for the TLS and signing tests: a CA, a server and a client."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Pair:
    certificate: Path
    key: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(map_: Path, naam: str, cert: x509.Certificate, sleutel) -> Pair:
    c, k = map_ / f"{naam}.crt", map_ / f"{naam}.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(
        sleutel.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return Pair(c, k)


def make(map_: Path) -> dict[str, Pair]:
    nu = datetime.datetime.now(datetime.UTC)
    ca_sleutel = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("test-ca"))
        .issuer_name(_name("test-ca"))
        .public_key(ca_sleutel.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nu - datetime.timedelta(days=1))
        .not_valid_after(nu + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_sleutel.public_key()), critical=False
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
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
        .sign(ca_sleutel, hashes.SHA256())
    )
    paren = {"ca": _write(map_, "ca", ca, ca_sleutel)}
    for naam, extra in (("server", True), ("client", False)):
        sleutel = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        bouwer = (
            x509.CertificateBuilder()
            .subject_name(_name(f"test-{naam}"))
            .issuer_name(ca.subject)
            .public_key(sleutel.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(nu - datetime.timedelta(days=1))
            .not_valid_after(nu + datetime.timedelta(days=2))
            # Python 3.13 verifies strictly (VERIFY_X509_STRICT): key identifiers are required
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(sleutel.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_sleutel.public_key()),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        if extra:
            bouwer = bouwer.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        paren[naam] = _write(map_, naam, bouwer.sign(ca_sleutel, hashes.SHA256()), sleutel)
    return paren
