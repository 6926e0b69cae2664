"""Booking commands: `book`, `move`, `note`, `cancel`, `upcoming`, `next-free` and
`reservations ...`."""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reserver_cli.command_group import command_group, single_command
from reserver_cli.context import CliContext
from reserver_cli.exit_codes import ExplainedError
from reserver_cli.pages import AfterOption, LimitOption, page_limit
from reserver_core.errors import ConflictError, PolicyError, ReserverError, ValidationError

if TYPE_CHECKING:
    from reserver_core.schemas import FreeSlot, ReservationInfo, ResourceInfo

app = command_group("reservations", "List reservations and look at their history.")

ReservationArg = Annotated[int, typer.Argument(metavar="ID", help="The reservation's number.")]
ResourceArg = Annotated[
    str,
    typer.Argument(
        metavar="RESOURCE",
        help="Resource id or name: any case, or its first letters when only one name begins so.",
    ),
]


def book(
    ctx: typer.Context,
    resource: ResourceArg,
    start: Annotated[
        str, typer.Argument(metavar="START", help="When it starts, in your time zone.")
    ],
    end: Annotated[
        str | None,
        typer.Option(
            "--end",
            "-e",
            metavar="END",
            help="When it ends; a bare 01:00 is the first 01:00 after START.",
        ),
    ] = None,
    duration: Annotated[
        str | None,
        typer.Option("--for", "-f", metavar="DURATION", help="How long: 90m, 1h30m, 1:30."),
    ] = None,
    note: Annotated[
        str,
        typer.Option(
            "--note", "-n", metavar="TEXT", help="What it is for: one line, up to 500 characters."
        ),
    ] = "",
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            metavar="KEY",
            help="Your name for this booking: run again with the same KEY and times "
            "within 24 h, it books nothing and shows the first booking.",
        ),
    ] = None,
    repeat: Annotated[
        str | None,
        typer.Option(
            "--repeat",
            metavar="daily|weekly|monthly",
            help="Book a series: START's time of day every day, week or month.",
        ),
    ] = None,
    every: Annotated[
        int | None,
        typer.Option(
            "--every", metavar="N", help="Series: every N days, weeks or months (1-99, default 1)."
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            metavar="DAYS",
            help='Series: weekly on these days ("mon,wed"); monthly on a day (31) or a '
            'weekday of the month ("2nd tue", last-fri). Default: as START.',
        ),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option("--count", metavar="N", help="Series: N occurrences (1-366)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", metavar="DAY", help="Series: the last day (2027-06-30), in your zone."
        ),
    ] = None,
    skip_conflicts: Annotated[
        bool,
        typer.Option(
            "--skip-conflicts",
            help="Series: book the free dates, leave out those that clash or are refused.",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Series: list every date and its state; book nothing."),
    ] = False,
) -> None:
    """Book a resource from START until --end, or --for a duration.

    START and END are read in your time zone (--tz to pick another): ISO 8601
    (2026-12-01 14:00, or with an offset such as +01:00 for an exact instant),
    14:00 (today), today 14:00, tomorrow 9:30, mon 10:00 (next Monday) or
    +45m (from now). A bare time as END is the first such time after START, so
    "23:00 --end 01:00" is two hours; an END with a day or a date means just that
    and must come after START. A local time skipped or repeated by a daylight-saving
    change is refused; add an offset to choose. On a clash, the clashing
    bookings and the next free slot of the same length are shown, and how to
    join the waitlist for that time. On a resource whose policy requires
    approval, a member's booking is a request: it holds the slot and waits for
    an approver's yes (see reserver approvals).

    A script that may retry a booking gives it --idempotency-key (1-100
    printable ASCII characters) and exact times: the same KEY for other times
    or another resource is refused.

    --repeat books a series: START's time of day in your zone on every date of
    the rule, kept across daylight-saving changes (on a day the clocks skip
    that time, it starts as much later; a time they repeat takes the first). Daily every
    --every N days; weekly on --on days (default: START's weekday); monthly on
    START's day of the month, or --on a day (31) or a weekday of the month
    ("2nd tue", "last fri"); a month without that day is skipped. It ends after
    --count N dates or on the day --until (at most 366 dates, 2 years ahead).
    Each date is listed with its state; if any clashes or is refused, nothing
    is booked, unless --skip-conflicts books the others. --dry-run only lists.

    \b
    Examples:
      reserver book "Room A" "tomorrow 14:00" --for 1h30m --note "sprint planning"
      reserver book 3 "2026-12-01 09:00" --end 10:30
      reserver book "Room A" +15m --for 45m --json
      reserver book 3 "2026-12-01 09:00" --for 1h --idempotency-key job-4711
      reserver book "Room A" "2027-03-01 09:00" --for 1h --repeat weekly --on mon,wed --count 8
      reserver book Lab "mon 18:00" --for 2h --repeat monthly --on "last fri" --until 2027-12-31
      reserver book Rig "tomorrow 02:00" --for 4h --repeat daily --count 30 --dry-run
    """
    from reserver_cli.series import RepeatOptions

    cli = CliContext.of(ctx)
    series = RepeatOptions(repeat, every, on, count, until, skip_conflicts, dry_run)
    if repeat is None:
        from reserver_cli.series import refuse_without_repeat

        refuse_without_repeat(series)
    elif idempotency_key is not None:
        raise ValidationError(
            "--idempotency-key keys one booking: a series (--repeat) takes none", "idempotency_key"
        )
    if (end is None) == (duration is None):
        raise ValidationError("give either --end END or --for DURATION", "end")
    begin = cli.parse_when(start, "start")
    finish = _end_time(cli, begin, end, duration)
    target = cli.backend.find_resource(resource)
    if repeat is not None:
        from reserver_cli.series import book_series

        book_series(cli, target, begin, finish, note, series)
        return
    try:
        booked = cli.backend.book(target.id, begin, finish, idempotency_key, note)
    except ConflictError as exc:
        raise _explain_conflict(cli, exc, target, begin, finish) from exc
    except PolicyError as exc:
        raise _explain_policy(cli, exc, target, begin, finish) from exc

    def human() -> str:
        window = cli.show_window(booked.start_time, booked.end_time)
        what = f"{booked.resource.name}, {window}{_noted(booked)}"
        if booked.status != "pending":
            return f"Booked #{booked.id}: {what}."
        from reserver_core.display import pending_text

        return (
            f"Not booked yet: request #{booked.id} for {what} is "
            f"{pending_text(booked, cli.zone, now=cli.now())}.\n"
            "The slot is held for you meanwhile; the answer comes to your inbox "
            "(reserver inbox)."
        )

    cli.output.result(booked, human)


