"""Logs are one JSON object per line with the same keys on every line, and never a token."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
import time
from datetime import datetime
from decimal import Decimal

import grpc

from inventory.v1 import catalog_pb2
from inventory_service.domain.identity import Role
from inventory_service.logs import JsonFormatter
from tests.helpers import Clients, auth, expect_error, token

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


def record(
    message: str, *args: object, exc_info: object = None, extra: dict[str, object] | None = None
) -> logging.LogRecord:
    logger = logging.getLogger("inventory_service.test")
    return logger.makeRecord(
        logger.name,
        logging.WARNING,
        __file__,
        1,
        message,
        args,
        exc_info,
        extra=extra,  # type: ignore[arg-type]
    )


def test_a_line_has_time_level_logger_pid_message_and_the_fields_at_the_top() -> None:
    entry = record("rpc %s", "done", extra={"fields": {"method": "/x", "code": "OK", "n": 3}})

    line = json.loads(JsonFormatter().format(entry))

    assert line == {
        "time": line["time"],
        "level": "warning",
        "logger": "inventory_service.test",
        "pid": os.getpid(),  # worker processes share one log
        "message": "rpc done",
        "method": "/x",
        "code": "OK",
        "n": 3,
    }
    assert TIME.match(line["time"]), line["time"]
    stamp = datetime.fromisoformat(line["time"])
    assert abs(stamp.timestamp() - entry.created) < 0.001


def test_values_json_cannot_hold_are_written_as_text() -> None:
    entry = record("x", extra={"fields": {"value": Decimal("12.50"), "at": datetime(2024, 1, 2)}})

    line = json.loads(JsonFormatter().format(entry))

    assert line["value"] == "12.50"
    assert line["at"].startswith("2024-01-02")


def test_an_exception_is_one_field_of_its_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        entry = record("failed", exc_info=sys.exc_info())

    text = JsonFormatter().format(entry)

    assert "\n" not in text  # one line, whatever the traceback
    line = json.loads(text)
    assert line["message"] == "failed"
    assert line["exception"].startswith("Traceback")
    assert "ValueError: boom" in line["exception"]


def test_calls_are_logged_with_their_caller_and_never_a_token(
    api: Clients, server_log: io.StringIO
) -> None:
    good = token(Role.STAFF, sub="log-reader")
    bad = good[:-4] + "AAAA"
    api.catalog.ListProducts(catalog_pb2.ListProductsRequest(), metadata=auth(Role.STAFF, "x"))
    api.catalog.ListProducts(
        catalog_pb2.ListProductsRequest(), metadata=[("authorization", f"Bearer {good}")]
    )
    expect_error(
        grpc.StatusCode.UNAUTHENTICATED,
        api.catalog.ListProducts,
        catalog_pb2.ListProductsRequest(),
        metadata=[("authorization", f"Bearer {bad}")],
    )

    # The server writes a call's line as the call ends, which may be just after the client
    # has its answer.
    deadline = time.monotonic() + 10
    while server_log.getvalue().count('"message": "rpc"') < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    lines = [json.loads(text) for text in server_log.getvalue().splitlines()]
    calls = [line for line in lines if line["message"] == "rpc"]
    assert [(c["caller"], c["code"]) for c in calls] == [
        ("x", "OK"),
        ("log-reader", "OK"),
        (None, "UNAUTHENTICATED"),
    ]
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)
    signatures = {good.rsplit(".", 1)[1], bad.rsplit(".", 1)[1]}
    assert not [s for s in signatures if s in server_log.getvalue()]
    assert "Bearer" not in server_log.getvalue()
