"""A recurring series: cancelling one of its dates (this one, this and later, the whole
series), its dates at a glance, and moving all its future dates to another time of day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Static

from reserver_core.backend import Backend
from reserver_core.display import counted, format_duration, format_window
from reserver_core.errors import (
    ForbiddenError,
    NotFoundError,
    ReserverError,
    SeriesRefusedError,
    StateError,
    ValidationError,
)
from reserver_core.schemas import Occurrence, ReservationInfo, SeriesInfo
from reserver_core.timeparse import parse_duration
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverForm, ReserverModal
from reserver_tui.widgets.keyed_table import KeyedTable
from reserver_tui.widgets.series_preview import SeriesPreview, bad_count
from reserver_tui.widgets.time_input import TimeInput

CancelScope = Literal["one", "later", "all"]
"""What a cancellation in a series takes: this date, it and the later ones, every date."""
_SCOPES: dict[str, CancelScope] = {"one": "one", "later": "later", "all": "all"}
"""The cancel dialog's buttons, by id, and what each takes."""
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})", re.ASCII)
PREVIEW_DELAY = 0.3
"""Seconds of quiet typing before a retime is previewed."""


def still_to_come(series: SeriesInfo, now: datetime) -> list[ReservationInfo]:
    """The series' dates a cancellation takes: active and not yet ended, by start."""
    return [r for r in series.occurrences if r.status == "active" and r.end_time > now]


def series_place(series: SeriesInfo, reservation: ReservationInfo) -> str:
    """Where `reservation` stands in its series: "2/8" (its place among all the dates)."""
    ids = [r.id for r in series.occurrences]
    place = ids.index(reservation.id) + 1 if reservation.id in ids else 0
    return f"{place}/{len(ids)}"


def series_state(series: SeriesInfo, now: datetime) -> str:
    """Where a series stands, as markup: "7 of 8 to come", or that it was cancelled and why."""
    if series.cancelled_at is not None:
        why = f": {series.cancellation_reason}" if series.cancellation_reason else ""
        return f"cancelled{literal(why)}"
    return f"{len(still_to_come(series, now))} of {len(series.occurrences)} to come"


def series_line(series: SeriesInfo, now: datetime) -> str:
    """A series in one line, as markup: "series 3: every week on Mon at 09:00 ..., 8 times
    · 7 of 8 to come"."""
    return f"series {series.id}: {literal(series.rule_text)} · {series_state(series, now)}"


@dataclass(frozen=True)
class SeriesCancel:
    """The answer of the cancel dialog: what to cancel, and the reason typed (if any)."""

    scope: CancelScope
    reason: str | None


