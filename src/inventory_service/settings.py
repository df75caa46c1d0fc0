"""Settings from the environment (INVENTORY_*); `serve` flags override them."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from inventory_service.domain.cycle_plan import CyclePlan, parse_days, parse_share
from inventory_service.domain.enums import AbcClass
from inventory_service.domain.thresholds import Thresholds

DEFAULT_DATABASE_URL = "sqlite:///var/inventory.db"
T = TypeVar("T")


def split_listen(listen: str) -> tuple[str, int]:
    """('127.0.0.1', 50051) from '127.0.0.1:50051'; ('::', 0) from '[::]:0'."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def join_listen(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class Settings:
    listen: str = "127.0.0.1:50051"
    database_url: str = DEFAULT_DATABASE_URL
    jwt_secret: str | None = None
    jwt_public_key_file: Path | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    # The longest lifetime a token may claim (exp - iat; exp - now without iat).
    jwt_max_lifetime_seconds: int = 24 * 3600
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None
    # Unary calls in progress beyond this get RESOURCE_EXHAUSTED instead of queueing.
    max_concurrent_rpcs: int = 1000
    # Open StreamCountItems streams beyond this get RESOURCE_EXHAUSTED; a separate limit, so a
    # shift of scanners never starves the unary calls of internal services.
    max_open_streams: int = 1000
    # Unary calls in progress per caller (token `sub`) and server process; 0: no limit.
    max_calls_per_caller: int = 64
    # Entries one scanner stream may send per second (bursts of twice that); 0: no limit.
    max_stream_entries_per_second: float = 20000.0
    # Threads running database work; open streams hold none while they wait for messages.
    db_workers: int = 8
    max_receive_message_bytes: int = 4 * 1024 * 1024
    shutdown_grace_seconds: float = 10.0
    # How often health probes the database (readiness follows it).
    db_check_interval_seconds: float = 2.0
    currency: str = "USD"
    thresholds: Thresholds = field(default_factory=Thresholds)
    page_token_secret: str | None = None
    # Development mode and its demo catalog: only `serve --dev` sets them, never the environment
    # (a variable left set in production would print admin tokens into the logs).
    dev_mode: bool = False
    demo_data: bool = False
    log_level: str = "INFO"
    # Server processes on the listen port; 0 means one per core (development mode: one).
    workers: int = 0
    # host:port of the Prometheus metrics endpoint; None: no endpoint.
    metrics_listen: str | None = None
    # ABC classes and count frequencies of cycle-count plans (checked on start).
    cycle_plan: CyclePlan = field(default_factory=CyclePlan)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        # Read through the mapping's get (never copied): a test records every name read.
        e = os.environ if env is None else env

        def opt(name: str) -> str | None:
            value = e.get(f"INVENTORY_{name}", "").strip()
            return value or None

        def path(name: str) -> Path | None:
            value = opt(name)
            return Path(value) if value else None

        defaults = cls()
        t = Thresholds()
        return cls(
            listen=opt("LISTEN") or defaults.listen,
            database_url=opt("DATABASE_URL") or defaults.database_url,
            jwt_secret=opt("JWT_SECRET"),
            jwt_public_key_file=path("JWT_PUBLIC_KEY_FILE"),
            jwt_issuer=opt("JWT_ISSUER"),
            jwt_audience=opt("JWT_AUDIENCE"),
            jwt_max_lifetime_seconds=int(
                opt("JWT_MAX_LIFETIME_SECONDS") or defaults.jwt_max_lifetime_seconds
            ),
            tls_cert_file=path("TLS_CERT_FILE"),
            tls_key_file=path("TLS_KEY_FILE"),
            tls_client_ca_file=path("TLS_CLIENT_CA_FILE"),
            max_concurrent_rpcs=int(opt("MAX_CONCURRENT_RPCS") or defaults.max_concurrent_rpcs),
            max_open_streams=int(opt("MAX_OPEN_STREAMS") or defaults.max_open_streams),
            max_calls_per_caller=int(opt("MAX_CALLS_PER_CALLER") or defaults.max_calls_per_caller),
            max_stream_entries_per_second=float(
                opt("MAX_STREAM_ENTRIES_PER_SECOND") or defaults.max_stream_entries_per_second
            ),
            db_workers=int(opt("DB_WORKERS") or defaults.db_workers),
            max_receive_message_bytes=int(
                opt("MAX_RECEIVE_MESSAGE_BYTES") or defaults.max_receive_message_bytes
            ),
            shutdown_grace_seconds=float(opt("SHUTDOWN_GRACE_SECONDS") or 10.0),
            db_check_interval_seconds=float(
                opt("DB_CHECK_INTERVAL_SECONDS") or defaults.db_check_interval_seconds
            ),
            currency=(opt("CURRENCY") or defaults.currency).upper(),
            thresholds=Thresholds(
                discrepancy_units=int(opt("DISCREPANCY_UNITS") or t.discrepancy_units),
                discrepancy_value=Decimal(opt("DISCREPANCY_VALUE") or t.discrepancy_value),
                approval_units=int(opt("APPROVAL_UNITS") or t.approval_units),
                approval_value=Decimal(opt("APPROVAL_VALUE") or t.approval_value),
            ),
            page_token_secret=opt("PAGE_TOKEN_SECRET"),
            log_level=(opt("LOG_LEVEL") or defaults.log_level).upper(),
            workers=int(opt("WORKERS") or defaults.workers),
            metrics_listen=opt("METRICS_LISTEN"),
            cycle_plan=_cycle_plan(opt),
        )


# CyclePlan setting -> its variable (without the INVENTORY_ prefix).
CYCLE_PLAN_VARIABLES = {
    "window_days": "CONSUMPTION_WINDOW_DAYS",
    "a_share": "ABC_A_SHARE",
    "b_share": "ABC_B_SHARE",
    **{f"frequency_days_{c.value.lower()}": f"COUNT_FREQUENCY_DAYS_{c.value}" for c in AbcClass},
}


class SettingsError(ValueError):
    """A setting the server cannot start with; the message names the variable."""


def _cycle_plan(opt: Callable[[str], str | None]) -> CyclePlan:
    default = CyclePlan()
    problems: dict[str, str] = {}

    def read(setting: str, parse: Callable[[str], T], fallback: T) -> T:
        text = opt(CYCLE_PLAN_VARIABLES[setting])
        if text is None:
            return fallback
        try:
            return parse(text)
        except ValueError:
            problems[setting] = f"{text!r} is not a number"
            return fallback

    plan = CyclePlan(
        window_days=read("window_days", parse_days, default.window_days),
        a_share=read("a_share", parse_share, default.a_share),
        b_share=read("b_share", parse_share, default.b_share),
        frequency_days={
            c: read(f"frequency_days_{c.value.lower()}", parse_days, default.frequency_days[c])
            for c in AbcClass
        },
    )
    check_cycle_plan(plan, problems)
    return plan


def check_cycle_plan(plan: CyclePlan, unreadable: dict[str, str] | None = None) -> None:
    """SettingsError naming each variable whose value the plan cannot work with."""
    problems = {**plan.problems(), **(unreadable or {})}
    if problems:
        raise SettingsError(
            "; ".join(
                f"INVENTORY_{CYCLE_PLAN_VARIABLES[name]}: {why}" for name, why in problems.items()
            )
        )