def _noted(reservation: ReservationInfo) -> str:
    return f" ({reservation.note})" if reservation.note else ""


def move(
    ctx: typer.Context,
    reservation: ReservationArg,
    start: Annotated[
        str, typer.Argument(metavar="START", help="When it starts now, in your time zone.")
    ],
    end: Annotated[
        str | None,
        typer.Option(
            "--end", "-e", metavar="END", help="When it ends (a bare 15:30 is on START's day)."
        ),
    ] = None,
    duration: Annotated[
        str | None,
        typer.Option("--for", "-f", metavar="DURATION", help="How long: 90m, 1h30m, 1:30."),
    ] = None,
) -> None:
    """Move a reservation to another time (and length, if asked).

    It starts at START and keeps its length, or ends at --end, or lasts --for
    a duration. The move is one step: every rule of a new booking holds (START in the
    future, the length limits, maintenance), the reservation does not clash
    with itself, and on a clash nothing changes: the clashing bookings and the
    next free slot of the same length are shown. Only an active reservation
    that has not ended moves, yours or, as an admin, anyone's. START and END
    are read as `reserver book` reads them.

    \b
    Examples:
      reserver move 12 "tomorrow 14:30"
      reserver move 12 14:00 --for 2h
      reserver move 12 "2026-12-01 09:00" --end 10:30 --json
    """
    cli = CliContext.of(ctx)
    if end is not None and duration is not None:
        raise ValidationError("give --end END or --for DURATION, not both", "end")
    begin = cli.parse_when(start, "start")
    current = cli.backend.get_reservation(reservation)
    if end is None and duration is None:
        finish = begin + (current.end_time - current.start_time)
    else:
        finish = _end_time(cli, begin, end, duration)
    try:
        moved = cli.backend.move(reservation, begin, finish)
    except ConflictError as exc:
        raise _explain_conflict(cli, exc, current.resource, begin, finish, current.id) from exc
    except PolicyError as exc:
        raise _explain_policy(cli, exc, current.resource, begin, finish, current.id) from exc

    def human() -> str:
        before = cli.show_window(current.start_time, current.end_time)
        after = cli.show_window(moved.start_time, moved.end_time)
        return f"Moved #{moved.id}: {moved.resource.name}, {before} → {after}."

    cli.output.result(moved, human)


