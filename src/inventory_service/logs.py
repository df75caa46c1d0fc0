"""Structured logging: one JSON object per line (python-json-logger).

Every line has time (UTC, milliseconds), level, logger, pid (of the process: workers share a
log) and message, and the request id of the call it was logged for; a call's structured data,
passed as `extra={"fields": {...}}`, sits at the top level of its line; an exception is one
`exception` field. Tokens are never passed to a logger."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

# The id of the call being served (api/request_ids.py sets it); every line logged on its behalf,
# on the event loop or on a database thread (they run in a copy of its context), carries it.
_request_id: ContextVar[str | None] = ContextVar("inventory_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(request_id: str | None) -> None:
    _request_id.set(request_id)


class JsonFormatter(_LibraryJsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            ["asctime", "levelname", "name", "process", "message"],
            rename_fields={
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "process": "pid",  # which worker process (serve --workers)
                "exc_info": "exception",
            },
            json_default=str,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        log_data["level"] = str(log_data["level"]).lower()
        exception = log_data.pop("exception", None)
        # Formatted where the line is logged (StreamHandler), so in the context of its call.
        request_id = _request_id.get()
        if request_id is not None:
            log_data["request_id"] = request_id
        fields = log_data.pop("fields", None)
        if isinstance(fields, dict):
            log_data.update(fields)
        if exception is not None:
            log_data["exception"] = exception
        return log_data


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Migration chatter is noise on every start; warnings still show.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(level)))


class _UndecodableMetadata(logging.Filter):
    """grpc logs a request header value that is not UTF-8 as an error with a traceback (it then
    reads it as Latin-1 and serves the call): a caller's mistake, not the server's, which any
    client could repeat to flood the log without a token. One warning line instead."""

    MESSAGE = "Invalid encoding on %s"

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == self.MESSAGE:
            value = record.args[0] if isinstance(record.args, tuple) and record.args else b""
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "request metadata value is not UTF-8; read as Latin-1"
            record.args = ()
            record.exc_info = record.exc_text = None
            record.fields = {"value": repr(value)[:80]}
        return True


_undecodable_metadata = _UndecodableMetadata()


def quiet_undecodable_metadata() -> None:
    """Installs the filter above on grpc's logger (once; servers call it when built)."""
    logging.getLogger("grpc._cython.cygrpc").addFilter(_undecodable_metadata)
