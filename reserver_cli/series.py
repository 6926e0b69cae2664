"""Recurring series: `book ... --repeat` and `series list|show|cancel|retime`.

A series is read and shown in the user's zone: its first occurrence is START's wall
time there, and the rule keeps that wall time across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from reserver_cli.command_group import command_group
from reserver_cli.context import CliContext
from reserver_cli.exit_codes import ExplainedError
from reserver_core.errors import SeriesRefusedError, ValidationError

if TYPE_CHECKING:
    from reserver_core.schemas import Occurrence, Repeat, ResourceInfo, SeriesOutcome

app = command_group("series", "Recurring bookings: list, show, cancel or retime a series.")

SeriesArg = Annotated[int, typer.Argument(metavar="ID", help="The series' number.")]

_OPTIONS = {
    "repeat": "--repeat",
    "every": "--every",
    "on": "--on",
    "count": "--count",
    "until": "--until",
    "length_minutes": "--for",
}
"""The option a person typed for each field of the core's series request."""


@dataclass(frozen=True)
class RepeatOptions:
    """What `book` was told about repeating; all None/False for a single booking."""

    repeat: str | None = None
    every: int | None = None
    on: str | None = None
    count: int | None = None
    until: str | None = None
    skip_conflicts: bool = False
    dry_run: bool = False

    def given_alone(self) -> list[str]:
        """The repeat-only options given without --repeat."""
        given = {
            "--every": self.every is not None,
            "--on": self.on is not None,
            "--count": self.count is not None,
            "--until": self.until is not None,
            "--skip-conflicts": self.skip_conflicts,
            "--dry-run": self.dry_run,
        }
        return [option for option, present in given.items() if present]


def refuse_without_repeat(options: RepeatOptions) -> None:
    """A single booking takes none of the repeat-only options."""
    alone = options.given_alone()
    if alone:
        verb = "goes" if len(alone) == 1 else "go"
        raise ValidationError(
            f"{', '.join(alone)} {verb} only with --repeat daily|weekly|monthly", "repeat"
        )


@contextmanager
def _options_named() -> Iterator[None]:
    """Name the option typed, not the core's field, in a refusal of bad input."""
    try:
        yield
    except ValidationError as exc:
        option = _OPTIONS.get(exc.field or "")
        if option is None:
            raise
        named = exc.message.replace(f"'{exc.field}'", option)
        if named == exc.message:
            named = f"{option}: {exc.message}"
        raise ValidationError(named, exc.field) from exc


def book_series(
    cli: CliContext,
    target: ResourceInfo,
    start: datetime,
    end: datetime,
    note: str,
    options: RepeatOptions,
) -> None:
    """Preview and book (on --dry-run only preview) a series from `start`'s wall time in
    the user's zone, each occurrence as long as `start` to `end`; refused as a whole
    when a date clashes or is refused, unless --skip-conflicts."""
    from reserver_core.schemas import SeriesRequest, SeriesRule

    if (options.count is None) == (options.until is None):
        raise ValidationError(
            "a series ends after --count N occurrences or on --until DAY: give one of them",
            "count",
        )
    zone = cli.zone
    # The series starts on the minute (the core's rule); its length is counted from there.
    start = start.replace(second=0, microsecond=0)
    until = None
    if options.until is not None:
        from reserver_core.timeparse import parse_day

        until = parse_day(options.until, cli.now(), zone, "until")
    rule = SeriesRule(
        repeat=cast("Repeat", str(options.repeat).strip().lower()),
        every=1 if options.every is None else options.every,
        on=options.on or "",
        count=options.count,
        until=until,
    )
    request = SeriesRequest(
        resource_id=target.id,
        start=start.astimezone(zone).replace(tzinfo=None),
        timezone=zone.key,
        length_minutes=round((end - start) / timedelta(minutes=1)),
        rule=rule,
        note=note,
    )
    try:
        with _options_named():
            done = cli.backend.book_series(
                request, skip_conflicts=options.skip_conflicts, dry_run=options.dry_run
            )
    except SeriesRefusedError as exc:
        free = sum(1 for o in exc.occurrences if o.state == "free")
        what = "nothing was booked" if free else "nothing can be booked"
        hint = f"--skip-conflicts books the other {free}" if free else None
        raise _explain_refusal(cli, exc, what, hint) from exc

    def human() -> Any:
        from reserver_core.display import counted, day_label, format_duration

        length = format_duration(timedelta(minutes=request.length_minutes))
        if done.series is not None:
            title = f"{target.name}: {done.series.rule_text}, {length} each"
        else:
            first = day_label(request.start.date(), zone, now=cli.now())
            title = (
                f"{target.name}: {counted(len(done.occurrences), 'date')} from {first}, "
                f"at {request.start:%H:%M} {zone.key}, {length} each"
            )
        return _outcome_view(title, done, cli, _booking_summary(done, options.skip_conflicts))

    cli.output.result(done, human)


