"""One browser tab's app process under `reserver web`: the full-screen app on the web driver.

`reserver web` starts `python -m reserver_cli.web_session` once per browser tab
(textual-serve does, with the web driver in the environment). On a server, the
session gets a config directory of its own, empty and private, removed when the
tab closes: the serving user's saved login never reaches a browser, and a login
made in one tab is not seen by another.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from reserver_core.errors import ReserverError
from reserver_core.settings import load_settings

CONFIG_DIR_VARIABLE = "RESERVER_CONFIG_DIR"


def end_with_parent() -> None:
    """Have the kernel end this process when `reserver web` dies, even by SIGKILL.

    A tab's app outlives a killed parent otherwise, holding its pipes forever.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the request took hold
        sys.exit(1)


def run_session(arguments: list[str]) -> int:
    """Run the app for one browser tab; its exit code."""
    end_with_parent()
    parser = argparse.ArgumentParser(prog="reserver-web-session")
    parser.add_argument("--server")
    parser.add_argument("--database-url")
    parser.add_argument("--tz")
    parser.add_argument("--sessions-dir", required=True)
    options = parser.parse_args(arguments)
    try:
        # The settings file is the serving user's: read before the config dir is swapped.
        settings = load_settings(
            server=options.server or ("" if options.database_url else None),
            database_url=options.database_url,
            tz=options.tz,
        )
    except ReserverError as exc:
        sys.stderr.write(f"reserver web: {exc.message}\n")
        return 2
    from reserver_tui.app import run_app

    if not settings.server:
        return run_app(settings)
    with tempfile.TemporaryDirectory(prefix="session-", dir=options.sessions_dir) as private:
        os.environ[CONFIG_DIR_VARIABLE] = private
        return run_app(settings)


if __name__ == "__main__":
    sys.exit(run_session(sys.argv[1:]))
