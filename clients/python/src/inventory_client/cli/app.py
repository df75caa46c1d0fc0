"""The root of `inventory-client`: connection options, and how errors become one line and an
exit code."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click
import grpc

from inventory_client.cli.adjustments import adjustments
from inventory_client.cli.context import (
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_OK,
    App,
    exit_code,
    json_option,
)
from inventory_client.cli.counts import counts
from inventory_client.cli.lots import LOT_COMMANDS
from inventory_client.cli.products import products
from inventory_client.cli.reports import ledger
from inventory_client.cli.scanning import health, simulate
from inventory_client.client import DEFAULT_DEADLINE
from inventory_client.connection import (
    ADDRESS_ENV,
    CA_FILE_ENV,
    CERT_FILE_ENV,
    DEFAULT_ADDRESS,
    KEY_FILE_ENV,
    TLS_ENV,
    TOKEN_ENV,
    Endpoint,
    Tls,
)
from inventory_client.errors import InventoryError


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--address", help=f"host:port [env {ADDRESS_ENV}; default {DEFAULT_ADDRESS}]")
@click.option("--token", help=f"Bearer token (JWT) [env {TOKEN_ENV}]")
@click.option("--tls", is_flag=True, help=f"TLS with the system's CAs [env {TLS_ENV}=1]")
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"TLS: the CA that signed the server's certificate [env {CA_FILE_ENV}]",
)
@click.option(
    "--cert-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Mutual TLS: this client's certificate [env {CERT_FILE_ENV}]",
)
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Mutual TLS: this client's private key [env {KEY_FILE_ENV}]",
)
@click.option("--server-name", help="TLS: the name the server's certificate must carry.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_DEADLINE,
    show_default=True,
    help="Seconds each call may take (retries included).",
)
@json_option
@click.version_option(package_name="inventory-client")
@click.pass_context
def cli(
    ctx: click.Context,
    address: str | None,
    token: str | None,
    tls: bool,
    ca_file: Path | None,
    cert_file: Path | None,
    key_file: Path | None,
    server_name: str | None,
    timeout: float,
) -> None:
    """The inventory service from a terminal: stock counts, adjustments and the catalog.

    Calls the service at --address with the token in --token (or $INVENTORY_TOKEN; mint one
    with `inventory-service token`). Tables for people; --json for scripts.
    """
    app = ctx.ensure_object(App)
    from_env = Tls.from_env(os.environ)
    if tls or ca_file or cert_file or key_file or server_name:
        try:
            chosen: Tls | None = Tls(
                ca_file=ca_file or (from_env.ca_file if from_env else None),
                cert_file=cert_file or (from_env.cert_file if from_env else None),
                key_file=key_file or (from_env.key_file if from_env else None),
                server_name=server_name,
            )
        except ValueError as error:
            raise click.UsageError(str(error)) from error
    else:
        chosen = from_env
    app.endpoint = Endpoint.from_env(address=address, token=token, tls=chosen)
    app.timeout = timeout
    ctx.call_on_close(app.close)


for command in (counts, adjustments, products, ledger, health, simulate):
    cli.add_command(command)
for command in LOT_COMMANDS:
    products.add_command(command)


_NEGATIVE = re.compile(r"-\d+")


def _connection_hint(app: App, error: InventoryError) -> str:
    """What to check when no server answered: an UNAVAILABLE the transport raised carries no
    reason (the server's own, such as DATABASE_UNAVAILABLE, do)."""
    if error.code != grpc.StatusCode.UNAVAILABLE or error.reason:
        return ""
    address = app.endpoint.address
    return f"is the server running at {address}? set INVENTORY_ADDRESS or --address"


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns its exit code (see EXIT_CODES_HELP)."""
    app = App()
    try:
        result = cli.main(args=argv, prog_name="inventory-client", obj=app, standalone_mode=False)
    except InventoryError as error:
        app.output.error(error, hint=_connection_hint(app, error))
        return exit_code(error.code)
    except click.NoSuchOption as error:
        if _NEGATIVE.fullmatch(error.option_name):
            # click reads "-5" as an option; a negative number goes after "--".
            app.output.note(
                f"error: {error.option_name} reads as an option; to give a negative number, "
                f"put -- before it (use -- {error.option_name})"
            )
            return error.exit_code
        error.show()
        return error.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    except (click.Abort, KeyboardInterrupt):
        app.output.note("interrupted")
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