def _explain_refusal(
    cli: CliContext, error: SeriesRefusedError, what: str, hint: str | None
) -> ExplainedError:
    """A series refused as a whole: the headline, then every bad date on a line."""
    from reserver_core.display import day_label, series_refused_text

    headline = series_refused_text(error.occurrences, what)
    if error.resource:
        headline = f"{error.resource}: {headline}"
    now = cli.now()
    lines = [
        f"#{o.index} {day_label(o.day, cli.zone, now=now)}: {o.reason}"
        for o in error.occurrences
        if o.state in ("clash", "refused")
    ]
    if hint:
        lines.append(hint)
    lines.append("--dry-run lists every date")
    return ExplainedError(error, lines, message=headline)


def _outcome_view(title: str, done: SeriesOutcome, cli: CliContext, summary: str) -> Any:
    from rich.console import Group
    from rich.text import Text

    from reserver_cli.tables import occurrences_table

    return Group(Text(title, style="bold"), occurrences_table(done.occurrences, cli), summary)


def _numbers(occurrences: list[Occurrence]) -> str:
    return ", ".join(f"#{o.index}" for o in occurrences)


def _booking_summary(done: SeriesOutcome, skip_conflicts: bool) -> str:
    """What booking the series did, or on a dry run would do, and what it leaves out."""
    from reserver_core.display import counted

    bad = [o for o in done.occurrences if o.state in ("clash", "refused")]
    skipped = [o for o in done.occurrences if o.state == "skipped"]
    missing = (
        f"; {counted(len(skipped), 'month')} without that day ({_numbers(skipped)})"
        if skipped
        else ""
    )
    if not done.dry_run:
        assert done.series is not None
        left = f"; left out {len(bad)} ({_numbers(bad)})" if bad else ""
        return (
            f"Booked series #{done.series.id}: {counted(done.booked, 'occurrence')}{left}{missing}."
        )
    said = f"Dry run, nothing booked: {done.booked} of {done.booked + len(bad)} occurrences free"
    if bad:
        said += f", {len(bad)} cannot be booked ({_numbers(bad)})"
    said += missing + "."
    if bad and not skip_conflicts and done.booked:
        said += (
            f"\nAs it is, the series would be refused as a whole; --skip-conflicts books "
            f"the {done.booked} free."
        )
    return said


@app.command("list")
def list_series(
    ctx: typer.Context,
    everyone: Annotated[
        bool, typer.Option("--all", "-a", help="Admin: everyone's, not just yours.")
    ] = False,
) -> None:
    """List your series, newest first.

    Each with its rule, length, next occurrence and how many are still to come.

    \b
    Examples:
      reserver series list
      reserver series list --all --json
    """
    cli = CliContext.of(ctx)
    found = cli.backend.list_series(everyone)

    def human() -> Any:
        from reserver_cli.tables import series_table

        return series_table(found, cli, show_user=everyone)

    cli.output.result(found, human)


