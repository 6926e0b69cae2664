"""`reserver serve`: run the bundled HTTP server on a database."""

from __future__ import annotations

import dataclasses
import socket
from typing import Annotated

import typer

from reserver_cli.command_group import single_command
from reserver_cli.context import CliContext
from reserver_core.errors import ValidationError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (0.0.0.0 for every interface).")
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="TCP port.")] = (
        DEFAULT_PORT
    ),
) -> None:
    """Run the reserver HTTP server on the database, until Ctrl-C.

    Unless --database-url or RESERVER_DATABASE_URL names a database (for a
    team: PostgreSQL), the server keeps a SQLite file, server.db, in the data
    directory: not local mode's reserver.db. Tokens are signed with
    RESERVER_SECRET_KEY, or a key generated on first start and kept in the
    data directory.

    \b
    Examples:
      reserver serve
      reserver serve --host 0.0.0.0 --port 8080
      reserver --database-url postgresql://reserver@db.example/reserver serve
    """
    cli = CliContext.of(ctx)
    if cli.options.server:
        raise ValidationError("serve runs a server on a database; drop --server", "server")
    settings = dataclasses.replace(cli.settings, server=None)
    check_can_listen(host, port)
    from server.run import serve as run_server
    from server.secret import check_secret_key

    if settings.secret_key:
        check_secret_key(settings.secret_key)  # refused before "Serving on" is said
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL
    cli.output.note(f"Serving on http://{shown}:{port} (Ctrl-C to stop)")
    run_server(host=host, port=port, database_url=settings.database_url, settings=settings)


def check_can_listen(host: str, port: int) -> None:
    """ValidationError unless `host` and `port` can be listened on right now."""
    # Bound the way uvicorn binds: otherwise a port in use ends in a log line
    # and uvicorn's exit status 3, which reserver documents as "not found".
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ValidationError(f"cannot listen on {host} port {port}: {reason}", "port") from exc


app = single_command("serve", serve)
