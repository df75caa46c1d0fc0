"""`inventory-service serve`: the start-up work done once (migrations, the demo catalog), then
the server processes (workers.py forks and supervises them) and the metrics endpoint's process.

Nothing here makes a gRPC or database object in the parent: each child builds its own after the
fork (bootstrap.py), as grpc's examples/python/multiprocessing does."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import os
import signal
import socket
from collections.abc import Callable

from prometheus_client.multiprocess import mark_process_dead

from inventory_service.api.server import (
    ANSWER_SECONDS,
    THREADS_SECONDS,
    ConfigurationError,
    check_configuration,
)
from inventory_service.api.tokens import mint_token
from inventory_service.bootstrap import (
    build_services,
    create_server,
    open_database,
    pending_approvals_reader,
)
from inventory_service.db.engine import printable_url
from inventory_service.domain.identity import Role
from inventory_service.metrics_endpoint import loopback_unless_named, serve_metrics
from inventory_service.settings import Settings, split_listen
from inventory_service.workers import (
    CONFIGURATION_ERROR,
    Child,
    Supervisor,
    default_workers,
    reserve_port,
    run_in_child,
)

log = logging.getLogger("inventory_service")


def serve(settings: Settings) -> int:
    """Serves until SIGTERM or SIGINT, then drains every worker; the exit code (2: the
    configuration is wrong)."""
    try:
        check_configuration(settings)
    except ConfigurationError as error:
        log.error(str(error))
        return CONFIGURATION_ERROR
    if settings.metrics_listen:
        settings = dataclasses.replace(
            settings, metrics_listen=loopback_unless_named(settings.metrics_listen)
        )
    for address in filter(None, (settings.listen, settings.metrics_listen)):
        if _in_use(address):
            log.error("address already in use", extra={"fields": {"listen": address}})
            return CONFIGURATION_ERROR
    # The ports stay reserved while workers come and go (a restarted worker binds them again).
    with contextlib.ExitStack() as reserved:
        socket_, listen = reserve_port(settings.listen)
        reserved.callback(socket_.close)
        settings = dataclasses.replace(settings, listen=listen)
        code = run_in_child(functools.partial(_prepare, settings))
        if code != 0:
            return code
        if settings.dev_mode:
            _print_dev_tokens(settings, split_listen(listen)[1])
        workers = _worker_count(settings)
        children = [
            Child(f"worker-{i}", functools.partial(_worker, settings)) for i in range(workers)
        ]
        on_death: Callable[[int], None] = lambda pid: None  # noqa: E731
        if settings.metrics_listen:
            metrics_socket, metrics_listen = reserve_port(settings.metrics_listen)
            reserved.callback(metrics_socket.close)
            children.append(Child("metrics", functools.partial(_metrics, settings, metrics_listen)))
            on_death = mark_process_dead  # a dead worker's live gauges leave the sums
        log.info("starting workers", extra={"fields": {"workers": workers, "listen": listen}})
        # A worker stops within grace + ANSWER_SECONDS + THREADS_SECONDS (api/server.py).
        stop_seconds = settings.shutdown_grace_seconds + ANSWER_SECONDS + THREADS_SECONDS + 2.0
        code = Supervisor(children, on_death, stop_seconds=stop_seconds).run()
    log.info("stopped", extra={"fields": {"exit_code": code}})
    return code


def _prepare(settings: Settings) -> int:
    """Start-up work done once, before the workers: migrations, and the demo catalog."""
    engine, uow_factory = open_database(dataclasses.replace(settings, db_workers=1))
    try:
        if settings.demo_data:
            from inventory_service.demo import load_demo_catalog

            services = build_services(uow_factory, settings)
            loaded = load_demo_catalog(services.products, services.batches)
            if loaded:
                log.info("loaded demo catalog", extra={"fields": {"products": loaded}})
    finally:
        engine.dispose()
    return 0


def _worker(settings: Settings) -> int:
    try:
        return asyncio.run(_serve(settings))
    except ConfigurationError as error:
        log.error(str(error))
        return CONFIGURATION_ERROR


async def until_stop_signal() -> None:
    """Returns when the process gets SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _serve(settings: Settings) -> int:
    """One server process: serves until SIGTERM or SIGINT, then drains."""
    app, port = create_server(settings, reuse_port=True)
    await app.start()
    log.info("serving", extra={"fields": {"listen": settings.listen, "port": port}})
    await until_stop_signal()
    log.info("draining", extra={"fields": {"grace_seconds": settings.shutdown_grace_seconds}})
    if not await app.stop(settings.shutdown_grace_seconds):
        # A database thread did not come back (a driver that ignored the cancel): nothing it
        # does can commit any more (db/cutoff.py), so it must not hold the process either.
        log.warning("stopped with database work still running; exiting anyway")
        logging.shutdown()
        os._exit(0)
    log.info("stopped")
    return 0


def _metrics(settings: Settings, listen: str) -> int:
    pending_approvals, close = pending_approvals_reader(settings)
    try:
        return serve_metrics(listen, pending_approvals, settings.db_check_interval_seconds)
    finally:
        close()


def _worker_count(settings: Settings) -> int:
    if settings.workers > 0:
        return settings.workers
    # Development mode serves from one process: SQLite takes one writer at a time whatever
    # the number of processes, and one process prints one log to read.
    return 1 if settings.dev_mode else default_workers()


def _in_use(listen: str) -> bool:
    """Whether a server already accepts connections on listen (port 0: never)."""
    host, port = split_listen(listen)
    if port == 0:
        return False
    try:
        socket.create_connection((host or "127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _print_dev_tokens(settings: Settings, port: int) -> None:
    assert settings.jwt_secret
    lines = [
        "",
        "=" * 78,
        " DEVELOPMENT MODE - these tokens are for local development only (valid 12 h)",
        f" Serving on {settings.listen.rsplit(':', 1)[0]}:{port}",
        f" Database: {printable_url(settings.database_url)}",
        "=" * 78,
    ]
    for role in Role:
        token = mint_token(
            settings.jwt_secret,
            sub=f"dev-{role.name.lower()}",
            role=role,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        lines.append(f" {role.name.lower():8} {token}")
    lines += ["=" * 78, ""]
    print("\n".join(lines), flush=True)
