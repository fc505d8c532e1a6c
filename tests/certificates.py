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


def _write(folder: Path, name: str, cert: x509.Certificate, key_) -> Pair:
    c, k = folder / f"{name}.crt", folder / f"{name}.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(
        key_.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return Pair(c, k)


def make(folder: Path) -> dict[str, Pair]:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("test-ca"))
        .issuer_name(_name("test-ca"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
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
        .sign(ca_key, hashes.SHA256())
    )
    pairs = {"ca": _write(folder, "ca", ca, ca_key)}
    for name, extra in (("server", True), ("client", False)):
        key_ = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(f"test-{name}"))
            .issuer_name(ca.subject)
            .public_key(key_.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            # Python 3.13 verifies strictly (VERIFY_X509_STRICT): key identifiers are required
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key_.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        if extra:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        pairs[name] = _write(folder, name, builder.sign(ca_key, hashes.SHA256()), key_)
    return pairs


def encrypted_key(key: Path, to: Path) -> Path:
    """The key encrypted with the password "geheim"."""
    loaded = serialization.load_pem_private_key(key.read_bytes(), None)
    to.write_bytes(
        loaded.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"geheim"),
        )
    )
    return to


@dataclass(frozen=True)
class Binary:
    """A pair as certificates are often handed out, none of them PEM: a PKCS#12 bundle
    (password "geheim"), the certificate in DER and the key in DER."""

    p12: Path
    certificate: Path
    key: Path


def binary_files(pair: Pair, folder: Path) -> Binary:
    from cryptography.hazmat.primitives.serialization import pkcs12

    certificate = x509.load_pem_x509_certificate(pair.certificate.read_bytes())
    key = serialization.load_pem_private_key(pair.key.read_bytes(), None)
    stem = pair.certificate.stem
    made = Binary(folder / f"{stem}.p12", folder / f"{stem}.cer", folder / f"{stem}.der.key")
    made.p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            stem.encode(), key, certificate, None, serialization.BestAvailableEncryption(b"geheim")
        )
    )
    made.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.DER))
    made.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return made
