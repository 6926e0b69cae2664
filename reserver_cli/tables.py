"""Rich renderings of reserver's data for people; imported only in human mode."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from reserver_cli.context import CliContext
from reserver_core.display import (
    NOTICE_KIND_LABELS,
    POLICY_FIELD_LABELS,
    allowance_text,
    closure_text,
    day_label,
    describe_event,
    describe_maintenance,
    holder_name,
    month_label,
    notice_text,
    pending_text,
    policy_source_text,
    policy_value_text,
    status_label,
    waitlist_status_text,
)
from reserver_core.schemas import (
    POLICY_FIELDS,
    EffectivePolicy,
    EventInfo,
    Notice,
    Occurrence,
    PolicyInfo,
    ReservationInfo,
    ResourceInfo,
    ResourceStatusDetail,
    Schedule,
    SeriesInfo,
    WaitlistInfo,
)

STATUS_STYLES = {
    "available": "green",
    "in_use": "yellow",
    "maintenance": "magenta",
    "disabled": "red",
    "active": "green",
    "pending": "yellow",
    "offered": "cyan",
    "cancelled": "red",
    "expired": "dim",
    "rejected": "red",
    "declined": "dim",
    "waiting": "yellow",
    "requested": "yellow",
    "approved": "green",
    "accepted": "green",
    "free": "green",
    "booked": "green",
    "clash": "red",
    "refused": "red",
    "skipped": "dim",
    "ended": "dim",
}
STATUS_LABELS = {"in_use": "in use"}

SLOT_GLYPHS = {
    "free": ("·", "green"),
    "mine": ("▓", "bold cyan"),
    "booked": ("█", "red"),
    "maintenance": ("▒", "magenta"),
    "closed": ("░", "bright_black"),
    "disabled": ("x", "red dim"),
    "past": ("-", "dim"),
}
SLOT_LEGEND = {
    "free": "free",
    "mine": "yours",
    "booked": "booked",
    "maintenance": "maintenance",
    "closed": "closed",
    "disabled": "disabled",
    "past": "past",
}


LONG_LIST = 500
"""Above this many rows a list is printed as aligned lines: a Rich Table lays out
about a thousand rows a second, so 30 000 resources would take half a minute."""

Cell = str | tuple[str, str]
"""A table cell: its text, or its text and a Rich style."""


@dataclass(frozen=True)
class Column:
    """A column of a list table."""

    header: str
    justify: Literal["left", "right"] = "left"
    style: str = ""


def list_table(columns: list[Column], rows: list[list[Cell]]) -> RenderableType:
    """Rows under headers: a Rich Table, or aligned lines that look alike for long lists."""
    if len(rows) > LONG_LIST:
        return AlignedLines(columns, rows)
    table = Table(show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column.header, justify=column.justify, style=column.style)
    for row in rows:
        table.add_row(*(Text(cell) if isinstance(cell, str) else Text(*cell) for cell in row))
    return table


class AlignedLines:
    """A table drawn like Rich's, without wrapping cells: fast for any number of rows."""

    def __init__(self, columns: list[Column], rows: list[list[Cell]]) -> None:
        self.columns = columns
        self.rows = [[(c, "") if isinstance(c, str) else c for c in row] for row in rows]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        """Yield the header, its rule and one line per row."""
        widths = [cell_len(column.header) for column in self.columns]
        for row in self.rows:
            for index, (text, _) in enumerate(row):
                widths[index] = max(widths[index], cell_len(text))
        last = len(self.columns) - 1
        bold = console.get_style("bold")
        header = "┃".join(
            f" {self._pad(c.header, widths[i], c.justify, i == last)} "
            for i, c in enumerate(self.columns)
        )
        yield Segment(header.rstrip(), bold)
        yield Segment.line()
        yield Segment("╇".join("━" * (width + 2) for width in widths))
        yield Segment.line()
        base = [console.get_style(column.style or "none") for column in self.columns]
        for row in self.rows:
            for index, (text, style) in enumerate(row):
                column = self.columns[index]
                padded = self._pad(text, widths[index], column.justify, index == last)
                yield Segment(" │ " if index else " ")
                cell_style = base[index] + console.get_style(style) if style else base[index]
                yield Segment(padded, cell_style)
            yield Segment.line()

    @staticmethod
    def _pad(text: str, width: int, justify: str, last: bool) -> str:
        gap = " " * (width - cell_len(text))
        if justify == "right":
            return gap + text
        return text if last else text + gap


