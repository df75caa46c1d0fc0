"""The metrics endpoint (INVENTORY_METRICS_LISTEN): Prometheus text over HTTP, in a process of
its own under `serve`, adding up what every worker recorded (prometheus-client's multiprocess
mode) and asking the database, at each scrape, what only it knows (adjustments waiting for
approval, whether it answers): bootstrap.py hands it the service call that reads them."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from inventory_service.services.adjustments.adjustment_views import PendingApprovals
from inventory_service.settings import split_listen

log = logging.getLogger("inventory_service.metrics")
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_multiprocess_dir() -> Path:
    """A fresh directory for the workers' metric files. Call before prometheus_client is
    imported: it picks its storage (memory or files) once, at import."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess directory")
    path = Path(tempfile.mkdtemp(prefix="inventory-metrics-"))
    os.environ[MULTIPROCESS_ENV] = str(path)
    return path


class DatabaseCollector:
    """Figures read from the database at scrape time, the same for every worker and replica."""

    def __init__(self, pending_approvals: Callable[[], PendingApprovals]) -> None:
        self.pending_approvals = pending_approvals

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily(
            "inventory_database_up", "1 when the database answered the last scrape, else 0."
        )
        try:
            pending = self.pending_approvals()
        except Exception as error:  # an outage is a figure here, not a failed scrape
            log.warning(
                "metrics: the database did not answer", extra={"fields": {"error": str(error)}}
            )
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "inventory_pending_adjustments",
            "Stock adjustments waiting for a manager's approval.",
            value=pending.waiting,
        )
        oldest = pending.oldest_created_at
        age = 0.0 if oldest is None else max(0.0, time.time() - oldest.timestamp())
        yield GaugeMetricFamily(
            "inventory_oldest_pending_adjustment_seconds",
            "Age of the oldest adjustment waiting for approval (0 when none waits).",
            value=age,
        )


class _ReusePortServer(WSGIServer):
    """Binds with SO_REUSEPORT: the parent keeps the port reserved across restarts."""

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().server_bind()


class _ReusePortServer6(_ReusePortServer):
    address_family = socket.AF_INET6


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes are not news
        pass


def serve_metrics(listen: str, pending_approvals: Callable[[], PendingApprovals]) -> int:
    """Serves /metrics on listen (a concrete host:port) until SIGTERM."""
    from prometheus_client import CollectorRegistry, make_wsgi_app
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(DatabaseCollector(pending_approvals))
    host, port = split_listen(listen)
    server_class = _ReusePortServer6 if ":" in host else _ReusePortServer
    httpd = make_server(
        host, port, make_wsgi_app(registry), server_class=server_class, handler_class=_QuietHandler
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info("metrics serving", extra={"fields": {"listen": listen, "port": port}})
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
    return 0
