"""A request header that is not UTF-8 (no token needed to send one) costs one warning line, no
traceback, and the call is answered as usual (issue 16). grpc's own clients refuse to send such
a header, so the call is written as raw HTTP/2 frames here."""

from __future__ import annotations

import io
import json
import logging
import socket
import struct
import time
from collections.abc import Iterator

import pytest

from inventory_service.logs import JsonFormatter
from tests.helpers import ServerThread

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _literal(name: bytes, value: bytes) -> bytes:
    """An HPACK header field, literal without indexing, new name, no Huffman coding."""
    assert max(len(name), len(value)) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def _frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))[1:]
        + bytes([kind, flags])
        + struct.pack(">I", stream)
        + payload
    )


def raw_unary_call(port: int, path: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """Sends one gRPC call with an empty request message; returns every byte the server sent
    until it closed or went quiet."""
    fields = [
        (b":method", b"POST"),
        (b":scheme", b"http"),
        (b":path", path),
        (b":authority", b"localhost"),
        (b"content-type", b"application/grpc"),
        (b"te", b"trailers"),
        *headers,
    ]
    block = b"".join(_literal(name, value) for name, value in fields)
    settings, headers_end, data_end = 0x4, 0x4, 0x1
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(
            PREFACE
            + _frame(settings, 0, 0, b"")
            + _frame(0x1, headers_end, 1, block)
            + _frame(0x0, data_end, 1, b"\x00" + struct.pack(">I", 0))
        )
        received = b""
        connection.settimeout(1.0)
        try:
            while b"grpc-status" not in received:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
        except TimeoutError:
            pass
    return received


@pytest.fixture
def process_log() -> Iterator[io.StringIO]:
    """Every line logged in this process (grpc's loggers too), formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_header_that_is_not_utf8_is_one_warning_line_without_traceback(
    sqlite_server: ServerThread, process_log: io.StringIO
) -> None:
    answer = raw_unary_call(
        sqlite_server.port,
        b"/inventory.v1.CatalogService/ListProducts",
        [(b"x-scanner-name", b"caf\xe9 \xff\xfe")],
    )
    assert b"grpc-status" in answer  # answered: no token, so UNAUTHENTICATED
    deadline = time.monotonic() + 10  # the access line is written just after the answer
    while '"message": "rpc"' not in process_log.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    lines = [json.loads(line) for line in process_log.getvalue().splitlines()]
    assert [line for line in lines if line["level"] == "error" or "exception" in line] == []
    warnings = [line for line in lines if line["level"] == "warning"]
    assert [line["message"] for line in warnings] == [
        "request metadata value is not UTF-8; read as Latin-1"
    ]
    access = [line for line in lines if line["message"] == "rpc"]
    assert [line["code"] for line in access] == ["UNAUTHENTICATED"]
