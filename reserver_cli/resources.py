"""`reserver resources ...`: browse, search and administer the bookable resources."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from reserver_cli.command_group import command_group
from reserver_cli.context import CliContext
from reserver_cli.exit_codes import ExitCode, ExplainedError
from reserver_cli.pages import AfterOption, LimitOption, page_limit
from reserver_core.errors import ValidationError

if TYPE_CHECKING:
    from reserver_core.schemas import (
        MaintenanceOutcome,
        MaintenancePreview,
        OverlapChoice,
        ResourceInfo,
    )

app = command_group(
    "resources",
    "Browse, search and administer resources.",
)

ResourceArg = Annotated[
    str,
    typer.Argument(
        metavar="RESOURCE",
        help="Resource id or name: any case, or its first letters when only one name begins so.",
    ),
]


class StatusChoice(StrEnum):
    """The statuses `resources search --status` accepts."""

    all = "all"
    available = "available"
    in_use = "in_use"
    unavailable = "unavailable"
    maintenance = "maintenance"
    disabled = "disabled"


def _split_tags(values: list[str] | None) -> list[str]:
    """Repeated --tag options, each of which may list several."""
    from reserver_core.resources import split_tags

    return split_tags(",".join(values or []))


@app.command("list")
def list_resources(
    ctx: typer.Context, limit: LimitOption = None, after: AfterOption = None
) -> None:
    """List every resource with its status now, by name (or one page of them).

    \b
    Examples:
      reserver resources list
      reserver resources list --json | jq '.[].name'
      reserver resources list --limit 50
      reserver resources list --limit 50 --after CURSOR
    """
    cli = CliContext.of(ctx)
    size = page_limit(limit, after)
    if size is not None:
        page = cli.backend.resources_page(size, after)
        cli.output.page(page, lambda: _table(page.items, cli))
        return
    found = cli.backend.list_resources()
    cli.output.result(found, lambda: _table(found, cli))


def _table(found: list[ResourceInfo], cli: CliContext) -> Any:
    from reserver_cli.tables import resources_table

    return resources_table(found, cli)


@app.command("search")
def search(
    ctx: typer.Context,
    text: Annotated[
        str | None, typer.Argument(help="Words to look for in names, descriptions and tags.")
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            "-t",
            metavar="TAG",
            help="Only resources with this tag (repeat or a,b for all).",
        ),
    ] = None,
    status: Annotated[
        StatusChoice, typer.Option("--status", "-s", help="Only resources in this status now.")
    ] = StatusChoice.all,
    free_from: Annotated[
        str | None,
        typer.Option("--free-from", metavar="WHEN", help="Only resources bookable from WHEN ..."),
    ] = None,
    free_until: Annotated[
        str | None,
        typer.Option(
            "--free-until",
            metavar="WHEN",
            help="... until WHEN (a bare 01:00 is the first 01:00 after --free-from).",
        ),
    ] = None,
    free_for: Annotated[
        str | None,
        typer.Option(
            "--for", metavar="DURATION", help="... for DURATION (instead of --free-until)."
        ),
    ] = None,
    limit: LimitOption = None,
    after: AfterOption = None,
) -> None:
    """Find resources by text, tag, status or a free window.

    \b
    Examples:
      reserver resources search projector
      reserver resources search --tag lab --status available
      reserver resources search --tag room --free-from "tomorrow 14:00" --for 1h
      reserver resources search room --limit 20
    """
    cli = CliContext.of(ctx)
    size = page_limit(limit, after)
    start, end = _free_window(cli, free_from, free_until, free_for)
    tags = _split_tags(tag)
    if size is not None:
        page = cli.backend.search_resources_page(
            text, tags, status.value, start, end, limit=size, after=after
        )
        cli.output.page(page, lambda: _table(page.items, cli))
        return
    found = cli.backend.search_resources(text, tags, status.value, start, end)
    cli.output.result(found, lambda: _table(found, cli))


def _free_window(
    cli: CliContext, free_from: str | None, free_until: str | None, free_for: str | None
) -> tuple[datetime | None, datetime | None]:
    if free_from is None:
        if free_until is not None or free_for is not None:
            raise ValidationError("--free-until and --for need --free-from", "free_from")
        return None, None
    if (free_until is None) == (free_for is None):
        raise ValidationError("with --free-from give either --free-until or --for", "free_until")
    start = cli.parse_when(free_from, "free_from")
    if free_for is not None:
        return start, cli.end_after(start, free_for, "for")
    return start, cli.parse_end(start, str(free_until), "free_until")


@app.command("show")
def show(ctx: typer.Context, resource: ResourceArg) -> None:
    """Show everything about one resource.

    \b
    Examples:
      reserver resources show 3
      reserver resources show "Room A"
    """
    cli = CliContext.of(ctx)
    found = cli.backend.find_resource(resource)

    def human() -> Any:
        from reserver_cli.tables import resource_facts

        return resource_facts(found, cli)

    cli.output.result(found, human)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The new resource's name (unique, any case).")],
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", metavar="TAG", help="A tag (repeat, or a,b,c)."),
    ] = None,
    description: Annotated[
        str, typer.Option("--description", "-d", metavar="TEXT", help="A longer description.")
    ] = "",
    disabled: Annotated[
        bool, typer.Option("--disabled", help="Create it disabled (not bookable yet).")
    ] = False,
) -> None:
    """Admin: add a resource.

    \b
    Examples:
      reserver resources create "Room A" --tag room --tag floor-2
      reserver resources create "Oscilloscope 3" -t lab,scope -d "Keysight, 4 channels"
    """
    cli = CliContext.of(ctx)
    created = cli.backend.create_resource(
        name, tags=_split_tags(tag), description=description, available=not disabled
    )
    cli.output.result(created, lambda: f"Created resource #{created.id}: {created.name}")


@app.command("edit")
def edit(
    ctx: typer.Context,
    resource: ResourceArg,
    name: Annotated[str | None, typer.Option("--name", metavar="NAME", help="A new name.")] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", metavar="TAG", help="Replace the tags (repeat, or a,b,c)."),
    ] = None,
    clear_tags: Annotated[bool, typer.Option("--clear-tags", help="Remove every tag.")] = False,
    description: Annotated[
        str | None, typer.Option("--description", "-d", metavar="TEXT", help="A new description.")
    ] = None,
) -> None:
    """Admin: rename a resource, or change its tags or description.

    \b
    Examples:
      reserver resources edit "Room A" --name "Room A (large)"
      reserver resources edit 3 --tag lab --tag scope
    """
    cli = CliContext.of(ctx)
    if tag and clear_tags:
        raise ValidationError("give --tag or --clear-tags, not both", "tag")
    tags = [] if clear_tags else (_split_tags(tag) if tag else None)
    if name is None and tags is None and description is None:
        raise ValidationError("nothing to change: give --name, --tag or --description", "name")
    target = cli.backend.find_resource(resource)
    updated = cli.backend.update_resource(target.id, name=name, tags=tags, description=description)
    cli.output.result(updated, lambda: f"Updated resource #{updated.id}: {updated.name}")


@app.command("enable")
def enable(ctx: typer.Context, resource: ResourceArg) -> None:
    """Admin: make a resource bookable again.

    \b
    Example:
      reserver resources enable "Room A"
    """
    _switch(ctx, resource, True)


@app.command("disable")
def disable(ctx: typer.Context, resource: ResourceArg) -> None:
    """Admin: stop a resource from being booked.

    Existing bookings stay; enable it again with: reserver resources enable

    \b
    Example:
      reserver resources disable "Room A"
    """
    _switch(ctx, resource, False)


def _switch(ctx: typer.Context, resource: str, available: bool) -> None:
    cli = CliContext.of(ctx)
    target = cli.backend.find_resource(resource)
    updated = cli.backend.set_available(target.id, available)
    word = "enabled" if available else "disabled"
    cli.output.result(updated, lambda: f"{updated.name} is now {word}.")


class Overlapped(StrEnum):
    """What to do, at the prompt, with the bookings a maintenance window overlaps."""

    cancel = "cancel"
    keep = "keep"
    abort = "abort"


@app.command("maintenance")
def maintenance(
    ctx: typer.Context,
    resource: ResourceArg,
    start: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="TIME", help="When it starts, in your time zone (default: now)."
        ),
    ] = None,
    length: Annotated[
        str | None,
        typer.Option("--for", metavar="LENGTH", help="How long: 90m, 4h, 2d (15m to 168h)."),
    ] = None,
    hours: Annotated[
        int | None,
        typer.Option("--hours", help="How long, in hours (1-168); 8 without --for."),
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why (up to 500 characters).")
    ] = "",
    cancel_overlapped: Annotated[
        bool,
        typer.Option("--cancel-overlapped", help="Cancel the active bookings in the window."),
    ] = False,
    keep_overlapped: Annotated[
        bool, typer.Option("--keep-overlapped", help="Keep the active bookings in the window.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Only list the bookings the window would overlap."),
    ] = False,
) -> None:
    """Admin: put a resource under maintenance, from now or ahead, with a reason.

    The active bookings the window overlaps are listed first: cancel them (each
    owner's history says it was for this maintenance, and why) or keep them.
    Asked at a terminal; a script says --cancel-overlapped or --keep-overlapped,
    and without either, the command refuses rather than guess. Bookings made
    after the listing are decided the same way. A new window replaces the last;
    `reserver resources reset` ends maintenance early.

    \b
    Examples:
      reserver resources maintenance "Room A" --for 2h --reason "new projector"
      reserver resources maintenance 3 --from "tomorrow 8:00" --hours 24 --keep-overlapped
      reserver resources maintenance "Room A" --from "mon 9:00" --for 4h --dry-run --json
    """
    cli = CliContext.of(ctx)
    if length is not None and hours is not None:
        raise ValidationError("give either --for LENGTH or --hours N, not both", "for")
    if cancel_overlapped and keep_overlapped:
        raise ValidationError(
            "give --cancel-overlapped or --keep-overlapped, not both", "cancel_overlapped"
        )
    window = _maintenance_length(cli, length, hours)
    begin = cli.parse_when(start, "from") if start is not None else None
    target = cli.backend.find_resource(resource)
    with _options_named({"length": "--for" if length is not None else "--hours"}):
        seen = cli.backend.preview_maintenance(target.id, window, begin, reason)
    if dry_run:
        cli.output.result(seen, lambda: _overlap_listing(seen, cli))
        return
    choice: OverlapChoice = "cancel" if cancel_overlapped else "keep"
    if seen.overlapped and not (cancel_overlapped or keep_overlapped):
        choice = _ask_about_overlapped(cli, seen)
    outcome = cli.backend.schedule_maintenance(target.id, window, begin, reason, choice)
    cli.output.result(outcome, lambda: _maintenance_done(outcome, cli))


def _maintenance_length(cli: CliContext, length: str | None, hours: int | None) -> timedelta:
    from reserver_core.resources import check_auto_reset_hours

    if length is not None:
        return cli.parse_duration(length, "for")
    try:
        return timedelta(hours=check_auto_reset_hours(8 if hours is None else hours))
    except ValidationError as exc:
        # The core's rule, said in the words of the option the user typed.
        raise ValidationError(f"--hours: {exc.message}", "hours") from exc


@contextmanager
def _options_named(options: dict[str, str]) -> Iterator[None]:
    """Name the option typed, not the core's field, in a refusal of bad input."""
    try:
        yield
    except ValidationError as exc:
        option = options.get(exc.field or "") or {"from": "--from", "reason": "--reason"}.get(
            exc.field or ""
        )
        if option is None:
            raise
        raise ValidationError(f"{option}: {exc.message}", exc.field) from exc


def _overlap_listing(seen: MaintenancePreview, cli: CliContext) -> Any:
    from rich.console import Group
    from rich.text import Text

    from reserver_cli.tables import reservations_table
    from reserver_core.display import counted

    window = cli.show_window(seen.start_time, seen.end_time)
    head = f"Maintenance of {seen.resource.name} {window}"
    if seen.reason:
        head += f" ({seen.reason})"
    if not seen.overlapped:
        return Text(f"{head} overlaps no active booking.")
    title = Text(f"{head} overlaps {counted(len(seen.overlapped), 'active booking')}:")
    return Group(title, reservations_table(seen.overlapped, cli, show_user=True))


def _ask_about_overlapped(cli: CliContext, seen: MaintenancePreview) -> OverlapChoice:
    """The admin's choice at a terminal; a refusal anywhere else."""
    count = len(seen.overlapped)
    if cli.output.json_mode or not sys.stdin.isatty():
        if not cli.output.json_mode:
            cli.output.stderr.print(_overlap_listing(seen, cli))
        from reserver_core.display import counted
        from reserver_core.schemas import to_json

        refusal = ValidationError(
            f"the window overlaps {counted(count, 'active booking')} "
            f"({', '.join(f'#{r.id}' for r in seen.overlapped)}): give --cancel-overlapped "
            "or --keep-overlapped (--dry-run lists them)",
            "cancel_overlapped",
        )
        raise ExplainedError(refusal, fields={"overlapped": to_json(seen.overlapped)})
    cli.output.stderr.print(_overlap_listing(seen, cli))
    words = [choice.value for choice in Overlapped]
    answer = ""
    while answer not in words:
        answer = str(
            typer.prompt(f"Cancel them, keep them, or abort? [{'/'.join(words)}]", err=True)
        )
        answer = answer.strip().lower()
    if answer == Overlapped.abort:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    return "cancel" if answer == Overlapped.cancel else "keep"


def _maintenance_done(outcome: MaintenanceOutcome, cli: CliContext) -> str:
    window = cli.show_window(outcome.start_time, outcome.end_time)
    lines = [f"{outcome.resource.name} is under maintenance {window}."]
    if outcome.reason:
        lines[0] = lines[0][:-1] + f" ({outcome.reason})."
    for verb, held in (("Cancelled", outcome.cancelled), ("Kept", outcome.kept)):
        for reservation in held:
            booked = cli.show_window(reservation.start_time, reservation.end_time)
            lines.append(f"{verb} #{reservation.id} {booked} by {reservation.username}.")
    return "\n".join(lines)


@app.command("reset")
def reset(ctx: typer.Context, resource: ResourceArg) -> None:
    """Admin: end a resource's maintenance now.

    \b
    Example:
      reserver resources reset "Room A"
    """
    cli = CliContext.of(ctx)
    target = cli.backend.find_resource(resource)
    updated = cli.backend.end_maintenance(target.id)
    cli.output.result(updated, lambda: f"{updated.name} is back in service.")


@app.command("status")
def status(ctx: typer.Context, resource: ResourceArg) -> None:
    """Show a resource's current and next booking, and maintenance.

    \b
    Example:
      reserver resources status "Room A"
    """
    cli = CliContext.of(ctx)
    target = cli.backend.find_resource(resource)
    detail = cli.backend.resource_status(target.id)

    def human() -> Any:
        from reserver_cli.tables import status_facts

        return status_facts(detail, cli)

    cli.output.result(detail, human)


def _parse_day(cli: CliContext, text: str) -> date:
    from reserver_core.timeparse import parse_day

    return parse_day(text, cli.now(), cli.zone, "from")


@app.command("availability")
def availability(
    ctx: typer.Context,
    resource: ResourceArg,
    start_day: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="DAY", help="First day: 2026-12-07, today, tomorrow or mon."
        ),
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=62, help="How many days.")] = 7,
    from_hour: Annotated[
        int | None,
        typer.Option(
            "--from-hour", metavar="HOUR", help="First hour of each day, 0-23 (default: settings)."
        ),
    ] = None,
    to_hour: Annotated[
        int | None,
        typer.Option(
            "--to-hour", metavar="HOUR", help="Hour each day ends, 1-24 (default: settings)."
        ),
    ] = None,
) -> None:
    """Show a resource's week as a grid of slots in your time zone.

    Each day runs from the settings' day_start to day_end (08:00-18:00 unless
    changed); --from-hour and --to-hour show other hours, --from-hour 0
    --to-hour 24 the whole day.

    \b
    Examples:
      reserver resources availability "Room A"
      reserver resources availability 3 --from mon --days 5
      reserver resources availability "Room A" --from-hour 18 --to-hour 24
      reserver resources availability "Room A" --tz America/New_York
    """
    cli = CliContext.of(ctx)
    first = _parse_day(cli, start_day) if start_day else None
    settings = cli.settings
    day_start, day_end = _hour_span(from_hour, to_hour, settings.day_start, settings.day_end)
    target = cli.backend.find_resource(resource)
    grid = cli.backend.schedule(
        target.id,
        start_day=first,
        days=days,
        tz=cli.zone.key,
        slot_minutes=settings.slot_minutes,
        day_start=day_start,
        day_end=day_end,
    )

    def human() -> Any:
        from reserver_cli.tables import schedule_grid

        return schedule_grid(grid, cli)

    cli.output.result(grid, human)


