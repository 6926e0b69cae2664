"""How every `reserver` command group is made, so they all behave alike.

Help is plain Click-style text: Rich-formatted help would import Rich on every
`--help`, which alone costs a third of the start-up budget. A command's
docstring is its help; a paragraph after a line holding only `\\b` keeps its
line breaks (used for the examples).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer.models import CommandFunctionType

GLOBAL_OPTIONS_NOTE = (
    "Global options (--server URL, --database-url URL, --tz ZONE, --user NAME, --json) "
    "may come before or after the command; reserver --help describes them and lists "
    "the exit codes."
)
HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


class CommandGroup(typer.Typer):
    """A Typer app whose commands all note the global options in their help."""

    def command(
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        """Register a command, as Typer does, with the global options note as epilog."""
        kwargs.setdefault("epilog", GLOBAL_OPTIONS_NOTE)
        kwargs.setdefault("context_settings", HELP_OPTIONS)
        return super().command(name, **kwargs)


def single_command(name: str, function: Any) -> CommandGroup:
    """A Typer app holding only `function`, which Typer turns into one plain command."""
    app = CommandGroup(rich_markup_mode=None, pretty_exceptions_enable=False, add_completion=False)
    app.command(name)(function)
    return app


def command_group(name: str, help_text: str) -> CommandGroup:
    """A group for one area of commands, with reserver's shared behaviour."""
    group = CommandGroup(
        name=name,
        help=help_text,
        rich_markup_mode=None,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        epilog=GLOBAL_OPTIONS_NOTE,
        context_settings=HELP_OPTIONS,
    )
    # A callback keeps a group with a single command (db) a group: without one,
    # Typer would turn `reserver db upgrade` into `reserver db`.
    group.callback()(_no_group_options)
    return group


def _no_group_options() -> None:
    return None
