"""`inventory-service`: serve, migrate, check-ledger, token."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import secrets
import shutil
import sys
from pathlib import Path

from inventory_service.api.tokens import mint_token
from inventory_service.domain.identity import Role
from inventory_service.logs import configure_logging
from inventory_service.metrics_endpoint import use_multiprocess_dir
from inventory_service.settings import Settings, SettingsError

log = logging.getLogger("inventory_service")
DEV_SECRET_FILE = Path("var/dev-jwt-secret")


def dev_secret() -> str:
    """A random development secret, kept in var/ so tokens survive restarts."""
    if DEV_SECRET_FILE.exists():
        return DEV_SECRET_FILE.read_text().strip()
    DEV_SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    DEV_SECRET_FILE.touch(mode=0o600)
    DEV_SECRET_FILE.write_text(secret)
    return secret


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    overrides: dict[str, object] = {}
    for name in (
        "listen",
        "database_url",
        "max_concurrent_rpcs",
        "max_open_streams",
        "db_workers",
        "workers",
        "metrics_listen",
    ):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    for name in ("tls_cert_file", "tls_key_file", "tls_client_ca_file", "jwt_public_key_file"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = Path(value)
    if getattr(args, "dev", False):
        overrides["dev_mode"] = True
        overrides["demo_data"] = True
    return dataclasses.replace(settings, **overrides)  # type: ignore[arg-type]


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    configure_logging(settings.log_level)
    if settings.dev_mode:
        if settings.jwt_secret or settings.jwt_public_key_file:
            # The development banner prints admin tokens: never signed with a real key.
            print(
                "configuration: --dev signs with the development secret in "
                f"{DEV_SECRET_FILE}; unset INVENTORY_JWT_SECRET and "
                "INVENTORY_JWT_PUBLIC_KEY_FILE (or serve without --dev)",
                file=sys.stderr,
            )
            return 2
        settings = dataclasses.replace(settings, jwt_secret=dev_secret())
    metrics_dir = use_multiprocess_dir() if settings.metrics_listen else None
    try:
        # Imported only now, when prometheus_client knows where the workers keep their metrics;
        # the workers it forks inherit the loaded modules.
        from inventory_service.serving import serve

        return serve(settings)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def cmd_migrate(args: argparse.Namespace) -> int:
    from inventory_service.db.engine import create_db_engine, printable_url
    from inventory_service.db.migrate import upgrade

    settings = _settings(args)
    configure_logging(settings.log_level)
    engine = create_db_engine(settings.database_url)
    upgrade(engine, args.revision)
    engine.dispose()
    print(f"database at {args.revision}: {printable_url(settings.database_url)}")
    return 0


def cmd_check_ledger(args: argparse.Namespace) -> int:
    from inventory_service.db.engine import create_db_engine
    from inventory_service.db.ledger_audit import audit_ledger

    settings = _settings(args)
    engine = create_db_engine(settings.database_url, pool_size=1)
    try:
        audit = audit_ledger(engine)
    finally:
        engine.dispose()
    for problem in audit.problems:
        print(problem)
    verdict = "ok" if audit.ok else f"{len(audit.problems)} problem(s)"
    print(
        f"ledger {verdict}: {audit.levels} stock levels, {audit.entries} ledger entries, "
        f"{audit.transfers} transfers"
    )
    return 0 if audit.ok else 1


def cmd_token(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    secret = settings.jwt_secret or (dev_secret() if args.dev else None)
    if not secret:
        print(
            "set INVENTORY_JWT_SECRET (or pass --dev to use the development secret)",
            file=sys.stderr,
        )
        return 2
    if not 0 < args.ttl <= settings.jwt_max_lifetime_seconds:
        print(
            f"--ttl must be from 1 to {settings.jwt_max_lifetime_seconds} seconds "
            "(INVENTORY_JWT_MAX_LIFETIME_SECONDS): the server refuses longer-lived tokens",
            file=sys.stderr,
        )
        return 2
    role = Role.parse(args.role)
    if role is None:
        print("role must be staff, manager or admin", file=sys.stderr)
        return 2
    print(
        mint_token(
            secret,
            sub=args.sub,
            role=role,
            ttl_seconds=args.ttl,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inventory-service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve gRPC (settings from INVENTORY_* and these flags)")
    serve.add_argument("--listen", help="address:port (default 127.0.0.1:50051)")
    serve.add_argument("--database-url", help="SQLAlchemy URL (default sqlite:///var/inventory.db)")
    serve.add_argument(
        "--dev",
        action="store_true",
        help="development: the dev JWT secret of var/ (refused with a configured key), demo "
        "catalog, print tokens",
    )
    serve.add_argument("--jwt-public-key-file", help="PEM public key for RS256/ES256 tokens")
    serve.add_argument("--tls-cert-file")
    serve.add_argument("--tls-key-file")
    serve.add_argument("--tls-client-ca-file", help="require client certificates signed by this CA")
    serve.add_argument("--max-concurrent-rpcs", type=int, help="unary calls in progress")
    serve.add_argument("--max-open-streams", type=int, help="open scanner streams")
    serve.add_argument("--db-workers", type=int)
    serve.add_argument(
        "--workers",
        type=int,
        help="server processes sharing the port (default: one per core; --dev: one)",
    )
    serve.add_argument("--metrics-listen", help="host:port for Prometheus metrics (default: off)")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="bring the database up to date")
    migrate.add_argument("--database-url")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(func=cmd_migrate)

    check = sub.add_parser(
        "check-ledger",
        help="check that every stock level equals the sum of its ledger deltas (exit 1 if not)",
    )
    check.add_argument("--database-url")
    check.set_defaults(func=cmd_check_ledger)

    token = sub.add_parser("token", help="mint an HS256 token with INVENTORY_JWT_SECRET")
    token.add_argument("--sub", required=True)
    token.add_argument("--role", required=True, choices=[r.name.lower() for r in Role])
    token.add_argument("--ttl", type=int, default=12 * 3600, help="seconds (default 12 h)")
    token.add_argument("--dev", action="store_true", help="use the development secret in var/")
    token.set_defaults(func=cmd_token)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except SettingsError as error:
        print(f"configuration: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
