"""Structured logging: one JSON object per line (python-json-logger).

Every line has time (UTC, milliseconds), level, logger and message; a call's structured data,
passed as `extra={"fields": {...}}`, sits at the top level of its line; an exception is one
`exception` field. Tokens are never passed to a logger."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter


class JsonFormatter(_LibraryJsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            ["asctime", "levelname", "name", "message"],
            rename_fields={
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "exc_info": "exception",
            },
            json_default=str,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        log_data["level"] = str(log_data["level"]).lower()
        exception = log_data.pop("exception", None)
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