def status_text(status: str) -> Text:
    """A status word in its colour."""
    return Text(*_status_cell(status))


def _status_cell(status: str) -> tuple[str, str]:
    return STATUS_LABELS.get(status, status), STATUS_STYLES.get(status, "")


def facts(rows: Iterable[tuple[str, str | Text]], title: str | None = None) -> Table:
    """A two-column table of labels and values."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(label, value)
    if title is None:
        return table
    outer = Table.grid()
    outer.add_row(Text(title, style="bold underline"))
    outer.add_row(table)
    return outer


def resource_note(resource: ResourceInfo, cli: CliContext) -> str:
    """What makes a resource's status interesting right now, in words."""
    if resource.status == "maintenance" and resource.maintenance_until:
        return f"maintenance until {cli.show_time(resource.maintenance_until)}"
    if resource.unavailable_since and resource.unavailable_since > cli.now():
        return f"maintenance from {cli.show_time(resource.unavailable_since)}"
    if resource.status == "in_use" and resource.busy_until:
        return f"busy until {cli.show_time(resource.busy_until)}"
    if not resource.available:
        return "disabled by an admin"
    return ""


def resources_table(resources: list[ResourceInfo], cli: CliContext) -> RenderableType:
    """Resources as a table: id, name, status, tags, note."""
    if not resources:
        return Text("No resources.", style="dim")
    columns = [
        Column("ID", "right", "dim"),
        Column("Name", style="bold"),
        Column("Status"),
        Column("Tags"),
        Column("Note", style="dim"),
    ]
    rows: list[list[Cell]] = [
        [
            str(resource.id),
            resource.name,
            _status_cell(resource.status),
            ", ".join(resource.tags),
            resource_note(resource, cli),
        ]
        for resource in resources
    ]
    return list_table(columns, rows)


def resource_facts(resource: ResourceInfo, cli: CliContext) -> RenderableType:
    """Everything about one resource."""
    rows: list[tuple[str, str | Text]] = [
        ("ID", str(resource.id)),
        ("Name", Text(resource.name)),
        ("Status", status_text(resource.status)),
        ("Enabled", "yes" if resource.available else "no"),
        ("Tags", Text(", ".join(resource.tags) or "-")),
        ("Description", Text(resource.description or "-")),
        ("Created", cli.show_time(resource.created_at)),
        ("Maintenance lasts", f"{resource.auto_reset_hours} h unless reset sooner"),
    ]
    maintenance = describe_maintenance(resource, cli.now(), cli.zone)
    if maintenance:
        rows.append(("Maintenance", Text(maintenance)))
    if resource.busy_until:
        rows.append(("Busy until", cli.show_time(resource.busy_until)))
    return facts(rows)


def status_facts(detail: ResourceStatusDetail, cli: CliContext) -> RenderableType:
    """A resource's detailed status: current and next booking, maintenance timing."""
    rows: list[tuple[str, str | Text]] = [
        ("Resource", Text(f"{detail.resource.name} (#{detail.resource.id})")),
        ("Status", status_text(detail.status)),
        ("Now", cli.show_time(detail.timestamp)),
    ]
    current = detail.current_reservation
    rows.append(("Current", booking_line(current, cli) if current else "-"))
    following = detail.next_reservation
    rows.append(("Next", booking_line(following, cli) if following else "-"))
    maintenance = describe_maintenance(detail.resource, detail.timestamp, cli.zone)
    if maintenance:
        rows.append(("Maintenance", Text(maintenance)))
    return facts(rows)


NOTE_IN_LIST = 40
"""The characters of a note a list shows; `reservations show` shows all of it."""


def short_note(note: str, width: int = NOTE_IN_LIST) -> str:
    """A note cut to `width` characters, an ellipsis saying where."""
    return note if len(note) <= width else note[: width - 1].rstrip() + "…"


