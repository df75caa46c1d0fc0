"""Python client of the inventory service.

The generated stubs are the `inventory.v1` package (built from protos/ with this package).
InventoryClient makes typed unary calls with deadlines, safe retries and rich errors;
ScannerSession streams count entries exactly once over a flaky connection.
"""

from inventory_client.client import DEFAULT_DEADLINE, InventoryClient, with_request_id
from inventory_client.connection import Endpoint, Tls
from inventory_client.errors import (
    Aborted,
    AlreadyExists,
    Cancelled,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    InventoryError,
    NotFound,
    PermissionDenied,
    PreconditionViolation,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    error_from_rpc,
    error_from_status,
)
from inventory_client.retry import NO_RETRY, Backoff, RetryPolicy
from inventory_client.scanner import ScannerSession, ScannerStats, SessionFailed

__all__ = [
    "DEFAULT_DEADLINE",
    "NO_RETRY",
    "Aborted",
    "AlreadyExists",
    "Backoff",
    "Cancelled",
    "DeadlineExceeded",
    "Endpoint",
    "FailedPrecondition",
    "FieldViolation",
    "InvalidArgument",
    "InventoryClient",
    "InventoryError",
    "NotFound",
    "PermissionDenied",
    "PreconditionViolation",
    "ResourceExhausted",
    "RetryPolicy",
    "ScannerSession",
    "ScannerStats",
    "SessionFailed",
    "Tls",
    "Unauthenticated",
    "Unavailable",
    "error_from_rpc",
    "error_from_status",
    "with_request_id",
]