class CancelOccurrenceModal(ReserverModal):
    """Cancel a date of a series: this one, this and the later ones, or the whole series.

    As every confirmation: the reason has focus first, Enter in an empty one moves to
    the harmless button and in a typed one to "This one only"; Esc keeps everything.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Keep it")]

    def __init__(self, reservation: ReservationInfo, series: SeriesInfo) -> None:
        super().__init__()
        self.reservation = reservation
        self.series = series

    def compose_dialog(self) -> ComposeResult:
        reservation, series = self.reservation, self.series
        now = self.reserver.now()
        window = format_window(
            reservation.start_time, reservation.end_time, self.reserver.tz, now=now
        )
        coming = still_to_come(series, now)
        later = [r for r in coming if r.start_time >= reservation.start_time]
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Cancel a date of a series", classes="dialog-title")
            yield Static(
                f"Cancel [b]{literal(reservation.resource.name)}[/b], {window}?\n"
                f"It is date {series_place(series, reservation)} of series {series.id}: "
                f"{literal(series.rule_text)}.",
                id="question",
            )
            yield Input(placeholder="Reason (optional)", id="reason", max_length=500)
            with Vertical(id="choices"):
                yield Button("This one only", id="one", variant="error")
                yield Button(
                    f"This and later: {counted(len(later), 'date')}", id="later", variant="error"
                )
                yield Button(
                    f"Whole series: {counted(len(coming), 'date')} to come",
                    id="all",
                    variant="error",
                )
            with Horizontal(classes="buttons"):
                yield Button("Keep it", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _reason_given(self) -> None:
        """Enter in the reason: to "This one only" when one is typed, else to "Keep it"."""
        typed = self.query_one("#reason", Input).value.strip()
        self.query_one("#one" if typed else "#cancel", Button).focus()

    @on(Button.Pressed, "#one, #later, #all")
    def _chosen(self, event: Button.Pressed) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        self.dismiss(SeriesCancel(_SCOPES[event.button.id or ""], reason or None))


class SeriesModal(ReserverModal):
    """One series: its rule, who holds it and every date with its status; `t` moves its
    future dates to another time of day."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,h", "close", "Close"),
        Binding("t", "retime", "Retime…", tooltip="Move every future date to another time"),
    ]

    def __init__(self, series: SeriesInfo) -> None:
        super().__init__()
        self.series = series

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -wide"):
            yield Label(f"Series {self.series.id}", classes="dialog-title", id="series-title")
            yield Static(id="series-summary-text")
            yield KeyedTable(["ID", "When", "Status", "Note"], id="series-dates-table")
            yield Static("[dim]t retime · Esc to close[/dim]", classes="hint")

    def on_mount(self) -> None:
        self._show(self.series)
        self.query_one(KeyedTable).focus()

    def _show(self, series: SeriesInfo) -> None:
        self.series = series
        tz, now = self.reserver.tz, self.reserver.now()
        lines = [
            f"[b]{literal(series.resource.name)}[/b] · held by {literal(series.username)} · "
            f"{format_duration_minutes(series.length_minutes)} each",
            f"{literal(series.rule_text)} · {series_state(series, now)}",
        ]
        if series.note:
            lines.append(f"Note: {literal(series.note)}")
        self.query_one("#series-summary-text", Static).update("\n".join(lines))
        self.query_one(KeyedTable).set_rows(
            {
                str(r.id): (
                    str(r.id),
                    format_window(r.start_time, r.end_time, tz, now=now),
                    r.status,
                    r.note,
                )
                for r in series.occurrences
            }
        )

    def action_retime(self) -> None:
        """Move every future date of the series to another time of day."""
        self.app.push_screen(RetimeModal(self.series), self._retimed)

    def _retimed(self, result: object) -> None:
        if isinstance(result, SeriesInfo):
            self._show(result)


def read_clock(text: str) -> time:
    """A time of day typed as HH:MM (9:30 too); ValidationError on `start`."""
    found = _CLOCK.fullmatch(text.strip())
    if found is None or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise ValidationError(
            f"give the new time of day as HH:MM, e.g. 10:30, not {text.strip()!r}", "start"
        )
    return time(int(found.group(1)), int(found.group(2)))