def booking_line(reservation: ReservationInfo, cli: CliContext) -> Text:
    """One reservation in one line: `#12 Tue 1 Dec 14:00-15:30 CET by alice: planning`,
    `... by alice ↻ 3: planning` for an occurrence of series 3, `... by bob (pending
    approval)` for a slot held but not booked yet."""
    line = Text(
        f"#{reservation.id} "
        f"{cli.show_window(reservation.start_time, reservation.end_time)} "
        f"by {holder_name(reservation)}"
    )
    if reservation.series_id is not None:
        line.append(f" {series_mark(reservation)}")
    if reservation.status != "active":
        line.append(f" ({status_label(reservation, cli.zone, now=cli.now())})")
    if reservation.note:
        line.append(f": {short_note(reservation.note)}", style="dim")
    return line


def reservations_table(
    reservations: list[ReservationInfo], cli: CliContext, show_user: bool
) -> RenderableType:
    """Reservations as a table: id, resource, when, length, status (and owner), and the
    start of each note when any has one."""
    if not reservations:
        return Text("No reservations.", style="dim")
    columns = [
        Column("ID", "right", "dim"),
        Column("Resource", style="bold"),
        Column("When"),
        Column("Length", "right"),
        Column("Status"),
    ]
    if show_user:
        columns.append(Column("User"))
    show_series = any(reservation.series_id is not None for reservation in reservations)
    if show_series:
        columns.append(Column("Series"))
    show_notes = any(reservation.note for reservation in reservations)
    if show_notes:
        columns.append(Column("Note", style="dim"))
    rows: list[list[Cell]] = []
    for reservation in reservations:
        row: list[Cell] = [
            str(reservation.id),
            reservation.resource.name,
            cli.show_window(reservation.start_time, reservation.end_time),
            cli.show_duration(reservation.end_time - reservation.start_time),
            reservation_status_cell(reservation, cli),
        ]
        if show_user:
            row.append(holder_name(reservation))
        if show_series:
            row.append(series_mark(reservation))
        if show_notes:
            row.append(short_note(reservation.note))
        rows.append(row)
    return list_table(columns, rows)


def reservation_status_cell(reservation: ReservationInfo, cli: CliContext) -> tuple[str, str]:
    """A reservation's status as a list shows it ("pending approval", "offered until
    10:30 CET"), in its colour."""
    label = status_label(reservation, cli.zone, now=cli.now())
    return label, STATUS_STYLES.get(reservation.status, "")


def series_mark(reservation: ReservationInfo) -> str:
    """ "↻ 3" for an occurrence of series 3, "" for a single booking."""
    return "" if reservation.series_id is None else f"↻ {reservation.series_id}"


def reservation_facts(reservation: ReservationInfo, cli: CliContext) -> RenderableType:
    """Everything about one reservation."""
    rows: list[tuple[str, str | Text]] = [
        ("Reservation", f"#{reservation.id}"),
        ("Resource", Text(f"{reservation.resource.name} (#{reservation.resource_id})")),
        ("When", cli.show_window(reservation.start_time, reservation.end_time)),
        ("Length", cli.show_duration(reservation.end_time - reservation.start_time)),
        ("Status", Text(*_held_status(reservation, cli))),
        ("Booked by", holder_name(reservation)),
        ("Booked at", cli.show_time(reservation.created_at)),
        ("Note", Text(reservation.note or "-")),
    ]
    if reservation.status == "offered":
        rows.append(("Answer", offer_answers(reservation.id)))
    series = reservation.series_id
    if series is not None:
        rows.append(("Series", f"#{series} (its dates: reserver series show {series})"))
    if reservation.cancelled_at:
        rows.append(("Cancelled at", cli.show_time(reservation.cancelled_at)))
    if reservation.cancellation_reason:
        rows.append(("Reason", Text(reservation.cancellation_reason)))
    return facts(rows)


