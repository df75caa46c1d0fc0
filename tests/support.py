"""Test support: a real server on a free port in a background thread, clients, rich errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from inventory.v1 import (
    catalog_pb2_grpc,
    inventory_count_pb2_grpc,
    stock_adjustment_pb2_grpc,
)
from inventory_service.api.tokens import mint_token
from inventory_service.domain.identity import Role
from inventory_service.server import InventoryServer, create_server
from inventory_service.settings import Settings

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256"


class ServerThread:
    """Runs create_server(settings) on its own event loop until stop()."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = 0
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._grace = 1.0
        self.app: InventoryServer | None = None
        self._thread = threading.Thread(target=self._run, name="test-server", daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error:
            raise self._error
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # surfaced to the test thread
            self._error = error
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.app, self.port = create_server(self.settings)
        await self.app.start()
        self._ready.set()
        await self._stop.wait()
        await self.app.stop(self._grace)

    def stop(self, grace: float = 1.0) -> None:
        """Stops serving; calls still open after grace seconds are cancelled."""
        self._grace = grace
        if self._loop and self._stop and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def test_settings(database_url: str, **overrides: Any) -> Settings:
    return replace(
        Settings(),
        listen="127.0.0.1:0",
        database_url=database_url,
        jwt_secret=TEST_SECRET,
        db_workers=4,
        **overrides,
    )


def write_public_key(private_key: Any, path: Path) -> Path:
    """Writes the PEM public key of an RSA or EC private key, for INVENTORY_JWT_PUBLIC_KEY_FILE."""
    path.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


@contextmanager
def public_key_server(
    database_url: str, private_key: Any, key_file: Path, **overrides: Any
) -> Iterator[ServerThread]:
    """A server verifying tokens with the public half of private_key (RS256 or ES256)."""
    settings = replace(
        test_settings(database_url),
        jwt_secret=None,
        jwt_public_key_file=write_public_key(private_key, key_file),
        page_token_secret="page-token-secret-of-a-public-key-server",
        **overrides,
    )
    thread = ServerThread(settings).start()
    try:
        yield thread
    finally:
        thread.stop()


def token(role: Role, sub: str | None = None, **kwargs: Any) -> str:
    return mint_token(TEST_SECRET, sub=sub or f"{role.name.lower()}-user", role=role, **kwargs)


def auth(role: Role, sub: str | None = None) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token(role, sub)}")]


@dataclass
class Clients:
    channel: grpc.Channel
    catalog: catalog_pb2_grpc.CatalogServiceStub
    counts: inventory_count_pb2_grpc.InventoryCountServiceStub
    adjustments: stock_adjustment_pb2_grpc.StockAdjustmentServiceStub


@contextmanager
def clients(port: int) -> Iterator[Clients]:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Clients(
            channel,
            catalog_pb2_grpc.CatalogServiceStub(channel),
            inventory_count_pb2_grpc.InventoryCountServiceStub(channel),
            stock_adjustment_pb2_grpc.StockAdjustmentServiceStub(channel),
        )
    finally:
        channel.close()


def expect_error(code: grpc.StatusCode, call: Any, *args: Any, **kwargs: Any) -> grpc.RpcError:
    """Calls call(*args, **kwargs), asserts it fails with code, and returns the error."""
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, **kwargs)
    error = raised.value
    assert error.code() == code, f"expected {code.name}, got {error.code()}: {error.details()}"
    return error


def rich_status(error: grpc.RpcError) -> status_pb2.Status:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None, "error carries no google.rpc.Status"
    return status


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    for detail in rich_status(error).details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError("no ErrorInfo detail")


def field_violations(error: grpc.RpcError) -> dict[str, str]:
    for detail in rich_status(error).details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            return {v.field: v.description for v in bad.field_violations}
    raise AssertionError("no BadRequest detail")


def precondition_violations(
    error: grpc.RpcError,
) -> list[error_details_pb2.PreconditionFailure.Violation]:
    for detail in rich_status(error).details:
        if detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            return list(failure.violations)
    raise AssertionError("no PreconditionFailure detail")


# A helper, not a test, despite its name.
test_settings.__test__ = False  # type: ignore[attr-defined]
