"""A configuration error stops `serve` with exit code 2 and a line naming it, whether the parent
finds it before forking (TLS files unreadable, or a key that is not the certificate's) or a
worker does before serving (issue 16: an unreadable key restarted the worker for ever)."""

from __future__ import annotations

import dataclasses
import datetime
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deploy.processes import clean_env
from inventory_service.serving import _worker
from inventory_service.workers import CONFIGURATION_ERROR
from tests.helpers import test_settings

CLI = [sys.executable, "-m", "inventory_service.cli"]
SECRET = "worker-configuration-secret-0123456789"


def _key_and_certificate(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / f"{name}-key.pem", directory / f"{name}-cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "serve", "--listen", "127.0.0.1:0", "--workers", "2"],
        cwd=tmp_path,
        env=clean_env(INVENTORY_JWT_SECRET=SECRET, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unreadable_tls_key_stops_the_server_with_exit_2(tmp_path: Path) -> None:
    _, cert_file = _key_and_certificate(tmp_path, "server")
    result = _serve(
        tmp_path,
        INVENTORY_TLS_CERT_FILE=str(cert_file),
        INVENTORY_TLS_KEY_FILE=str(tmp_path / "missing-key.pem"),
    )
    assert result.returncode == CONFIGURATION_ERROR
    assert "INVENTORY_TLS_KEY_FILE: cannot read" in result.stderr
    assert "worker started" not in result.stderr  # found before any worker was forked


def test_a_key_that_is_not_the_certificates_stops_the_server_with_exit_2(
    tmp_path: Path,
) -> None:
    key_file, _ = _key_and_certificate(tmp_path, "one")
    _, cert_file = _key_and_certificate(tmp_path, "other")
    result = _serve(
        tmp_path, INVENTORY_TLS_CERT_FILE=str(cert_file), INVENTORY_TLS_KEY_FILE=str(key_file)
    )
    assert result.returncode == CONFIGURATION_ERROR
    assert "is not the key of the certificate" in result.stderr


def test_a_worker_that_meets_a_configuration_error_exits_2(tmp_path: Path) -> None:
    """What the parent checked can change before a worker starts (a file removed): the worker
    exits with the configuration code, which stops the whole server (workers.py)."""
    key_file, cert_file = _key_and_certificate(tmp_path, "server")
    key_file.unlink()
    settings = dataclasses.replace(
        test_settings(f"sqlite:///{tmp_path / 'inventory.db'}"),
        tls_cert_file=cert_file,
        tls_key_file=key_file,
    )
    assert _worker(settings) == CONFIGURATION_ERROR