def _held_status(reservation: ReservationInfo, cli: CliContext) -> tuple[str, str]:
    style = STATUS_STYLES.get(reservation.status, "")
    if reservation.status == "pending":
        return pending_text(reservation, cli.zone, now=cli.now()), style
    if reservation.status == "offered" and reservation.decide_by is not None:
        return f"offered to you until {cli.show_time(reservation.decide_by)}", style
    return reservation.status, style


def offer_answers(reservation_id: int) -> str:
    """The commands that answer an offer."""
    return f"reserver waitlist accept {reservation_id}  (or: decline {reservation_id})"


def events_table(
    reservation: ReservationInfo, events: list[EventInfo], cli: CliContext
) -> RenderableType:
    """A reservation's history, newest first, under a line naming the reservation."""
    window = cli.show_window(reservation.start_time, reservation.end_time)
    title = (
        f"#{reservation.id} {reservation.resource.name}, {window}, {reservation.status}, "
        f"held by {holder_name(reservation)}"
    )
    if reservation.note:
        title += f"\nnote: {reservation.note}"
    if not events:
        return Group(Text(title), Text("No history.", style="dim"))
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    table.add_column("When")
    table.add_column("Action", style="bold")
    table.add_column("By")
    table.add_column("Details")
    for event in events:
        table.add_row(
            cli.show_time(event.timestamp),
            Text(event.action, style=STATUS_STYLES.get(event.action, "")),
            event.actor,
            Text(describe_event(event, reservation, cli.zone, now=cli.now())),
        )
    return table


def schedule_grid(schedule: Schedule, cli: CliContext) -> RenderableType:
    """The week grid: a row per local day, a cell per slot, then the bookings in range."""
    if not schedule.days or not schedule.days[0].slots:
        return Text("No slots in this range.", style="dim")
    zone = cli.zone
    width = 1 if schedule.slot_minutes < 30 else 2
    first_start = schedule.days[0].slots[0].start.astimezone(zone)
    day_start = first_start.hour * 60 + first_start.minute
    columns = max(len(day.slots) for day in schedule.days)
    labels = [_day_label(day.slots[0].start, cli) if day.slots else "" for day in schedule.days]
    label_width = max(len(label) for label in labels)

    header = [" "] * (columns * width)
    free_from = 0
    for column in range(columns):
        minute = day_start + column * schedule.slot_minutes
        position = column * width
        if minute % 60 == 0 and position >= free_from:
            label = f"{(minute // 60) % 24:02d}"
            header[position : position + len(label)] = label
            free_from = position + len(label) + 1
    lines = [Text(" " * (label_width + 1) + "".join(header).rstrip(), style="dim")]
    for label, day in zip(labels, schedule.days, strict=True):
        line = Text(label.ljust(label_width) + " ")
        cells: list[tuple[str, str]] = [(" " * width, "")] * columns
        for slot in day.slots:
            local = slot.start.astimezone(zone)
            index = (local.hour * 60 + local.minute - day_start) // schedule.slot_minutes
            if 0 <= index < columns:
                glyph, style = SLOT_GLYPHS[slot.state]
                cells[index] = (glyph * width, style)
        for text, style in cells:
            line.append(text, style=style)
        lines.append(line)
    legend = Text("")
    for state, (glyph, style) in SLOT_GLYPHS.items():
        legend.append(glyph * width, style=style)
        legend.append(f" {SLOT_LEGEND[state]}   ")
    title = Text.assemble(
        (schedule.resource.name, "bold"),
        f"  {schedule.timezone}, {schedule.slot_minutes}-minute slots",
    )
    parts: list[RenderableType] = [title, Text(""), *lines, Text(""), legend]
    if schedule.reservations:
        parts.append(Text(""))
        parts.append(Text("Bookings in this range:", style="bold"))
        parts.extend(Text("  ").append_text(booking_line(r, cli)) for r in schedule.reservations)
    return Group(*parts)


def _day_label(start: datetime, cli: CliContext) -> str:
    # "Tue 1 Dec 08:00 CET" without the time and zone.
    return cli.show_time(start).rsplit(" ", 2)[0]


