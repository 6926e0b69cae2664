"""`reserver inbox`: what happened to your bookings, requests and offers, newest first.

Notices are written in the same transaction as the change they tell of (an admin's
cancel or move, a decision on a request, an offer, a lapse), so they are there exactly
when it happened.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from reserver_cli.command_group import GLOBAL_OPTIONS_NOTE, HELP_OPTIONS, CommandGroup
from reserver_cli.context import CliContext
from reserver_core.errors import ValidationError

app = CommandGroup(
    name="inbox",
    rich_markup_mode=None,
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    epilog=GLOBAL_OPTIONS_NOTE,
    context_settings=HELP_OPTIONS,
)


@app.callback()
def inbox(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", "-u", help="Only the unread ones.")] = False,
) -> None:
    """Your notices, newest first: offers, decisions, cancels, moves.

    Each with when, what kind, what happened (times in your zone) and, for an
    offer or a request to decide, by when to answer; unread ones are marked
    "new". Listing marks nothing read: `reserver inbox read` does.

    \b
    Examples:
      reserver inbox
      reserver inbox --unread --json
      reserver inbox read 7 8
      reserver inbox read --all
    """
    if ctx.invoked_subcommand is not None:
        if unread:
            raise ValidationError("--unread lists notices: give it without a command", "unread")
        return
    cli = CliContext.of(ctx)
    found = cli.backend.inbox(unread_only=unread)

    def human() -> Any:
        from reserver_cli.tables import inbox_table

        return inbox_table(found, cli)

    cli.output.result(found, human)
    waiting = sum(1 for notice in found if notice.read_at is None)
    if waiting and not cli.output.json_mode:
        from reserver_core.display import counted

        cli.output.note(f"{counted(waiting, 'unread notice')}: reserver inbox read --all")


@app.command("read")
def read(
    ctx: typer.Context,
    notices: Annotated[
        list[int] | None,
        typer.Argument(metavar="[ID]...", help="The notices to mark read, by number."),
    ] = None,
    everything: Annotated[bool, typer.Option("--all", "-a", help="Every unread notice.")] = False,
) -> None:
    """Mark notices read: those named, or --all.

    \b
    Examples:
      reserver inbox read 7
      reserver inbox read 7 8 9
      reserver inbox read --all
    """
    cli = CliContext.of(ctx)
    if notices and everything:
        raise ValidationError("name the notices to mark read or give --all, not both", "id")
    if not notices and not everything:
        raise ValidationError("name the notices to mark read (ID...) or give --all", "id")
    marked = cli.backend.mark_read(None if everything else notices)

    def human() -> str:
        from reserver_core.display import counted

        if marked == 0:
            return "No unread notices." if everything else "Those were read already."
        return f"Marked {counted(marked, 'notice')} read."

    cli.output.result({"marked": marked}, human)