def note(
    ctx: typer.Context,
    reservation: ReservationArg,
    text: Annotated[
        str,
        typer.Argument(
            metavar="TEXT", help='What it is for: one line, up to 500 characters; "" clears it.'
        ),
    ],
) -> None:
    """Set or clear the note of a reservation.

    Yours, or anyone's as an admin; an empty TEXT ("") clears it. The history
    keeps every change.

    \b
    Examples:
      reserver note 12 "sprint planning, bring the projector"
      reserver note 12 ""
    """
    cli = CliContext.of(ctx)
    noted = cli.backend.set_note(reservation, text)

    def human() -> str:
        said = f"note: {noted.note}" if noted.note else "note cleared"
        return f"#{noted.id} {noted.resource.name}: {said}."

    cli.output.result(noted, human)


def _end_time(cli: CliContext, begin: datetime, end: str | None, duration: str | None) -> datetime:
    if duration is not None:
        return cli.end_after(begin, duration, "for")
    return cli.parse_end(begin, str(end), "end")


def _explain_conflict(
    cli: CliContext,
    error: ConflictError,
    target: ResourceInfo,
    start: datetime,
    end: datetime,
    moving: int | None = None,
) -> ExplainedError:
    """The clashes and the next free slot of the same length; for the move of reservation
    `moving`, that reservation's own time counts as free."""
    lines = [
        f"clashes with #{window.reservation_id}: {cli.show_window(window.start, window.end)}"
        if window.reservation_id is not None
        else f"clashes with {cli.show_window(window.start, window.end)}"
        for window in error.windows
    ]
    fields: dict[str, Any] = {"windows": error.windows}
    _offer_next_free(cli, target, start, end, moving, lines, fields)
    if moving is None:
        lines.append(f"or wait in line for it: {_waitlist_command(cli, target, start, end)}")
    from reserver_core.schemas import to_json

    message = f"{target.name} is already booked at that time"
    return ExplainedError(error, lines, to_json(fields), message=message)


_ANOTHER_TIME_PASSES = frozenset({"hours", "closed", "min_notice"})
"""The policy rules a booking of the same length at another time may pass."""


def _explain_policy(
    cli: CliContext,
    error: PolicyError,
    target: ResourceInfo,
    start: datetime,
    end: datetime,
    moving: int | None = None,
) -> ExplainedError:
    """A policy's refusal with its times in the reader's zone, the next free slot of the
    same length where another time would pass, and where to read the rules."""
    from reserver_core.display import describe_error
    from reserver_core.schemas import to_json

    lines: list[str] = []
    fields: dict[str, Any] = {}
    if error.rule in _ANOTHER_TIME_PASSES:
        _offer_next_free(cli, target, start, end, moving, lines, fields)
    lines.append(f"its rules: reserver policy show {shlex.quote(target.name)}")
    message = describe_error(error, cli.zone, now=cli.now())
    return ExplainedError(error, lines, to_json(fields), message=message)


