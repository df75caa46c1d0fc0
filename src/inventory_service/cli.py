"""`inventory-service`: serve, migrate, token."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

from inventory_service.api.tokens import mint_token
from inventory_service.domain.identity import Role
from inventory_service.logs import configure_logging
from inventory_service.settings import Settings

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
    for name in ("listen", "database_url", "max_concurrent_rpcs", "db_workers"):
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


def _print_dev_tokens(settings: Settings, port: int) -> None:
    assert settings.jwt_secret
    lines = [
        "",
        "=" * 78,
        " DEVELOPMENT MODE - these tokens are for local development only (valid 12 h)",
        f" Serving on {settings.listen.rsplit(':', 1)[0]}:{port}",
        f" Database: {settings.database_url}",
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


async def _serve(settings: Settings) -> int:
    from inventory_service.bootstrap import create_server

    app, port = create_server(settings)
    if settings.demo_data:
        from inventory_service.bootstrap import build_services, open_database
        from inventory_service.demo import load_demo_catalog

        engine, uow_factory = open_database(settings)
        services = build_services(uow_factory, settings)
        loaded = await asyncio.to_thread(load_demo_catalog, services.products, services.batches)
        engine.dispose()
        if loaded:
            log.info("loaded demo catalog", extra={"fields": {"products": loaded}})
    await app.start()
    log.info("serving", extra={"fields": {"listen": settings.listen, "port": port}})
    if settings.dev_mode:
        _print_dev_tokens(settings, port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("draining", extra={"fields": {"grace_seconds": settings.shutdown_grace_seconds}})
    if not await app.stop(settings.shutdown_grace_seconds):
        # A database thread did not come back (a driver that ignored the cancel): nothing it
        # does can commit any more (db/cutoff.py), so it must not hold the process either.
        log.warning("stopped with database work still running; exiting anyway")
        logging.shutdown()
        os._exit(0)
    log.info("stopped")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    configure_logging(settings.log_level)
    if settings.dev_mode and not settings.jwt_secret and not settings.jwt_public_key_file:
        settings = dataclasses.replace(settings, jwt_secret=dev_secret())
    from inventory_service.api.server import ConfigurationError

    try:
        return asyncio.run(_serve(settings))
    except ConfigurationError as error:
        log.error(str(error))
        return 2


def cmd_migrate(args: argparse.Namespace) -> int:
    from inventory_service.db.engine import create_db_engine
    from inventory_service.db.migrate import upgrade

    settings = _settings(args)
    configure_logging(settings.log_level)
    engine = create_db_engine(settings.database_url)
    upgrade(engine, args.revision)
    engine.dispose()
    print(f"database at {args.revision}: {settings.database_url}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    secret = settings.jwt_secret or (dev_secret() if args.dev else None)
    if not secret:
        print(
            "set INVENTORY_JWT_SECRET (or pass --dev to use the development secret)",
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
        help="development: dev JWT secret when none is set, demo catalog, print tokens",
    )
    serve.add_argument("--jwt-public-key-file", help="PEM public key for RS256/ES256 tokens")
    serve.add_argument("--tls-cert-file")
    serve.add_argument("--tls-key-file")
    serve.add_argument("--tls-client-ca-file", help="require client certificates signed by this CA")
    serve.add_argument("--max-concurrent-rpcs", type=int)
    serve.add_argument("--db-workers", type=int)
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="bring the database up to date")
    migrate.add_argument("--database-url")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(func=cmd_migrate)

    token = sub.add_parser("token", help="mint an HS256 token with INVENTORY_JWT_SECRET")
    token.add_argument("--sub", required=True)
    token.add_argument("--role", required=True, choices=[r.name.lower() for r in Role])
    token.add_argument("--ttl", type=int, default=12 * 3600, help="seconds (default 12 h)")
    token.add_argument("--dev", action="store_true", help="use the development secret in var/")
    token.set_defaults(func=cmd_token)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
