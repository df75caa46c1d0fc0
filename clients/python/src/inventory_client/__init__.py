"""Python client helpers for the inventory service (stubs live in `inventory.v1`)."""

from inventory_client.connection import Endpoint
from inventory_client.scanner import Backoff, ScannerSession, ScannerStats, SessionFailed

__all__ = ["Backoff", "Endpoint", "ScannerSession", "ScannerStats", "SessionFailed"]
