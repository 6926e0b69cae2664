"""`reserver waitlist ...`: wait in line for a taken time, and answer the offer that comes.

When a slot is released, the first waiting entry whose window is free gets an offer: a
reservation held for them for a while (the policy's offer hold). They accept it, or
decline it, or let it lapse, and the next in line is offered it.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reserver_cli.command_group import command_group
from reserver_cli.context import CliContext
from reserver_cli.exit_codes import ExplainedError
from reserver_core.errors import ForbiddenError, NotFoundError, StateError, ValidationError

if TYPE_CHECKING:
    from reserver_core.schemas import ReservationInfo, WaitlistInfo

app = command_group("waitlist", "Wait in line for a taken time; accept or decline offers.")

EntryArg = Annotated[int, typer.Argument(metavar="ID", help="The waitlist entry's number.")]
OfferArg = Annotated[
    int,
    typer.Argument(
        metavar="ID", help="The offered reservation's number, as the offer in your inbox names it."
    ),
]


@app.command("join")
def join(
    ctx: typer.Context,
    resource: Annotated[
        str,
        typer.Argument(metavar="RESOURCE", help="Resource id or name (or its first letters)."),
    ],
    start: Annotated[
        str, typer.Argument(metavar="START", help="When the time you want starts, in your zone.")
    ],
    end: Annotated[
        str | None,
        typer.Option("--end", "-e", metavar="END", help="When it ends (as `reserver book` reads)."),
    ] = None,
    duration: Annotated[
        str | None,
        typer.Option("--for", "-f", metavar="DURATION", help="How long: 90m, 1h30m, 1:30."),
    ] = None,
    flexible: Annotated[
        str | None,
        typer.Option(
            "--flexible-within",
            metavar="DURATION",
            help="Also take as long a time starting up to this much earlier or later "
            "(at most 24h): 30m, 2h.",
        ),
    ] = None,
    note: Annotated[
        str,
        typer.Option(
            "--note", "-n", metavar="TEXT", help="What it is for; the offer's booking keeps it."
        ),
    ] = "",
) -> None:
    """Wait in line for a time that is taken; the answer says your place.

    START and END are read as `reserver book` reads them. When the time is
    released (a cancel, a rejected or lapsed request, a declined or lapsed
    offer, a move), the first in line whose time is free is offered it: a
    reservation held for them for a while, announced in their inbox, to
    accept or decline (reserver waitlist accept|decline ID). A time that is
    free now is refused: book it instead.

    \b
    Examples:
      reserver waitlist join "Room A" "tomorrow 14:00" --for 1h
      reserver waitlist join Microscope "mon 09:00" --end 12:00 --flexible-within 2h
      reserver waitlist join 3 "2026-12-02 10:00" --for 90m --note "calibration" --json
    """
    cli = CliContext.of(ctx)
    if (end is None) == (duration is None):
        raise ValidationError("give either --end END or --for DURATION", "end")
    begin = cli.parse_when(start, "start")
    if duration is not None:
        finish = cli.end_after(begin, duration, "for")
    else:
        finish = cli.parse_end(begin, str(end), "end")
    reach = cli.parse_duration(flexible, "flexible_within") if flexible is not None else None
    minutes = 0 if reach is None else int(reach.total_seconds() // 60)
    target = cli.backend.find_resource(resource)
    try:
        entry = cli.backend.join_waitlist(target.id, begin, finish, minutes, note)
    except StateError as exc:
        raise _free_now(cli, exc, target.name, begin, finish) from exc

    def human() -> str:
        window = cli.show_window(entry.start_time, entry.end_time)
        if entry.flexible_minutes:
            reach_text = cli.show_duration(timedelta(minutes=entry.flexible_minutes))
            window += f" (or as long, starting up to {reach_text} earlier or later)"
        from reserver_core.display import ordinal

        place = f"{ordinal(entry.position)} in line" if entry.position else "in line"
        return (
            f"Waiting for {entry.resource.name}, {window}: you are {place} "
            f"(waitlist entry #{entry.id}).\n"
            "If it is released, it is offered to you for a while: see reserver inbox."
        )

    cli.output.result(entry, human)


def _free_now(
    cli: CliContext, error: StateError, name: str, start: datetime, end: datetime
) -> ExplainedError:
    """Joining a line for a free time: say so in the reader's zone, and how to book it."""
    from reserver_core.display import describe_error

    typed = start.astimezone(cli.zone).isoformat(timespec="minutes")
    command = (
        f"reserver book {shlex.quote(name)} {shlex.quote(typed)} "
        f"--for {cli.show_duration(end - start)}"
    )
    message = describe_error(error, cli.zone, now=cli.now())
    return ExplainedError(error, [f"book it with: {command}"], message=message)