def _policy_value(name: str, value: object) -> Text:
    """A policy field's value; closures one to a line."""
    if name == "closed" and isinstance(value, list) and value:
        return Text("\n".join(closure_text(closure) for closure in value))
    return Text(policy_value_text(name, value))


def sets_nothing(policy: PolicyInfo) -> bool:
    """Whether a scope's policy leaves every field unset."""
    return all(_unset(name, getattr(policy, name)) for name in POLICY_FIELDS)


def _unset(name: str, value: object) -> bool:
    # No closures is unset; no approvers named is a setting (admins only).
    return value is None or (name == "closed" and value == [])


def policy_facts(policy: PolicyInfo, title: str, *, only_set: bool) -> RenderableType:
    """What one scope's policy sets, under `title`; `only_set` leaves out the fields it
    does not set, which are otherwise shown as "not set"."""
    rows: list[tuple[str, str | Text]] = []
    for name in POLICY_FIELDS:
        value = getattr(policy, name)
        if _unset(name, value):
            if not only_set:
                rows.append((POLICY_FIELD_LABELS[name], Text("not set", style="dim")))
            continue
        rows.append((POLICY_FIELD_LABELS[name], _policy_value(name, value)))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(f"  {label}", value)
    return Group(Text(title), table)


def policies_listing(policies: list[PolicyInfo]) -> RenderableType:
    """Every scope that sets a rule, each with the rules it sets."""
    if not policies:
        return Text(
            "No policies: every resource is open at all times, and only the store's "
            "booking length limits apply.",
            style="dim",
        )
    parts: list[RenderableType] = []
    for policy in policies:
        if parts:
            parts.append(Text(""))
        title = policy.label[:1].upper() + policy.label[1:]
        parts.append(policy_facts(policy, title, only_set=True))
    return Group(*parts)


_SHOWN_WHEN_GIVEN = frozenset({"approvers", "approval_timeout_minutes"})
"""Fields an effective policy names only where approval is required, and that mean
nothing elsewhere."""


def effective_policy_facts(policy: EffectivePolicy, cli: CliContext) -> RenderableType:
    """The rules that apply to a resource, the scope each comes from, its coming closures
    and the reader's allowances on it."""
    given = {field.name: field for field in policy.fields}
    zone = ZoneInfo(policy.timezone)
    now = cli.now()
    closed = given.get("closed")
    coming = [
        closure
        for closure in (closed.value if closed is not None else [])
        if closure.end.replace(tzinfo=zone) > now
    ]
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_column(style="dim")
    for name in POLICY_FIELDS:
        field = given.get(name)
        if field is None and name in _SHOWN_WHEN_GIVEN:
            continue
        source = policy_source_text(field.source) if field is not None else ""
        if name == "closed":
            value = f"{len(coming)} coming, listed below" if coming else "none coming"
        else:
            value = policy_value_text(name, field.value if field is not None else None)
        table.add_row(f"  {POLICY_FIELD_LABELS[name]}", Text(value), source)
    parts: list[RenderableType] = [
        Text(f"Booking policy of {policy.resource.name}", style="bold"),
        table,
    ]
    if policy.timezone != cli.zone.key:
        parts.append(
            Text(
                f"  Opening hours and closures are in {policy.timezone} time, "
                f"not in yours ({cli.zone.key}).",
                style="dim",
            )
        )
    if coming:
        parts.append(Text(""))
        parts.append(Text(f"Closures ({policy.timezone} time)", style="bold"))
        parts.extend(Text(f"  {closure_text(closure)}") for closure in coming)
    if policy.allowances:
        parts.append(Text(""))
        parts.append(Text("Your allowances", style="bold"))
        parts.extend(
            Text(f"  {allowance_text(allowance, cli.zone, now=now)}")
            for allowance in policy.allowances
        )
    elif "max_active" in given or "max_hours_per_week" in given:
        parts.append(Text(""))
        parts.append(Text("Log in to see how much of these allowances you hold.", style="dim"))
    return Group(*parts)