def _hour_span(
    from_hour: int | None, to_hour: int | None, day_start: time, day_end: time
) -> tuple[time, time]:
    """The hours of each day to show; an option not given falls back to the settings."""
    if from_hour is not None and not 0 <= from_hour <= 23:
        raise ValidationError(f"--from-hour must be 0 to 23, not {from_hour}", "from_hour")
    if to_hour is not None and not 1 <= to_hour <= 24:
        raise ValidationError(
            f"--to-hour must be 1 to 24 (24 is midnight), not {to_hour}", "to_hour"
        )
    start = day_start if from_hour is None else time(from_hour)
    end = day_end if to_hour is None else time(to_hour % 24)
    if end != time(0) and end <= start:
        raise ValidationError(
            f"the day must start before it ends: {start:%H:%M} is not before {end:%H:%M}"
            " (--from-hour must be less than --to-hour; without one, the settings' "
            "day_start or day_end applies)",
            "to_hour" if to_hour is not None else "from_hour",
        )
    return start, end


@contextmanager
def _progress(cli: CliContext, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on stderr while it is a terminal; None elsewhere."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        console=cli.output.stderr,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@app.command("import")
def import_csv(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="CSV file, or - for stdin.")],
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="Import the good rows and report the bad ones."),
    ] = False,
    update_existing: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Update the resources the file names that exist (tags, description, "
            "availability) instead of refusing them.",
        ),
    ] = False,
) -> None:
    """Admin: import resources from a CSV file, all in one transaction.

    The file's header is name,tags[,available][,description] (available and
    description in either order, or left out), as export writes it. A name
    the store has is a bad line, unless --update: then that resource takes
    the line's tags, and its availability and description where the file has
    those columns (matched by name in any case; it keeps its own name). By
    default a file with any bad line is rejected whole and every bad line is
    listed; --skip-invalid imports the good rows and lists the skipped ones.

    \b
    Examples:
      reserver resources import rooms.csv
      reserver resources import rooms.csv --skip-invalid
      reserver resources export -o rooms.csv   # edit it, then:
      reserver resources import rooms.csv --update
      cat rooms.csv | reserver resources import -
    """
    from reserver_core.errors import ImportRejectedError

    cli = CliContext.of(ctx)
    backend = cli.backend
    try:
        with _open_input(file) as data, _progress(cli, "Importing") as progress:
            report = backend.import_csv(
                data, skip_invalid=skip_invalid, progress=progress, update_existing=update_existing
            )
    except ImportRejectedError as exc:
        from reserver_core.csv_io import names_existing_resources

        if update_existing or not names_existing_resources(exc.errors):
            raise
        hint = "to update the resources that exist already, import again with --update"
        raise ExplainedError(exc, [hint]) from exc
    for problem in report.errors:
        cli.output.warning(f"skipped line {problem.line}: {problem.message}")

    def human() -> str:
        from reserver_core.display import describe_import

        return describe_import(report) + "."

    cli.output.result(report, human)