@app.command("list")
def list_entries(
    ctx: typer.Context,
    everyone: Annotated[
        bool, typer.Option("--all", "-a", help="Admin: everyone's, with who waits.")
    ] = False,
    resource: Annotated[
        str | None,
        typer.Option("--resource", "-r", metavar="RESOURCE", help="Only those for this resource."),
    ] = None,
) -> None:
    """List your waitlist entries, newest first, with where each stands.

    A waiting entry shows its place in line; one holding an offer shows the
    offered reservation's number (to accept or decline) and until when it is
    held. Nobody but an admin sees who else waits.

    \b
    Examples:
      reserver waitlist list
      reserver waitlist list --resource "Room A" --json
      reserver waitlist list --all
    """
    cli = CliContext.of(ctx)
    resource_id = cli.backend.find_resource(resource).id if resource is not None else None
    found = cli.backend.waitlist(everyone, resource_id)

    def human() -> Any:
        from reserver_cli.tables import waitlist_table

        return waitlist_table(found, cli, show_user=everyone)

    cli.output.result(found, human)


@app.command("leave")
def leave(ctx: typer.Context, entry: EntryArg) -> None:
    """Leave the line: a waiting entry of yours (or anyone's, as an admin).

    An entry holding an offer leaves by declining the offer.

    \b
    Example:
      reserver waitlist leave 3
    """
    cli = CliContext.of(ctx)
    left = cli.backend.leave_waitlist(entry)

    def human() -> str:
        window = cli.show_window(left.start_time, left.end_time)
        return f"Left the line for {left.resource.name}, {window} (waitlist entry #{left.id})."

    cli.output.result(left, human)


@app.command("accept")
def accept(ctx: typer.Context, offer: OfferArg) -> None:
    """Accept an offer before it lapses: the slot is booked for you.

    ID is the offered reservation's number, as the offer in your inbox and
    `reserver waitlist list` name it.

    \b
    Examples:
      reserver waitlist accept 15
      reserver waitlist accept 15 --json
    """
    cli = CliContext.of(ctx)
    accepted = _answered(cli, offer, cli.backend.accept_offer)
    cli.output.result(
        accepted, lambda: f"Booked #{accepted.id}: {_offer_text(cli, accepted)} (offer accepted)."
    )


@app.command("decline")
def decline(ctx: typer.Context, offer: OfferArg) -> None:
    """Decline an offer: the slot goes to the next in line.

    ID is the offered reservation's number, as `reserver waitlist accept`
    takes it.

    \b
    Example:
      reserver waitlist decline 15
    """
    cli = CliContext.of(ctx)
    declined = _answered(cli, offer, cli.backend.decline_offer)
    cli.output.result(
        declined,
        lambda: (
            f"Declined the offer #{declined.id}: {_offer_text(cli, declined)}; "
            "it goes to the next in line."
        ),
    )


def _answered(
    cli: CliContext, offer: int, answer: Callable[[int], ReservationInfo]
) -> ReservationInfo:
    """Answer an offer; refused, name the offer when ID was the number of a waitlist entry
    of the user's that holds one (the two numbers are easily mixed up)."""
    try:
        return answer(offer)
    except (NotFoundError, ForbiddenError, StateError) as exc:
        held = _offer_of_entry(cli, offer)
        if held is None or held.id == offer:
            raise
        hint = f"waitlist entry {offer} holds the offer #{held.id}: answer it with that number"
        raise ExplainedError(exc, [hint]) from exc


def _offer_of_entry(cli: CliContext, entry_id: int) -> ReservationInfo | None:
    entries: list[WaitlistInfo] = cli.backend.waitlist()
    return next((e.offer for e in entries if e.id == entry_id and e.offer is not None), None)


def _offer_text(cli: CliContext, offer: ReservationInfo) -> str:
    return f"{offer.resource.name}, {cli.show_window(offer.start_time, offer.end_time)}"