def clock_range(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """The local times of a window without its day: "09:00-10:00 CET", both zones' names
    across a daylight-saving change, "(next day)" when it ends on a later day."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    later = " (next day)" if last.date() > first.date() else ""
    if first.tzname() != last.tzname():
        return f"{first:%H:%M} {first.tzname()}-{last:%H:%M} {last.tzname()}{later}"
    return f"{first:%H:%M}-{last:%H:%M} {last.tzname()}{later}"


def occurrences_table(occurrences: list[Occurrence], cli: CliContext) -> RenderableType:
    """A series' dates, previewed or booked: number, local day and time, state, the booking
    that holds it, and why not (a clash's holder and time, a refusal, a month without that
    day) or how a daylight-saving change moves it."""
    zone, now = cli.zone, cli.now()
    held = any(occurrence.reservation_id is not None for occurrence in occurrences)
    remarks = [
        "; ".join(part for part in (occurrence.reason, occurrence.remark) if part)
        for occurrence in occurrences
    ]
    columns = [Column("#", "right", "dim"), Column("Day"), Column("Time"), Column("State")]
    if held:
        columns.append(Column("Booking", "right", "dim"))
    if any(remarks):
        columns.append(Column("Remarks"))
    rows: list[list[Cell]] = []
    for occurrence, remark in zip(occurrences, remarks, strict=True):
        start, end = occurrence.start_time, occurrence.end_time
        if start is None:
            # A skipped day is one its month lacks: the month is what it names.
            day = month_label(occurrence.day, zone, now=now)
        else:
            day = day_label(start.astimezone(zone).date(), zone, now=now)
        row: list[Cell] = [
            str(occurrence.index),
            day,
            "-" if start is None or end is None else clock_range(start, end, zone),
            _status_cell(occurrence.state),
        ]
        if held:
            row.append("" if occurrence.reservation_id is None else f"#{occurrence.reservation_id}")
        if any(remarks):
            row.append(remark)
        rows.append(row)
    return list_table(columns, rows)


def series_state(series: SeriesInfo, now: datetime) -> str:
    """ "cancelled", "active" while an occurrence is still to come or under way, else "ended"."""
    if series.cancelled_at is not None:
        return "cancelled"
    return "active" if any(r.end_time > now for r in series.upcoming) else "ended"


def series_table(series: list[SeriesInfo], cli: CliContext, show_user: bool) -> RenderableType:
    """Series as a table: id, resource, rule, the next occurrence, how many of its
    occurrences are still to come, status (and owner); `series show` tells the rest."""
    if not series:
        return Text("No series.", style="dim")
    now = cli.now()
    columns = [
        Column("ID", "right", "dim"),
        Column("Resource", style="bold"),
        Column("Repeats"),
        Column("Next"),
        Column("Left", "right"),
        Column("Status"),
    ]
    if show_user:
        columns.append(Column("User"))
    rows: list[list[Cell]] = []
    for one in series:
        coming = [r for r in one.upcoming if r.end_time > now]
        row: list[Cell] = [
            str(one.id),
            one.resource.name,
            one.rule_text,
            cli.show_time(coming[0].start_time) if coming else "-",
            f"{len(coming)} of {len(one.occurrences)}",
            _status_cell(series_state(one, now)),
        ]
        if show_user:
            row.append(one.username)
        rows.append(row)
    return list_table(columns, rows)


def series_facts(series: SeriesInfo, cli: CliContext) -> RenderableType:
    """Everything about one series, then each of its occurrences with its status."""
    now = cli.now()
    rows: list[tuple[str, str | Text]] = [
        ("Series", f"#{series.id}"),
        ("Resource", Text(f"{series.resource.name} (#{series.resource.id})")),
        ("Repeats", Text(series.rule_text)),
        ("Zone", series.timezone),
        ("Length", cli.show_duration(timedelta(minutes=series.length_minutes))),
        ("Status", status_text(series_state(series, now))),
        ("Booked by", series.username),
        ("Booked at", cli.show_time(series.created_at)),
        ("Note", Text(series.note or "-")),
    ]
    if series.cancelled_at:
        rows.append(("Cancelled at", cli.show_time(series.cancelled_at)))
    if series.cancellation_reason:
        rows.append(("Reason", Text(series.cancellation_reason)))
    if not series.occurrences:
        return Group(facts(rows), Text(""), Text("No occurrences.", style="dim"))
    columns = [Column("ID", "right", "dim"), Column("When"), Column("Status")]
    reasons = any(r.cancellation_reason for r in series.occurrences)
    if reasons:
        columns.append(Column("Reason", style="dim"))
    listed: list[list[Cell]] = []
    for reservation in series.occurrences:
        row: list[Cell] = [
            str(reservation.id),
            cli.show_window(reservation.start_time, reservation.end_time),
            _status_cell(reservation.status),
        ]
        if reasons:
            row.append(reservation.cancellation_reason or "")
        listed.append(row)
    return Group(facts(rows), Text(""), list_table(columns, listed))


def requests_table(requests: list[ReservationInfo], cli: CliContext) -> RenderableType:
    """Requests awaiting a decision: id, who asks, resource, when, and by when to decide."""
    if not requests:
        return Text("No requests await your decision.", style="dim")
    columns = [
        Column("ID", "right", "dim"),
        Column("Who"),
        Column("Resource", style="bold"),
        Column("When"),
        Column("Decide by"),
    ]
    show_notes = any(request.note for request in requests)
    if show_notes:
        columns.append(Column("Note", style="dim"))
    rows: list[list[Cell]] = []
    for request in requests:
        row: list[Cell] = [
            str(request.id),
            holder_name(request),
            request.resource.name,
            cli.show_window(request.start_time, request.end_time),
            cli.show_time(request.decide_by) if request.decide_by else "-",
        ]
        if show_notes:
            row.append(short_note(request.note))
        rows.append(row)
    return list_table(columns, rows)


def waitlist_table(entries: list[WaitlistInfo], cli: CliContext, show_user: bool) -> RenderableType:
    """Waitlist entries: id, resource, the window waited for and its flexibility, where
    each stands (its place in line, or the offer to answer), and who waits for an admin."""
    if not entries:
        return Text("You wait for nothing.", style="dim")
    columns = [
        Column("ID", "right", "dim"),
        Column("Resource", style="bold"),
        Column("When"),
        Column("Flexible", "right"),
        Column("Status"),
    ]
    if show_user:
        columns.append(Column("User"))
    show_notes = any(entry.note for entry in entries)
    if show_notes:
        columns.append(Column("Note", style="dim"))
    zone, now = cli.zone, cli.now()
    rows: list[list[Cell]] = []
    for entry in entries:
        flexible = entry.flexible_minutes
        row: list[Cell] = [
            str(entry.id),
            entry.resource.name,
            cli.show_window(entry.start_time, entry.end_time),
            f"±{cli.show_duration(timedelta(minutes=flexible))}" if flexible else "-",
            (waitlist_status_text(entry, zone, now=now), STATUS_STYLES.get(entry.status, "")),
        ]
        if show_user:
            row.append(entry.username or "someone")
        if show_notes:
            row.append(short_note(entry.note))
        rows.append(row)
    return list_table(columns, rows)


def inbox_table(notices: list[Notice], cli: CliContext) -> RenderableType:
    """Notices, newest first: unread ones marked, id, when, kind, what happened and by
    when to answer."""
    if not notices:
        return Text("Your inbox is empty.", style="dim")
    zone, now = cli.zone, cli.now()
    columns = [
        Column(""),
        Column("ID", "right", "dim"),
        Column("When"),
        Column("Kind", style="bold"),
        Column("What"),
    ]
    show_deadlines = any(notice.deadline for notice in notices)
    if show_deadlines:
        columns.append(Column("Answer by"))
    rows: list[list[Cell]] = []
    for notice in notices:
        unread = notice.read_at is None
        row: list[Cell] = [
            ("new", "bold yellow") if unread else "",
            str(notice.id),
            cli.show_time(notice.created_at),
            NOTICE_KIND_LABELS.get(notice.kind, notice.kind).lower(),
            (notice_text(notice, zone, now=now), "" if unread else "dim"),
        ]
        if show_deadlines:
            row.append(cli.show_time(notice.deadline) if notice.deadline else "")
        rows.append(row)
    return list_table(columns, rows)