@app.command("show")
def show(ctx: typer.Context, series: SeriesArg) -> None:
    """Show a series and the status of each occurrence.

    Its rule in words, zone, length, owner and note, then every reservation it
    made, by start, with its status (and a cancelled one's reason).

    \b
    Examples:
      reserver series show 3
      reserver series show 3 --json
    """
    cli = CliContext.of(ctx)
    found = cli.backend.get_series(series)

    def human() -> Any:
        from reserver_cli.tables import series_facts

        return series_facts(found, cli)

    cli.output.result(found, human)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    series: SeriesArg,
    from_day: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="DAY",
            help="Only the occurrences from this day on (2027-04-05, tomorrow, mon), "
            "in your time zone.",
        ),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", "-r", metavar="TEXT", help="Why; kept in the history.")
    ] = None,
) -> None:
    """Cancel a series, or its occurrences from a day on.

    Without --from, every coming occurrence, and the series ends; with --from
    DAY, those starting on or after that day (in your time zone), the earlier
    ones kept. Occurrences that have ended stay as they were. Each cancelled
    one's history names the series and keeps the reason.

    \b
    Examples:
      reserver series cancel 3 --reason "the course ended"
      reserver series cancel 3 --from 2027-04-05
    """
    cli = CliContext.of(ctx)
    since = None
    if from_day is not None:
        from reserver_core.timeparse import parse_day

        day = parse_day(from_day, cli.now(), cli.zone, "from")
        since = datetime.combine(day, time(), tzinfo=cli.zone)
    before = cli.backend.get_series(series)
    after = cli.backend.cancel_series(series, since, reason)
    held = {r.id for r in before.occurrences if r.status == "active"}
    ended = [r for r in after.occurrences if r.id in held and r.status == "cancelled"]

    def human() -> str:
        from reserver_core.display import counted

        said = f"Cancelled {counted(len(ended), 'occurrence')} of series #{after.id}"
        said += f" ({after.resource.name})"
        if ended:
            first, last = (cli.show_time(r.start_time) for r in (ended[0], ended[-1]))
            said += f", {first}" if len(ended) == 1 else f", {first} to {last}"
        if reason:
            said += f": {reason}"
        kept = len(after.upcoming)
        return said + (f"; {counted(kept, 'occurrence')} kept." if kept else ".")

    cli.output.result(after, human)


@app.command("retime")
def retime(
    ctx: typer.Context,
    series: SeriesArg,
    start_time: Annotated[
        str,
        typer.Argument(
            metavar="START-TIME", help="The new time of day, HH:MM, in the series' zone."
        ),
    ],
    duration: Annotated[
        str | None,
        typer.Option("--for", "-f", metavar="DURATION", help="A new length too: 90m, 1h30m, 1:30."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what it would do; change nothing.")
    ] = False,
) -> None:
    """Move a series' coming occurrences to a new time.

    And to a new length, with --for.

    Each occurrence keeps its own date and takes START-TIME in the zone the
    series was booked in (`reserver series show` names it). Every date is
    checked as a booking at its new time and listed; if any clashes or is
    refused, nothing moves.

    \b
    Examples:
      reserver series retime 3 10:30 --dry-run
      reserver series retime 3 14:00 --for 90m
    """
    cli = CliContext.of(ctx)
    from reserver_core.timeparse import parse_clock

    clock = parse_clock(start_time, "start")
    length = None
    if duration is not None:
        length = round(cli.parse_duration(duration, "for") / timedelta(minutes=1))
    try:
        with _options_named():
            done = cli.backend.retime_series(series, clock, length, dry_run=dry_run)
    except SeriesRefusedError as exc:
        raise _explain_refusal(cli, exc, "nothing was moved", None) from exc

    def human() -> Any:
        from reserver_core.display import format_duration

        info = done.series or cli.backend.get_series(series)
        title = f"Series #{info.id} on {info.resource.name}: {info.rule_text}"
        minutes = info.length_minutes if length is None else length
        to = f"{clock:%H:%M} {info.timezone}, {format_duration(timedelta(minutes=minutes))} each"
        return _outcome_view(title, done, cli, _retime_summary(done, to))

    cli.output.result(done, human)


def _retime_summary(done: SeriesOutcome, to: str) -> str:
    """What retiming did, or on a dry run would do, the new time `to` in words."""
    from reserver_core.display import counted

    if not done.dry_run:
        return f"Moved {counted(done.booked, 'occurrence')} to {to}."
    bad = [o for o in done.occurrences if o.state in ("clash", "refused")]
    said = (
        f"Dry run, nothing moved: {done.booked} of {len(done.occurrences)} occurrences free at {to}"
    )
    if bad:
        said += (
            f"; {len(bad)} cannot be moved ({_numbers(bad)}), so as it is the retime would be "
            "refused as a whole"
        )
    return said + "."
