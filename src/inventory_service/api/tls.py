"""The server's TLS files, read and checked: what can be checked before serving (each file
readable, the key a private key that matches the certificate, the client CA certificates) is
checked by the parent before it forks a worker, so a bad file stops the server at start with a
message instead of failing in every worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from inventory_service.settings import Settings


class TlsFileError(ValueError):
    """A TLS file the server cannot serve with; the message names the variable."""


@dataclass(frozen=True)
class TlsFiles:
    key: bytes
    certificate_chain: bytes
    client_ca: bytes | None


def _read(variable: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise TlsFileError(f"{variable}: cannot read {path}: {error.strerror or error}") from error


def _public(key: object) -> bytes:
    public = key.public_key()  # type: ignore[attr-defined]
    return bytes(
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def tls_files(settings: Settings) -> TlsFiles | None:
    """The TLS files settings name, checked; None when TLS is off. Raises TlsFileError."""
    if not settings.tls_cert_file and not settings.tls_key_file:
        if settings.tls_client_ca_file:
            raise TlsFileError(
                "INVENTORY_TLS_CLIENT_CA_FILE needs INVENTORY_TLS_CERT_FILE and "
                "INVENTORY_TLS_KEY_FILE"
            )
        return None
    if not (settings.tls_cert_file and settings.tls_key_file):
        raise TlsFileError("TLS needs both INVENTORY_TLS_CERT_FILE and INVENTORY_TLS_KEY_FILE")
    chain = _read("INVENTORY_TLS_CERT_FILE", settings.tls_cert_file)
    key_pem = _read("INVENTORY_TLS_KEY_FILE", settings.tls_key_file)
    try:
        certificate = x509.load_pem_x509_certificates(chain)[0]
    except ValueError as error:
        raise TlsFileError(
            f"INVENTORY_TLS_CERT_FILE: {settings.tls_cert_file} holds no PEM certificate"
        ) from error
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as error:
        raise TlsFileError(
            f"INVENTORY_TLS_KEY_FILE: {settings.tls_key_file} holds no unencrypted PEM private key"
        ) from error
    if _public(key) != _public(certificate):
        raise TlsFileError(
            f"INVENTORY_TLS_KEY_FILE: {settings.tls_key_file} is not the key of the "
            f"certificate in {settings.tls_cert_file}"
        )
    client_ca = None
    if settings.tls_client_ca_file:
        client_ca = _read("INVENTORY_TLS_CLIENT_CA_FILE", settings.tls_client_ca_file)
        try:
            x509.load_pem_x509_certificates(client_ca)
        except ValueError as error:
            raise TlsFileError(
                f"INVENTORY_TLS_CLIENT_CA_FILE: {settings.tls_client_ca_file} holds no PEM "
                "certificate"
            ) from error
    return TlsFiles(key_pem, chain, client_ca)
