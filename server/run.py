"""Starting the server: `reserver serve` and `python -m server` both end here."""

from __future__ import annotations

import gc
import logging
import sys

from reserver_core.clock import SystemClock
from reserver_core.errors import ReserverError, StoreError
from reserver_core.settings import Settings, load_settings
from server.app import create_app, open_shared_backend

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def configure_logging() -> None:
    """Log lines to stderr: time, level, logger and message (JSON for requests)."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    # One line per Alembic plugin on every start says nothing an operator needs;
    # the migrations it runs are still logged.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    database_url: str | None = None,
    settings: Settings | None = None,
) -> None:
    """Run the server until SIGTERM or SIGINT; a store that cannot open raises ReserverError."""
    import uvicorn

    settings = settings or load_settings()
    configure_logging()
    # Open the store once before uvicorn starts: a bad URL or an unreachable
    # database then ends with one clear message instead of a startup traceback.
    open_shared_backend(settings, database_url, SystemClock()).close()
    app = create_app(settings, database_url)
    # Everything imported and built so far lives as long as the server: frozen,
    # the collector's full passes no longer walk it while requests run.
    gc.freeze()
    uvicorn.run(
        app,
        host=host,
        port=port,
        http="httptools",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m server [--host H] [--port P] [--database-url URL]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on")
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL of the store")
    options = parser.parse_args(argv)
    try:
        serve(options.host, options.port, options.database_url)
    except ReserverError as exc:
        # The operator's own store: which one failed, and why, is theirs to read.
        details = f": {exc.details}" if isinstance(exc, StoreError) and exc.details else ""
        print(f"reserver server: {exc}{details}", file=sys.stderr)
        return 2
    return 0