@contextmanager
def _open_input(file: str) -> Iterator[Any]:
    if file == "-":
        yield sys.stdin.buffer
        return
    with ExitStack() as stack:
        try:
            handle = stack.enter_context(Path(file).open("rb"))
        except OSError as exc:
            raise ValidationError(f"cannot read {file}: {exc.strerror}", "file") from exc
        yield handle


@app.command("export")
def export_csv(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write here instead of stdout (- is stdout)."
        ),
    ] = None,
) -> None:
    """Write every resource as CSV, ready for import.

    The columns are name,tags,available,description: an edited export goes
    back with import --update.

    \b
    Examples:
      reserver resources export > resources.csv
      reserver resources export -o resources.csv
      reserver resources export | reserver --database-url sqlite:///copy.db resources import -
    """
    cli = CliContext.of(ctx)
    if output is None or str(output) == "-":
        if cli.output.json_mode:
            raise ValidationError(
                "--json needs --output FILE: without it the CSV itself goes to stdout", "output"
            )
        cli.backend.export_csv(sys.stdout)
        return
    count = _export_to_file(cli, output)
    summary = {"exported_count": count, "file": str(output)}
    cli.output.result(summary, lambda: f"Exported {count} resources to {output}.")


def _export_to_file(cli: CliContext, output: Path) -> int:
    from reserver_core.csv_io import export_to_path

    with _progress(cli, "Exporting") as progress:
        return export_to_path(cli.backend.export_csv, output, progress, field="output")
