"""Where the service is and who is calling: address, token and TLS from arguments or the
environment, and the channels to it.

    INVENTORY_ADDRESS            host:port (default 127.0.0.1:50051)
    INVENTORY_TOKEN              bearer token (JWT) sent with every call
    INVENTORY_CA_FILE            TLS: trust the server certificate signed by this CA (PEM)
    INVENTORY_CLIENT_CERT_FILE   mutual TLS: this client's certificate chain (PEM) ...
    INVENTORY_CLIENT_KEY_FILE    ... and its private key (PEM)
    INVENTORY_TLS                1/true: TLS with the system's trusted roots (implied by the above)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

DEFAULT_ADDRESS = "127.0.0.1:50051"
ADDRESS_ENV = "INVENTORY_ADDRESS"
TOKEN_ENV = "INVENTORY_TOKEN"
CA_FILE_ENV = "INVENTORY_CA_FILE"
CERT_FILE_ENV = "INVENTORY_CLIENT_CERT_FILE"
KEY_FILE_ENV = "INVENTORY_CLIENT_KEY_FILE"
TLS_ENV = "INVENTORY_TLS"

Metadata = tuple[tuple[str, str], ...]

# Scanners keep a stream open for a whole shift over Wi-Fi. Keepalive pings notice a dead
# connection within about 40 s (the server permits pings every 10 s); a short reconnect
# backoff brings a restarted server back quickly (the session adds its own, jittered).
CHANNEL_OPTIONS: list[tuple[str, int]] = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 5_000),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]


@dataclass(frozen=True)
class Tls:
    """TLS to the server: its CA (None: the system's roots), and for mutual TLS this client's
    certificate and key. server_name overrides the name checked in the server's certificate
    (when the address is an IP or a tunnel)."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    server_name: str | None = None

    def __post_init__(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("a client certificate needs its key, and a key its certificate")

    def credentials(self) -> grpc.ChannelCredentials:
        def read(path: Path | None) -> bytes | None:
            return None if path is None else Path(path).read_bytes()

        return grpc.ssl_channel_credentials(
            root_certificates=read(self.ca_file),
            private_key=read(self.key_file),
            certificate_chain=read(self.cert_file),
        )

    def options(self) -> list[tuple[str, str]]:
        return [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Tls | None:
        def path(name: str) -> Path | None:
            value = env.get(name, "").strip()
            return Path(value) if value else None

        ca, cert, key = path(CA_FILE_ENV), path(CERT_FILE_ENV), path(KEY_FILE_ENV)
        wanted = env.get(TLS_ENV, "").strip().lower() in {"1", "true", "yes"}
        if not (wanted or ca or cert or key):
            return None
        return cls(ca_file=ca, cert_file=cert, key_file=key)


@dataclass(frozen=True)
class Endpoint:
    """An address, an optional bearer token and optional TLS (plaintext without it)."""

    address: str = DEFAULT_ADDRESS
    token: str | None = None
    tls: Tls | None = None

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        address: str | None = None,
        token: str | None = None,
        tls: Tls | None = None,
    ) -> Endpoint:
        """Arguments given win; the rest comes from INVENTORY_* variables, then defaults."""
        values = os.environ if env is None else env
        return cls(
            address or values.get(ADDRESS_ENV, "").strip() or DEFAULT_ADDRESS,
            token or values.get(TOKEN_ENV, "").strip() or None,
            tls or Tls.from_env(values),
        )

    def metadata(self, *extra: tuple[str, str]) -> Metadata:
        auth = (("authorization", f"Bearer {self.token}"),) if self.token else ()
        return (*auth, *extra)

    def channel(self) -> grpc.aio.Channel:
        """An asyncio channel (create it inside a running event loop), for ScannerSession."""
        if self.tls is None:
            return grpc.aio.insecure_channel(self.address, options=CHANNEL_OPTIONS)
        return grpc.aio.secure_channel(self.address, self.tls.credentials(), self._tls_options())

    def blocking_channel(self) -> grpc.Channel:
        """A blocking channel, for InventoryClient."""
        if self.tls is None:
            return grpc.insecure_channel(self.address, options=CHANNEL_OPTIONS)
        return grpc.secure_channel(self.address, self.tls.credentials(), self._tls_options())

    def _tls_options(self) -> list[tuple[str, str | int]]:
        return [*CHANNEL_OPTIONS, *(self.tls.options() if self.tls else [])]
