"""TLS, and mutual TLS when a client CA is configured."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from inventory_client import NO_RETRY, InventoryClient, Tls, Unavailable
from inventory_service.domain.identity import Role
from tests.helpers import ServerThread, test_settings, token


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
    *,
    ca: bool = False,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, bytes]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("test CA", ca_key, ca=True)
    files: dict[str, bytes] = {"ca": ca.public_bytes(serialization.Encoding.PEM)}
    for who in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate("localhost" if who == "server" else "scanner-7", key, (ca, ca_key))
        files[f"{who}_key"] = _pem_key(key)
        files[f"{who}_cert"] = cert.public_bytes(serialization.Encoding.PEM)
    for name, data in files.items():
        (tmp_path / f"{name}.pem").write_bytes(data)
    return files


def _server(database_url: str, tmp_path: Path, *, mutual: bool) -> ServerThread:
    settings = replace(
        test_settings(database_url),
        tls_cert_file=tmp_path / "server_cert.pem",
        tls_key_file=tmp_path / "server_key.pem",
        tls_client_ca_file=(tmp_path / "ca.pem") if mutual else None,
    )
    return ServerThread(settings).start()


def _health(port: int, credentials: grpc.ChannelCredentials) -> int:
    options = [("grpc.ssl_target_name_override", "localhost")]
    with grpc.secure_channel(f"127.0.0.1:{port}", credentials, options=options) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        return stub.Check(health_pb2.HealthCheckRequest(), timeout=10).status


@pytest.fixture
def tls_server(database_url: str, tmp_path: Path, pki: dict[str, bytes]) -> Iterator[ServerThread]:
    thread = _server(database_url, tmp_path, mutual=False)
    yield thread
    thread.stop()


@pytest.fixture
def mtls_server(database_url: str, tmp_path: Path, pki: dict[str, bytes]) -> Iterator[ServerThread]:
    thread = _server(database_url, tmp_path, mutual=True)
    yield thread
    thread.stop()


def test_tls_serves_clients_that_trust_the_ca(
    tls_server: ServerThread, pki: dict[str, bytes]
) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=pki["ca"])
    assert _health(tls_server.port, credentials) == health_pb2.HealthCheckResponse.SERVING


def test_mutual_tls_requires_a_client_certificate(
    mtls_server: ServerThread, pki: dict[str, bytes]
) -> None:
    with_cert = grpc.ssl_channel_credentials(
        root_certificates=pki["ca"],
        private_key=pki["client_key"],
        certificate_chain=pki["client_cert"],
    )
    assert _health(mtls_server.port, with_cert) == health_pb2.HealthCheckResponse.SERVING
    without_cert = grpc.ssl_channel_credentials(root_certificates=pki["ca"])
    with pytest.raises(grpc.RpcError) as raised:
        _health(mtls_server.port, without_cert)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE


def test_python_client_calls_over_mutual_tls_configured_by_the_environment(
    mtls_server: ServerThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_ADDRESS", f"localhost:{mtls_server.port}")
    monkeypatch.setenv("INVENTORY_TOKEN", token(Role.STAFF, "tls-staff"))
    monkeypatch.setenv("INVENTORY_CA_FILE", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("INVENTORY_CLIENT_CERT_FILE", str(tmp_path / "client_cert.pem"))
    monkeypatch.setenv("INVENTORY_CLIENT_KEY_FILE", str(tmp_path / "client_key.pem"))
    with InventoryClient() as client:
        assert list(client.iter_products()) == []
    # Without the client certificate the handshake fails: UNAVAILABLE.
    no_cert = Tls(ca_file=tmp_path / "ca.pem")
    with InventoryClient(tls=no_cert, retry=NO_RETRY) as client, pytest.raises(Unavailable):
        client.list_products()
