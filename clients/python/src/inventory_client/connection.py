"""Where the service is and who is calling: address and token from the environment, channels."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import grpc

DEFAULT_ADDRESS = "127.0.0.1:50051"
ADDRESS_ENV = "INVENTORY_ADDRESS"
TOKEN_ENV = "INVENTORY_TOKEN"

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
class Endpoint:
    """An address and an optional bearer token."""

    address: str = DEFAULT_ADDRESS
    token: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Endpoint:
        values = os.environ if env is None else env
        address = values.get(ADDRESS_ENV, "").strip() or DEFAULT_ADDRESS
        token = values.get(TOKEN_ENV, "").strip() or None
        return cls(address, token)

    def metadata(self, *extra: tuple[str, str]) -> Metadata:
        auth = (("authorization", f"Bearer {self.token}"),) if self.token else ()
        return (*auth, *extra)

    def channel(self) -> grpc.aio.Channel:
        """A plaintext asyncio channel (call inside a running event loop)."""
        return grpc.aio.insecure_channel(self.address, options=CHANNEL_OPTIONS)
