"""A real reserver server process whose clock and data the tests control.

Run as `python tests/support/clocked_server.py --port P --database-url URL --now ISO`.
It is the application of `server.app.create_app` on a `FixedClock`, plus two
test-only routes: `PUT /_test/clock?now=ISO` moves the clock and
`POST /_test/reset` empties every table, so one process serves many tests.
"""

from __future__ import annotations

import argparse
import logging

import uvicorn
from fastapi import FastAPI, Request
from sqlalchemy import delete

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_core.models import Base
from reserver_core.settings import load_settings
from reserver_core.timeparse import parse_instant
from server.app import create_app
from server.deps import CallerCache


def build(database_url: str, now: str) -> FastAPI:
    """The server app on `database_url` with its clock standing at `now`."""
    clock = FixedClock(parse_instant(now))
    app = create_app(load_settings(), database_url, clock)

    @app.put("/_test/clock", include_in_schema=False)
    def set_clock(now: str) -> dict[str, str]:
        clock.set(parse_instant(now))
        return {"now": clock.now().isoformat()}

    @app.post("/_test/reset", include_in_schema=False)
    def reset(request: Request) -> dict[str, str]:
        backend: LocalBackend = request.app.state.backend

        def wipe(session: object) -> None:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(delete(table))  # type: ignore[attr-defined]

        backend.database.write(wipe)
        # On the frozen clock a user's new token is the same text as the one before the
        # reset, which the cache would still map to the old account's id.
        request.app.state.callers = CallerCache()
        return {"reset": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--now", required=True)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    app = build(options.database_url, options.now)
    uvicorn.run(app, host="127.0.0.1", port=options.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
