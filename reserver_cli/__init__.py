"""The scripted `reserver` command line (Typer); `main` is the console script."""

from __future__ import annotations

import gc


def main() -> None:
    """Run the `reserver` command."""
    from reserver_cli.root import app

    try:
        app(prog_name="reserver")
    finally:
        # The collector's last pass at exit walks every object SQLAlchemy made at
        # import, ~0.15 s of a 0.6 s command; the command is done by now (its
        # store closed, its output flushed) and the OS takes the memory back.
        gc.freeze()
