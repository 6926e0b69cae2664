"""The scripted `reserver` command line (Typer); `main` is the console script."""

from __future__ import annotations


def main() -> None:
    """Run the `reserver` command."""
    from reserver_tui.cli.root import app

    app(prog_name="reserver")