def _offer_next_free(
    cli: CliContext,
    target: ResourceInfo,
    start: datetime,
    end: datetime,
    moving: int | None,
    lines: list[str],
    fields: dict[str, Any],
) -> None:
    """Add the next free slot of the same length from `start`, and the command that
    takes it, to `lines` and `fields`; for a move, its own time counts as free."""
    try:
        slot = cli.backend.next_free_slot(
            end - start, after=start, resource_id=target.id, excluding=moving
        )
    except ReserverError:
        return
    if slot is None:
        return
    from reserver_core.display import next_free_text

    lines.append(next_free_text(slot.start_time, slot.end_time, cli.zone, now=cli.now()))
    if moving is None:
        lines.append(f"book it with: {_book_command(cli, slot, end - start)}")
    else:
        lines.append(f"move it with: {_move_command(cli, moving, slot, end - start)}")
    fields["next_free"] = slot


def _book_command(cli: CliContext, slot: FreeSlot, length: timedelta) -> str:
    # Free slots start on whole minutes (the core's rule), so minutes say it exactly.
    start = _typed(cli, slot.start_time)
    return (
        f"reserver book {shlex.quote(slot.resource.name)} {shlex.quote(start)} "
        f"--for {cli.show_duration(length)}"
    )


def _waitlist_command(cli: CliContext, target: ResourceInfo, start: datetime, end: datetime) -> str:
    return (
        f"reserver waitlist join {shlex.quote(target.name)} {shlex.quote(_typed(cli, start))} "
        f"--for {cli.show_duration(end - start)}"
    )


def _typed(cli: CliContext, instant: datetime) -> str:
    """An instant as the user may type it back: local ISO time with its offset."""
    return instant.astimezone(cli.zone).isoformat(timespec="minutes")


def _move_command(cli: CliContext, reservation_id: int, slot: FreeSlot, length: timedelta) -> str:
    start = _typed(cli, slot.start_time)
    return f"reserver move {reservation_id} {shlex.quote(start)} --for {cli.show_duration(length)}"


def cancel(
    ctx: typer.Context,
    reservation: ReservationArg,
    reason: Annotated[
        str | None, typer.Option("--reason", "-r", metavar="TEXT", help="Why; kept in the history.")
    ] = None,
) -> None:
    """Cancel a reservation (yours, or anyone's as an admin).

    \b
    Examples:
      reserver cancel 12
      reserver cancel 12 --reason "meeting moved"
    """
    cli = CliContext.of(ctx)
    cancelled = cli.backend.cancel(reservation, reason)

    def human() -> str:
        window = cli.show_window(cancelled.start_time, cancelled.end_time)
        return f"Cancelled #{cancelled.id}: {cancelled.resource.name}, {window}."

    cli.output.result(cancelled, human)


def upcoming(
    ctx: typer.Context,
    everyone: Annotated[
        bool, typer.Option("--all", "-a", help="Admin: everyone's, not just yours.")
    ] = False,
) -> None:
    """List your coming reservations, soonest first.

    Requests awaiting approval and waitlist offers to answer are listed too,
    with their status.

    \b
    Examples:
      reserver upcoming
      reserver upcoming --json
    """
    _list(ctx, everyone=everyone, include_cancelled=False, only_upcoming=True)


def next_free(
    ctx: typer.Context,
    resource: Annotated[
        str | None,
        typer.Argument(metavar="[RESOURCE]", help="Resource id or name (or its first letters)."),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", "-t", metavar="TAG", help="Any resource with this tag instead."),
    ] = None,
    duration: Annotated[
        str, typer.Option("--for", "-f", metavar="DURATION", help="How long: 90m, 1h30m.")
    ] = "1h",
    after: Annotated[
        str | None,
        typer.Option("--after", metavar="WHEN", help="Not before WHEN (default: now)."),
    ] = None,
) -> None:
    """Find the earliest free slot on a resource or a tag.

    Looks on one RESOURCE, or on every resource carrying --tag and takes the
    first to be free.

    \b
    Examples:
      reserver next-free "Room A" --for 1h
      reserver next-free --tag projector --for 2h --after "tomorrow 9:00"
    """
    cli = CliContext.of(ctx)
    if (resource is None) == (tag is None):
        raise ValidationError("name a RESOURCE or give --tag TAG (one of them)", "resource")
    length = cli.parse_duration(duration, "for")
    begin = cli.parse_when(after, "after") if after else None
    resource_id = cli.backend.find_resource(resource).id if resource is not None else None
    slot = cli.backend.next_free_slot(length, after=begin, resource_id=resource_id, tag=tag)

    def human() -> str:
        window = cli.show_window(slot.start_time, slot.end_time)
        return (
            f"{slot.resource.name} is free {window}.\nBook it: {_book_command(cli, slot, length)}"
        )

    cli.output.result(slot, human)


