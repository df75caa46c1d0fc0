"""Unexpected exceptions become a bare INTERNAL: no message or stack trace reaches the client."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from inventory_service.api.interceptors import AccessLogInterceptor, ErrorInterceptor
from inventory_service.domain.errors import FailedPrecondition, PreconditionViolation
from tests.helpers import (
    error_info,
    expect_error,
    precondition_violations,
)

SECRET_DETAIL = "password=hunter2 at /srv/app/secret.py line 42"


async def _crash(request: bytes, context: Any) -> bytes:
    raise RuntimeError(SECRET_DETAIL)


async def _refuse(request: bytes, context: Any) -> bytes:
    raise FailedPrecondition(
        "count is closed",
        reason="COUNT_NOT_IN_PROGRESS",
        violations=[PreconditionViolation("STATUS", "inventoryCounts/1", "count is COMPLETED")],
    )


async def _crash_stream(requests: Any, context: Any) -> Any:
    async for _ in requests:
        raise RuntimeError(SECRET_DETAIL)
    yield b""


@pytest.fixture
def toy_port() -> Iterator[int]:
    """A grpc.aio server with only the error interceptors and handlers that fail."""
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def main() -> None:
        server = grpc.aio.server(interceptors=[AccessLogInterceptor(), ErrorInterceptor()])
        handlers = {
            "Crash": grpc.unary_unary_rpc_method_handler(_crash),
            "Refuse": grpc.unary_unary_rpc_method_handler(_refuse),
            "CrashStream": grpc.stream_stream_rpc_method_handler(_crash_stream),
        }
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("toy.Toy", handlers)])
        state["port"] = server.add_insecure_port("127.0.0.1:0")
        state["stop"] = asyncio.Event()
        state["loop"] = asyncio.get_running_loop()
        await server.start()
        ready.set()
        await state["stop"].wait()
        await server.stop(0)

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    yield state["port"]
    state["loop"].call_soon_threadsafe(state["stop"].set)
    thread.join(10)


def test_unexpected_exception_is_internal_without_details(toy_port: int) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{toy_port}") as channel:
        crash = channel.unary_unary("/toy.Toy/Crash")
        error = expect_error(grpc.StatusCode.INTERNAL, crash, b"")
        assert SECRET_DETAIL not in (error.details() or "")
        assert "Traceback" not in (error.details() or "")
        assert error_info(error).reason == "INTERNAL"
        stream = channel.stream_stream("/toy.Toy/CrashStream")
        error = expect_error(grpc.StatusCode.INTERNAL, lambda: list(stream(iter([b"x"]))))
        assert SECRET_DETAIL not in (error.details() or "")


def test_domain_error_carries_precondition_failure(toy_port: int) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{toy_port}") as channel:
        error = expect_error(
            grpc.StatusCode.FAILED_PRECONDITION, channel.unary_unary("/toy.Toy/Refuse"), b""
        )
        assert error.details() == "count is closed"
        assert error_info(error).reason == "COUNT_NOT_IN_PROGRESS"
        [violation] = precondition_violations(error)
        assert (violation.type, violation.subject) == ("STATUS", "inventoryCounts/1")