class RetimeModal(ReserverForm):
    """Move every future date of a series to another time of day (and length), previewed
    as you type and done all or nothing; Ctrl+S or Enter retimes."""

    INLINE_ERRORS = (ValidationError, SeriesRefusedError, StateError, ForbiddenError, NotFoundError)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel"),
        Binding("ctrl+s", "submit", "Retime"),
    ]

    def __init__(self, series: SeriesInfo) -> None:
        super().__init__()
        self.series = series
        self._asked: tuple[time, int | None] | None = None
        self._dates: list[Occurrence] | None = None
        self._timer: Timer | None = None
        self._busy = False

    def compose_dialog(self) -> ComposeResult:
        series = self.series
        length = format_duration_minutes(series.length_minutes)
        with Vertical(id="dialog", classes="dialog -wide -series"):
            yield Label(
                f"Retime series {series.id}, [b]{literal(series.resource.name)}[/b]",
                classes="dialog-title",
            )
            yield Static(literal(series.rule_text), classes="hint")
            with Horizontal(classes="field"):
                yield Label("New start", classes="field-label")
                yield TimeInput(
                    f"{series.start:%H:%M}", placeholder="10:30", id="start", compact=True
                )
            with Horizontal(classes="field"):
                yield Label("Length", classes="field-label")
                yield TimeInput(
                    length, placeholder=f"empty: as now, {length}", id="length", compact=True
                )
            yield Static(id="feedback")
            yield SeriesPreview(id="series-preview")
            with Horizontal(classes="buttons"):
                yield Button("Retime", id="retime", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._validate()
        self.query_one("#start", Input).focus()

    @on(Input.Changed)
    def _validate(self) -> tuple[time, int | None] | None:
        feedback = self.query_one("#feedback", Static)
        button = self.query_one("#retime", Button)
        try:
            clock = read_clock(self.query_one("#start", Input).value)
            length_text = self.query_one("#length", Input).value.strip()
            minutes = (
                int(parse_duration(length_text, field="length").total_seconds() // 60)
                if length_text
                else None
            )
        except ValidationError as error:
            feedback.update(f"✗ {literal(error.message)}")
            feedback.set_class(True, "-invalid")
            button.disabled = True
            self._ask(None)
            return None
        length = format_duration_minutes(minutes or self.series.length_minutes)
        feedback.update(
            f"✓ every future date at {clock:%H:%M} {self.series.timezone}, {length} each"
        )
        feedback.set_class(False, "-invalid")
        self._ask((clock, minutes))
        button.disabled = self._busy or (self._dates is not None and bad_count(self._dates) > 0)
        return clock, minutes

    def _ask(self, asked: tuple[time, int | None] | None) -> None:
        if asked == self._asked:
            return
        self._asked = asked
        self._dates = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if asked is not None:
            self.query_one(SeriesPreview).say("… checking every date…")
            self._timer = self.set_timer(PREVIEW_DELAY, self._preview)

    def _preview(self) -> None:
        self._timer = None
        asked = self._asked
        if asked is None:
            return
        series_id = self.series.id
        clock, minutes = asked

        def preview(backend: Backend) -> messages.SeriesRetimePreviewed:
            try:
                outcome = backend.retime_series(series_id, clock, minutes, dry_run=True)
            except ValidationError as error:
                return messages.SeriesRetimePreviewed(clock, minutes, None, error)
            return messages.SeriesRetimePreviewed(clock, minutes, outcome)

        self.call_backend("retime-preview", preview)

    def on_series_retime_previewed(self, event: messages.SeriesRetimePreviewed) -> None:
        if (event.clock, event.length_minutes) != self._asked:
            return
        preview = self.query_one(SeriesPreview)
        if event.outcome is None:
            assert event.error is not None
            self._dates = []
            preview.say(f"✗ {event.error.message}", invalid=True)
            self.query_one("#retime", Button).disabled = True
            return
        self._dates = event.outcome.occurrences
        preview.show(self._dates, self.reserver.tz, self.reserver.now())
        self.query_one("#retime", Button).disabled = self._busy or bad_count(self._dates) > 0

    @on(Button.Pressed, "#retime")
    def action_submit(self) -> None:
        """Move every future date, all or nothing."""
        asked = self._validate()
        if asked is None or self._busy:
            return
        clock, minutes = asked
        series_id = self.series.id
        self._busy = True
        self.query_one("#retime", Button).disabled = True
        self.show_feedback("Retiming…")

        def retime(backend: Backend) -> messages.SeriesRetimed:
            moved = backend.retime_series(series_id, clock, minutes).booked
            return messages.SeriesRetimed(backend.get_series(series_id), moved)

        self.call_backend("retime", retime, changes_data=True)

    def on_series_retimed(self, event: messages.SeriesRetimed) -> None:
        series = event.series
        self.notify(
            f"{series.resource.name}: {counted(event.moved, 'date')} moved ({series.rule_text})",
            title="Series retimed",
        )
        self.finish(series)

    def show_failure(self, error: ReserverError) -> None:
        """Say why nothing was moved; a refusal marks every bad date."""
        self._busy = False
        self._validate()
        feedback = self.query_one("#feedback", Static)
        if isinstance(error, SeriesRefusedError):
            self._dates = error.occurrences
            self.query_one(SeriesPreview).show(self._dates, self.reserver.tz, self.reserver.now())
            counted_dates = sum(1 for o in self._dates if o.state != "skipped")
            message = (
                f"Nothing was moved: {bad_count(self._dates)} of {counted_dates} dates "
                "cannot be moved (marked below)"
            )
        else:
            message = error.message
        feedback.update(f"✗ {literal(message)}")
        feedback.set_class(True, "-invalid")
        self.query_one("#retime", Button).disabled = True


def format_duration_minutes(minutes: int) -> str:
    """A length in minutes as the forms show it: "1h", "1h30m"."""
    return format_duration(timedelta(minutes=minutes))
