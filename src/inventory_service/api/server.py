"""The gRPC server stack: interceptors, limits, keepalive, TLS, health and reflection, and the
running server's start and orderly stop. What it serves is wired in bootstrap.py."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from inventory.v1 import (
    catalog_pb2,
    catalog_pb2_grpc,
    inventory_count_pb2,
    inventory_count_pb2_grpc,
    site_pb2,
    site_pb2_grpc,
    stock_adjustment_pb2,
    stock_adjustment_pb2_grpc,
)
from inventory_service.api.adjustment_servicer import AdjustmentServicer
from inventory_service.api.blocking import BlockingRunner
from inventory_service.api.call_limits import (
    CallerLimitInterceptor,
    CallLimitInterceptor,
    grpc_backstop,
)
from inventory_service.api.catalog_servicer import CatalogServicer
from inventory_service.api.count_servicer import CountServicer
from inventory_service.api.interceptors import (
    AccessLogInterceptor,
    AuthInterceptor,
    ErrorInterceptor,
    RequestIdInterceptor,
)
from inventory_service.api.method_roles import MissingRoleError, method_roles
from inventory_service.api.readiness import ReadinessMonitor
from inventory_service.api.request_guard import RequestGuardInterceptor
from inventory_service.api.site_servicer import SiteServicer
from inventory_service.api.tls import TlsFileError, TlsFiles, tls_files
from inventory_service.api.tokens import TokenVerifier
from inventory_service.api.tracing import Tracing, TracingUnavailable, start_tracing
from inventory_service.domain.cycle_plan import CyclePlan
from inventory_service.domain.identity import Role
from inventory_service.logs import quiet_undecodable_metadata
from inventory_service.settings import Settings, SettingsError, check_cycle_plan

# The services of the contract this server serves; their RPCs declare the roles they need.
SERVICES = [
    catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"],
    inventory_count_pb2.DESCRIPTOR.services_by_name["InventoryCountService"],
    stock_adjustment_pb2.DESCRIPTOR.services_by_name["StockAdjustmentService"],
    site_pb2.DESCRIPTOR.services_by_name["SiteService"],
]
SERVICE_NAMES = [service.full_name for service in SERVICES]


# Shutdown: after grace, calls whose database work was cancelled get this long to answer, and
# then the database threads this long to come back.
ANSWER_SECONDS = 2.0
THREADS_SECONDS = 3.0


class ConfigurationError(Exception):
    pass


def role_table() -> dict[str, Role]:
    """Method path -> least role, from the contract (see api/method_roles.py)."""
    try:
        return method_roles(SERVICES)
    except MissingRoleError as error:
        raise ConfigurationError(str(error)) from error


def check_configuration(settings: Settings) -> None:
    """What create_server would refuse, checked without building anything (the parent of the
    worker processes checks it once, before it touches the database)."""
    role_table()
    token_verifier(settings)
    page_token_secret(settings)
    cycle_plan(settings)
    checked_tls_files(settings)


def checked_tls_files(settings: Settings) -> TlsFiles | None:
    try:
        return tls_files(settings)
    except TlsFileError as error:
        raise ConfigurationError(str(error)) from error


def cycle_plan(settings: Settings) -> CyclePlan:
    try:
        check_cycle_plan(settings.cycle_plan)
    except SettingsError as error:
        raise ConfigurationError(str(error)) from error
    return settings.cycle_plan


def server_tracing() -> Tracing | None:
    """Tracing as the OTEL_* variables ask (api/tracing.py); None when off."""
    try:
        return start_tracing()
    except TracingUnavailable as error:
        raise ConfigurationError(str(error)) from error


def token_verifier(settings: Settings) -> TokenVerifier:
    if settings.jwt_public_key_file:
        try:
            return TokenVerifier.from_public_key_file(
                settings.jwt_public_key_file,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                max_lifetime_seconds=settings.jwt_max_lifetime_seconds,
            )
        except (OSError, ValueError) as error:
            raise ConfigurationError(f"INVENTORY_JWT_PUBLIC_KEY_FILE: {error}") from error
    if settings.jwt_secret:
        return TokenVerifier.from_secret(
            settings.jwt_secret,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            max_lifetime_seconds=settings.jwt_max_lifetime_seconds,
        )
    raise ConfigurationError(
        "no JWT key: set INVENTORY_JWT_SECRET or INVENTORY_JWT_PUBLIC_KEY_FILE (or use --dev)"
    )


def page_token_secret(settings: Settings) -> bytes:
    """The key page tokens are signed with: the configured secret, or one derived from the
    HS256 secret. Never from a public key, which anyone may read (and then forge tokens)."""
    if settings.page_token_secret:
        seed = settings.page_token_secret
    elif settings.jwt_secret and not settings.jwt_public_key_file:
        seed = "page-tokens:" + settings.jwt_secret
    else:
        raise ConfigurationError(
            "set INVENTORY_PAGE_TOKEN_SECRET: with a public key (INVENTORY_JWT_PUBLIC_KEY_FILE) "
            "the server has no secret to sign page tokens with"
        )
    return hashlib.sha256(seed.encode()).digest()


@dataclass
class InventoryServer:
    """The running parts; stop() drains calls and releases them in order."""

    grpc_server: grpc.aio.Server
    readiness: ReadinessMonitor
    runner: BlockingRunner
    # At the end of grace: no commit from now on, running statements cancelled (db/cutoff.py).
    cut_off_database: Callable[[], None]
    close_database: Callable[[], None]
    # Called first on shutdown: long-lived streams end themselves instead of waiting out grace.
    drain_hooks: list[Callable[[], None]] = field(default_factory=list)
    tracing: Tracing | None = None

    async def start(self) -> None:
        await self.grpc_server.start()
        await self.readiness.start()

    async def stop(self, grace: float | None) -> bool:
        """Stops within grace + ANSWER_SECONDS + THREADS_SECONDS; True when no database work
        is left running (False: a thread is stuck, and the caller may exit anyway)."""
        # Tell load balancers first, then let in-flight calls finish within grace.
        await self.readiness.stop()
        for drain in self.drain_hooks:
            drain()
        grace = grace or 0.0
        stopping = asyncio.create_task(self.grpc_server.stop(grace + ANSWER_SECONDS))
        done, _ = await asyncio.wait([stopping], timeout=grace)
        if not done:
            # Grace is over: no commit from now on and running statements are cancelled, so
            # the calls still running answer UNAVAILABLE and nothing they did commits later.
            self.cut_off_database()
        await stopping
        finished = await asyncio.to_thread(self.runner.shutdown, THREADS_SECONDS)
        self.close_database()
        if self.tracing is not None:
            self.tracing.shutdown()
        return finished

    async def wait_for_termination(self) -> None:
        await self.grpc_server.wait_for_termination()


def _server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    files = checked_tls_files(settings)
    if files is None:
        return None
    return grpc.ssl_server_credentials(
        [(files.key, files.certificate_chain)],
        root_certificates=files.client_ca,
        require_client_auth=files.client_ca is not None,
    )


def grpc_server(
    settings: Settings,
    verifier: TokenVerifier,
    roles: Mapping[str, Role],
    *,
    reuse_port: bool = False,
    tracing: Tracing | None = None,
) -> grpc.aio.Server:
    """The bare server stack (interceptors, limits, keepalive), without servicers; the
    benchmark's transport baseline runs on it too. reuse_port: worker processes share the
    listen port (workers.py); otherwise a port in use is an error. tracing: a span around
    each call, outside everything else."""
    quiet_undecodable_metadata()
    limits = CallLimitInterceptor(
        max_open_streams=settings.max_open_streams, max_unary_calls=settings.max_concurrent_rpcs
    )
    return grpc.aio.server(
        interceptors=[
            *([tracing.interceptor] if tracing else []),
            RequestIdInterceptor(),
            AccessLogInterceptor(),
            ErrorInterceptor(),
            limits,
            AuthInterceptor(verifier, roles),
            CallerLimitInterceptor(settings.max_calls_per_caller),
            RequestGuardInterceptor(),
        ],
        # Our limits (api/call_limits.py) refuse first; this only bounds what they do not count.
        maximum_concurrent_rpcs=grpc_backstop(
            settings.max_open_streams, settings.max_concurrent_rpcs
        ),
        options=[
            ("grpc.max_receive_message_length", settings.max_receive_message_bytes),
            ("grpc.max_send_message_length", 16 * 1024 * 1024),
            # Scanners keep streams open for hours over Wi-Fi: allow their keepalive pings.
            ("grpc.keepalive_time_ms", 60_000),
            ("grpc.keepalive_timeout_ms", 20_000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
            ("grpc.so_reuseport", int(reuse_port)),
        ],
    )


def add_servicers(
    server: grpc.aio.Server,
    catalog: CatalogServicer,
    counts: CountServicer,
    adjustments: AdjustmentServicer,
    sites: SiteServicer,
) -> Any:
    """The four services of the contract, health checking and server reflection; returns the
    health servicer."""
    catalog_pb2_grpc.add_CatalogServiceServicer_to_server(catalog, server)
    inventory_count_pb2_grpc.add_InventoryCountServiceServicer_to_server(counts, server)
    stock_adjustment_pb2_grpc.add_StockAdjustmentServiceServicer_to_server(adjustments, server)
    site_pb2_grpc.add_SiteServiceServicer_to_server(sites, server)
    health_aio: Any = health.aio  # type: ignore[attr-defined]
    health_servicer = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [
            *SERVICE_NAMES,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    return health_servicer


def bind(server: grpc.aio.Server, settings: Settings) -> int:
    """Binds settings.listen (TLS when configured); returns the port."""
    credentials = _server_credentials(settings)
    if credentials is None:
        port = server.add_insecure_port(settings.listen)
    else:
        port = server.add_secure_port(settings.listen, credentials)
    if port == 0:
        raise ConfigurationError(f"could not bind {settings.listen}")
    return port