@app.command("list")
def list_reservations(
    ctx: typer.Context,
    everyone: Annotated[
        bool, typer.Option("--all", "-a", help="Admin: everyone's, not just yours.")
    ] = False,
    include_cancelled: Annotated[
        bool, typer.Option("--include-cancelled", "-c", help="Show cancelled ones too.")
    ] = False,
    only_upcoming: Annotated[
        bool, typer.Option("--upcoming", "-u", help="Only those not ended yet, soonest first.")
    ] = False,
    limit: LimitOption = None,
    after: AfterOption = None,
) -> None:
    """List your reservations, newest first (or one page of them).

    \b
    Examples:
      reserver reservations list
      reserver reservations list --upcoming
      reserver reservations list --all --include-cancelled --json
      reserver reservations list --limit 20 --after CURSOR
    """
    size = page_limit(limit, after)
    if size is None:
        _list(ctx, everyone, include_cancelled, only_upcoming)
        return
    if only_upcoming:
        raise ValidationError("--limit lists newest first: leave out --upcoming", "upcoming")
    cli = CliContext.of(ctx)
    if everyone:
        page = cli.backend.all_reservations_page(include_cancelled, limit=size, after=after)
    else:
        page = cli.backend.my_reservations_page(include_cancelled, limit=size, after=after)
    cli.output.page(page, lambda: _table(page.items, cli, show_user=everyone))


def _list(ctx: typer.Context, everyone: bool, include_cancelled: bool, only_upcoming: bool) -> None:
    cli = CliContext.of(ctx)
    backend = cli.backend
    if everyone:
        found = backend.all_reservations(include_cancelled=include_cancelled)
    else:
        found = backend.my_reservations(include_cancelled=include_cancelled)
    if only_upcoming:
        from reserver_core.schemas import HOLDING_STATUSES

        now = cli.now()
        found = sorted(
            (r for r in found if r.status in HOLDING_STATUSES and r.end_time > now),
            key=lambda r: (r.start_time, r.id),
        )
    cli.output.result(found, lambda: _table(found, cli, show_user=everyone))


def _table(found: list[ReservationInfo], cli: CliContext, show_user: bool) -> Any:
    from reserver_cli.tables import reservations_table

    return reservations_table(found, cli, show_user)


@app.command("show")
def show(ctx: typer.Context, reservation: ReservationArg) -> None:
    """Show one reservation (yours, or anyone's as an admin).

    \b
    Example:
      reserver reservations show 12
    """
    cli = CliContext.of(ctx)
    found = cli.backend.get_reservation(reservation)

    def human() -> Any:
        from reserver_cli.tables import reservation_facts

        return reservation_facts(found, cli)

    cli.output.result(found, human)


@app.command("history")
def history(ctx: typer.Context, reservation: ReservationArg) -> None:
    """Show what happened to a reservation, newest first.

    \b
    Example:
      reserver reservations history 12
    """
    cli = CliContext.of(ctx)
    events = cli.backend.history(reservation)

    def human() -> Any:
        from reserver_cli.tables import events_table

        return events_table(cli.backend.get_reservation(reservation), events, cli)

    cli.output.result(events, human)


book_app = single_command("book", book)
move_app = single_command("move", move)
note_app = single_command("note", note)
cancel_app = single_command("cancel", cancel)
upcoming_app = single_command("upcoming", upcoming)
next_free_app = single_command("next-free", next_free)
