"""The booking form (day, start, end or duration, a note, how it repeats), checked as you
type, conflicts named, a series' dates previewed; the same form moves a booking; a one-line
form edits a booking's note."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Select, Static

from reserver_core.backend import Backend
from reserver_core.booking import check_window, clean_note
from reserver_core.display import (
    describe_error,
    format_duration,
    format_window,
    next_free_text,
    ordinal,
)
from reserver_core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ReserverError,
    SeriesRefusedError,
    StateError,
    UnavailableError,
    ValidationError,
)
from reserver_core.policy import Rules, check_window_rules, rules_of
from reserver_core.schemas import (
    FreeSlot,
    Occurrence,
    ReservationInfo,
    ResourceInfo,
    SeriesRequest,
    SeriesRule,
)
from reserver_core.series import rule_text
from reserver_core.timeparse import (
    add_length,
    check_day,
    next_whole,
    parse_duration,
    parse_end,
    parse_when,
    zone_name,
)
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverForm
from reserver_tui.widgets.repeat_fields import RepeatFields
from reserver_tui.widgets.series_preview import SeriesPreview, bad_count, free_count
from reserver_tui.widgets.time_input import TimeInput

PREVIEW_DELAY = 0.3
"""Seconds of quiet typing before a series' dates are previewed."""

_CLOCK = re.compile(r"\d{1,2}:\d{2}", re.ASCII)
_UNIT = r"(?:d|days?|h|hrs?|hours?|m|mins?|minutes?)"
# One or more number-unit parts, so 1h30m and 1d2h read as lengths like 90m does.
_DURATION = re.compile(rf"\+?(?:[\d.\s]+{_UNIT})+\b.*", re.I)


def read_window(
    day: str,
    start: str,
    end: str,
    now: datetime,
    tz: ZoneInfo,
    rules: Rules | None = None,
) -> tuple[datetime, datetime]:
    """The UTC window a form describes, within the resource's `rules` when known;
    ValidationError (a PolicyError for a rule) naming the field at fault.

    A bare `HH:MM` start is on `day` (today, tomorrow, mon, 2026-12-01); any other
    start form of the time parser stands alone. The end is a duration (`90m`,
    `1h30m`, `+45m`), a bare `HH:MM` (the first such time after the start, so
    23:00 to 01:00 is two hours), or any full time form.
    """
    start_text = start.strip()
    if _CLOCK.fullmatch(start_text):
        begins = _on_day(day.strip() or "today", start_text, now, tz)
    else:
        begins = parse_when(start_text, now, tz, field="start")
    end_text = end.strip()
    if not end_text:
        raise ValidationError("give an end time (16:00) or a duration (90m)", "end")
    if _DURATION.fullmatch(end_text):
        length = parse_duration(end_text.removeprefix("+"), field="end")
        ends = add_length(begins, length, end_text, "end")
    else:
        ends = parse_end(end_text, begins, now, tz, field="end")
    check_window(begins, ends, now)
    if rules is not None:
        check_window_rules(rules, begins, ends, now)
    return begins, ends


def _on_day(day: str, clock: str, now: datetime, tz: ZoneInfo) -> datetime:
    """`clock` on `day`; a day the parser cannot read at all is blamed on the Day field."""
    try:
        return parse_when(f"{day} {clock}", now, tz, field="start")
    except ValidationError:
        # Other errors (not a real date, out of range) already name the day.
        check_day(day, "day")
        raise


def short_message(error: ValidationError) -> str:
    """The error without the parser's list of accepted forms, which the help (?) shows."""
    head, _, _ = error.message.partition("; accepted forms")
    return head if head == error.message else f"{head} (press ? for the accepted forms)"


def check_clashes(
    backend: Backend, resource_id: int, start: datetime, end: datetime
) -> messages.ClashesChecked:
    """The resource's bookings that overlap `[start, end)`; none known when it cannot be read,
    as the booking itself is checked again by the store."""
    try:
        clashes: list[ReservationInfo] | None = backend.resource_reservations(
            resource_id, start, end
        )
    except ReserverError:
        clashes = None
    return messages.ClashesChecked(start, end, clashes)


def preview_series(backend: Backend, request: SeriesRequest) -> messages.SeriesPreviewed:
    """Every date of the series `request` with its state, as booking it would find them;
    a rule the store refuses (too many dates, too far ahead) says why instead."""
    try:
        return messages.SeriesPreviewed(request, backend.book_series(request, dry_run=True))
    except ValidationError as error:
        return messages.SeriesPreviewed(request, None, error)


class BookModal(ReserverForm):
    """Book one resource, once or as a series; Enter books (a series all or nothing), `n`
    after a conflict takes the next free slot."""

    INLINE_ERRORS: ClassVar[tuple[type[ReserverError], ...]] = (
        ValidationError,
        UnavailableError,
        SeriesRefusedError,
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel"),
        Binding("ctrl+s", "submit", "Book"),
        # Only offered after a conflict; then the footer names it, as the button may be
        # scrolled out of a small terminal's dialog.
        Binding("n", "take_next", "Take next free"),
        Binding("w", "join_waitlist", "Join waitlist"),
    ]
    VERB = "Book"
    """The word of the submit button."""
    TAKE_NEXT = "book it"
    """What `n` does with the next free slot, in the conflict's hint."""
    moving: int | None = None
    """The reservation being moved, which is no clash with its own new window."""
    REPEATS = True
    """Whether the form offers to repeat the booking as a series."""
    # On a short terminal a series' form drops its gaps, so its dates' summary stays in sight.
    # Textual declares this as an instance attribute, so it cannot be a ClassVar here.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-roomy")]  # noqa: RUF012

    def __init__(
        self,
        resource: ResourceInfo,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        super().__init__()
        self.resource = resource
        self._start = start
        self._end = end
        self._window: tuple[datetime, datetime] | None = None
        self._checked: messages.ClashesChecked | None = None
        self._conflict: ConflictError | None = None
        self._offer: FreeSlot | None = None
        self._busy = False
        self._rules: Rules | None = None
        """The resource's policy for anyone, once read; the store judges the window until then."""
        self._series: SeriesRequest | None = None
        """The series the form describes (without its note), when it repeats and reads well."""
        self._dates: list[Occurrence] | None = None
        """The series' dates as last previewed or refused; None while they are asked for."""
        self._preview_timer: Timer | None = None

    def compose_dialog(self) -> ComposeResult:
        tz = self.reserver.tz
        now = self.reserver.now()
        start = self._start or next_whole(now, 30)
        end = self._end or start + timedelta(hours=1)
        local_start = start.astimezone(tz)
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.dialog_title(), classes="dialog-title")
            with Horizontal(classes="field"):
                yield Label("Day", classes="field-label")
                yield TimeInput(
                    local_start.date().isoformat(),
                    placeholder="today, tomorrow, mon, 2026-12-01",
                    id="day",
                )
            with Horizontal(classes="field"):
                yield Label("Start", classes="field-label")
                yield TimeInput(
                    f"{local_start:%H:%M}", placeholder="14:00, tomorrow 9:30, +45m", id="start"
                )
            with Horizontal(classes="field"):
                yield Label("End / length", classes="field-label")
                yield TimeInput(
                    self.end_text(start, end), placeholder="15:30 or 90m, 1h30m", id="end"
                )
            if self.REPEATS:
                yield RepeatFields(id="repeat-fields")
            yield from self.compose_extra_fields()
            yield Static(id="feedback")
            if self.REPEATS:
                yield SeriesPreview(id="series-preview")
            yield Static(id="conflict")
            with Horizontal(classes="buttons"):
                yield Button("Take next free slot  n", id="take-next", variant="warning")
                if self.REPEATS:
                    yield Button("Book the free ones", id="skip-conflicts", variant="warning")
                yield Button(self.VERB, id="book", variant="primary")
                yield Button("Cancel", id="cancel")

    def dialog_title(self) -> str:
        """The dialog's first line."""
        return f"Book [b]{literal(self.resource.name)}[/b]"

    def end_text(self, start: datetime, end: datetime) -> str:
        """The End / length field's first value: the end's local time."""
        return f"{end.astimezone(self.reserver.tz):%H:%M}"

    def compose_extra_fields(self) -> ComposeResult:
        """The fields under the window's and its repeat's: the booking's note."""
        with Horizontal(classes="field"):
            yield Label("Note", classes="field-label")
            yield Input(placeholder="What it is for (optional)", id="note", max_length=500)

    def _note(self) -> str:
        return clean_note(self.query_one("#note", Input).value)

    def on_mount(self) -> None:
        for shown_later in self.query("#take-next, #conflict, #series-preview, #skip-conflicts"):
            shown_later.display = False
        self._validate()
        self.query_one("#start", Input).focus()
        resource_id = self.resource.id
        self.call_backend(
            "policy", lambda backend: messages.PolicyRead(backend.resource_policy(resource_id))
        )

    def on_policy_read(self, event: messages.PolicyRead) -> None:
        self._rules = rules_of(event.policy)
        if not self._busy:
            self._validate()

    # -- validation as you type ------------------------------------------------------------
    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._clear_conflict()
        self._validate()

    def _repeats(self) -> bool:
        """Whether the form describes a series."""
        return self.REPEATS and self.query_one(RepeatFields).repeat is not None

    def _validate(self) -> tuple[datetime, datetime] | None:
        feedback = self.query_one("#feedback", Static)
        repeats = self._repeats()
        self._show_series_mode(repeats)
        now, tz = self.reserver.now(), self.reserver.tz
        try:
            window = read_window(
                self.query_one("#day", Input).value,
                self.query_one("#start", Input).value,
                self.query_one("#end", Input).value,
                now,
                tz,
                # A series' first date is judged with the others, in its preview.
                None if repeats else self._rules,
            )
            self.check_extra_fields()
            rule = self.query_one(RepeatFields).rule(now, tz) if repeats else None
        except ValidationError as exc:
            self._window = None
            self._set_series(None)
            feedback.update(f"✗ {literal(short_message(exc))}")
            feedback.set_class(True, "-invalid")
            self._update_buttons()
            return None
        self._window = window
        if rule is None:
            self._set_series(None)
            self._show_window_check()
        else:
            self._show_series_check(window, rule)
        # A clash the preview knows of still books through the store, which then offers
        # the next free slot (or, for a series, to book the free dates only).
        self._update_buttons()
        return window

    def _update_buttons(self) -> None:
        book = self.query_one("#book", Button)
        if not self._repeats():
            book.label = self.VERB
            book.disabled = self._busy or self._window is None
            return
        dates = self._dates or []
        counted = [o for o in dates if o.state != "skipped"]
        book.label = f"{self.VERB} all {len(counted)}" if counted else f"{self.VERB} series"
        book.disabled = (
            self._busy or self._series is None or (self._dates is not None and not counted)
        )
        skip = self.query_one("#skip-conflicts", Button)
        free = free_count(dates)
        skip.display = bool(free and bad_count(dates))
        skip.label = (
            f"{self.VERB} the {free} free {'one' if free == 1 else 'ones'} (skip conflicts)"
        )
        skip.disabled = self._busy

    def check_extra_fields(self) -> None:
        """Check the fields under the window's; ValidationError for the first at fault."""
        self._note()

    def _show_window_check(self) -> None:
        """The window as read, marked with whether it clashes with the resource's bookings
        (asked of the store in a worker, for each window typed)."""
        if self._window is None or self._repeats():
            return
        start, end = self._window
        tz = self.reserver.tz
        now = self.reserver.now()
        when = f"{format_window(start, end, tz, now=now)}  ({format_duration(end - start)})"
        feedback = self.query_one("#feedback", Static)
        checked = self._checked
        if checked is None or (checked.start, checked.end) != self._window:
            feedback.update(f"… {when}  checking the bookings…")
            feedback.set_class(False, "-invalid")
            resource_id = self.resource.id
            self.call_backend(
                "clashes", lambda backend: check_clashes(backend, resource_id, start, end)
            )
        elif clashes := [r for r in checked.clashes or [] if r.id != self.moving]:
            booked = ", ".join(
                format_window(r.start_time, r.end_time, tz, now=now) for r in clashes
            )
            feedback.update(f"✗ {when} — already booked {booked}")
            feedback.set_class(True, "-invalid")
        else:
            unchecked = "  (bookings not checked)" if checked.clashes is None else ""
            feedback.update(f"✓ {when}{unchecked}")
            feedback.set_class(False, "-invalid")

    def on_clashes_checked(self, event: messages.ClashesChecked) -> None:
        self._checked = event
        if not self._busy:
            self._show_window_check()

    # -- a series: its rule, its dates previewed -----------------------------------------------
    def _show_series_mode(self, repeats: bool) -> None:
        """Make room for a series' dates: a wider dialog whose fields take a line each."""
        if not self.REPEATS:
            return
        dialog = self.query_one("#dialog")
        preview = self.query_one(SeriesPreview)
        if dialog.has_class("-series") == repeats:
            return
        dialog.set_class(repeats, "-series", "-wide")
        for field in self.query("#day, #start, #end, #note").results(Input):
            field.compact = repeats
        if not repeats:
            preview.display = False
            self.query_one("#skip-conflicts").display = False

    def _show_series_check(self, window: tuple[datetime, datetime], rule: SeriesRule) -> None:
        """The rule in words, and its dates previewed once the typing pauses."""
        start, end = window
        tz = self.reserver.tz
        zone = zone_name(tz)
        local = start.astimezone(tz).replace(tzinfo=None)
        length = end - start
        feedback = self.query_one("#feedback", Static)
        feedback.update(
            f"✓ {literal(rule_text(rule, local, zone))}, {format_duration(length)} each"
        )
        feedback.set_class(False, "-invalid")
        minutes = int(length.total_seconds() // 60)
        self._set_series(SeriesRequest(self.resource.id, local, zone, minutes, rule))

    def _set_series(self, request: SeriesRequest | None) -> None:
        """Describe `request` from now on; a new one is previewed after a pause in typing."""
        if request == self._series:
            return
        self._series = request
        self._dates = None
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        if not self.REPEATS:
            return
        preview = self.query_one(SeriesPreview)
        # Without a series that reads well there are no dates to show.
        preview.display = request is not None
        if request is None:
            return
        preview.say("… checking every date…")
        self._preview_timer = self.set_timer(PREVIEW_DELAY, self._preview)

    def _preview(self) -> None:
        self._preview_timer = None
        request = self._series
        if request is not None:
            self.call_backend("series-preview", lambda backend: preview_series(backend, request))

    def on_series_previewed(self, event: messages.SeriesPreviewed) -> None:
        if event.request != self._series or self._busy:
            return
        preview = self.query_one(SeriesPreview)
        if event.outcome is None:
            assert event.error is not None
            self._dates = []
            preview.say(f"✗ {short_message(event.error)}", invalid=True)
        else:
            self._dates = event.outcome.occurrences
            preview.show(self._dates, self.reserver.tz, self.reserver.now())
        self._update_buttons()

    # -- booking -------------------------------------------------------------------------------
    @on(Button.Pressed, "#book")
    def action_submit(self) -> None:
        """Book the window in the form; a series all or nothing."""
        window = self._validate()
        if window is None or self._busy:
            return
        if self._repeats():
            self._book_series(skip_conflicts=False)
        else:
            self._book(*window)

    @on(Button.Pressed, "#skip-conflicts")
    def _book_free_dates(self) -> None:
        """Book the series' free dates, leaving out those that clash or are refused."""
        if self._validate() is not None and not self._busy:
            self._book_series(skip_conflicts=True)

    def _book_series(self, *, skip_conflicts: bool) -> None:
        if self._series is None:
            return
        request = replace(self._series, note=self._note())
        self._set_busy(True)
        self.call_backend(
            "book",
            lambda backend: messages.SeriesBooked(
                backend.book_series(request, skip_conflicts=skip_conflicts)
            ),
            changes_data=True,
        )

    def _book(self, start: datetime, end: datetime) -> None:
        self._set_busy(True)
        self.call_backend("book", self._asking(start, end), changes_data=True)

    def _asking(self, start: datetime, end: datetime) -> Callable[[Backend], Message]:
        """The worker's part: ask for the window; on a clash, the clash with the next
        free slot of the same length."""
        ask = self.asker(start, end)

        def asking(backend: Backend) -> Message:
            try:
                return ask(backend)
            except ConflictError as error:
                try:
                    offer: FreeSlot | None = self.next_free(backend, start, end)
                except ReserverError:
                    offer = None
                return messages.BookingClashed(error, offer)

        return asking

    def asker(self, start: datetime, end: datetime) -> Callable[[Backend], Message]:
        """What the worker does to take the window: book it, with the form's note."""
        resource_id, note = self.resource.id, self._note()
        return lambda backend: messages.Booked(backend.book(resource_id, start, end, note=note))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in self.query("#book, #take-next, #skip-conflicts").results(Button):
            button.disabled = busy
        if busy:
            self.query_one("#feedback", Static).update(f"{self.VERB.removesuffix('e')}ing…")

    def on_booked(self, event: messages.Booked) -> None:
        self.finish(event.reservation)

    def on_series_booked(self, event: messages.SeriesBooked) -> None:
        self.finish(event.outcome)

    def on_booking_clashed(self, event: messages.BookingClashed) -> None:
        self._set_busy(False)
        self._validate()
        self._show_conflict(event.error, event.offer)

    def show_failure(self, error: ReserverError) -> None:
        """Say inline why the booking was refused; a series' refusal marks every bad date."""
        self._set_busy(False)
        self._validate()
        feedback = self.query_one("#feedback", Static)
        if isinstance(error, SeriesRefusedError) and self.REPEATS:
            self._dates = error.occurrences
            bad = bad_count(self._dates)
            counted = sum(1 for o in self._dates if o.state != "skipped")
            self.query_one(SeriesPreview).show(self._dates, self.reserver.tz, self.reserver.now())
            feedback.update(
                f"✗ Nothing was booked: {bad} of {counted} dates cannot be booked (marked below)"
            )
            feedback.set_class(True, "-invalid")
            self._update_buttons()
            skip = self.query_one("#skip-conflicts", Button)
            if skip.display:
                skip.focus()
            self.call_after_refresh(skip.scroll_visible, animate=False)
            return
        feedback.update(
            f"✗ {literal(describe_error(error, self.reserver.tz, now=self.reserver.now()))}"
        )
        feedback.set_class(True, "-invalid")
        # A small terminal's form may have scrolled the reason out of sight.
        self.call_after_refresh(feedback.scroll_visible, animate=False)

    def _show_conflict(self, error: ConflictError, offer: FreeSlot | None) -> None:
        self._conflict = error
        self._offer = offer
        tz = self.reserver.tz
        now = self.reserver.now()
        windows = "\n".join(
            f"  • {format_window(w.start, w.end, tz, now=now)}" for w in error.windows
        )
        if offer is None:
            then = "No free slot of that length was found after it."
        else:
            slot = next_free_text(offer.start_time, offer.end_time, tz, now=now)
            then = f"{slot[0].upper()}{slot[1:]}\nPress [b]n[/b] to {self.TAKE_NEXT}."
        if self.moving is None:
            then += "\nOr press [b]w[/b] to join the waitlist for this time."
        panel = self.query_one("#conflict", Static)
        name = literal(self.resource.name)
        panel.update(f"[b]{name} is already booked[/b]\n{windows or '  • another booking'}\n{then}")
        panel.display = True
        button = self.query_one("#take-next", Button)
        button.display = offer is not None
        button.disabled = False
        if offer is not None:
            button.focus()
        # After the layout that shows the panel: only then is there a place to scroll to.
        self.call_after_refresh(panel.scroll_visible, animate=False)
        self.refresh_bindings()

    def _clear_conflict(self) -> None:
        if self._conflict is not None:
            self._conflict = None
            self._offer = None
            self.query_one("#conflict").display = False
            self.query_one("#take-next").display = False
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "take_next":
            return self._offer is not None
        if action == "join_waitlist":
            return self._conflict is not None and self.moving is None
        return True

    @on(Button.Pressed, "#take-next")
    def action_take_next(self) -> None:
        """Book exactly the free slot the conflict offered."""
        if self._offer is None or self._busy:
            return
        self._book(self._offer.start_time, self._offer.end_time)

    def action_join_waitlist(self) -> None:
        """Wait in line for the window that clashed: it is offered if it is released."""
        if self._conflict is None or self._window is None or self._busy:
            return
        start, end = self._window
        resource_id, note = self.resource.id, self._note()
        self._set_busy(True)
        self.call_backend(
            "book",
            lambda backend: messages.WaitlistJoined(
                backend.join_waitlist(resource_id, start, end, note=note)
            ),
            changes_data=True,
        )

    def on_waitlist_joined(self, event: messages.WaitlistJoined) -> None:
        entry = event.entry
        window = format_window(
            entry.start_time, entry.end_time, self.reserver.tz, now=self.reserver.now()
        )
        place = f"{ordinal(entry.position)} in line" if entry.position else "in line"
        self.notify(
            f"{entry.resource.name}, {window}: you are {place} (waitlist entry #{entry.id}). "
            "If it is released, it is offered to you for a while: see your inbox (F6).",
            title="On the waitlist",
            timeout=10,
        )
        self.finish(entry)

    def next_free(self, backend: Backend, start: datetime, end: datetime) -> FreeSlot:
        """The next free slot as long as `[start, end)`, from `start` (in the worker)."""
        return backend.next_free_slot(end - start, after=start, resource_id=self.resource.id)


class MoveModal(BookModal):
    """Move one booking: the booking form on its current window; Enter moves it, `n` after
    a conflict moves it to the next free slot of the same length."""

    INLINE_ERRORS = (*BookModal.INLINE_ERRORS, StateError, ForbiddenError, NotFoundError)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel"),
        Binding("ctrl+s", "submit", "Move"),
        Binding("n", "take_next", "Take next free"),
    ]
    VERB = "Move"
    TAKE_NEXT = "move it there"
    REPEATS = False

    def __init__(self, reservation: ReservationInfo) -> None:
        super().__init__(reservation.resource, reservation.start_time, reservation.end_time)
        self.reservation = reservation
        self.moving = reservation.id

    def dialog_title(self) -> str:
        reservation = self.reservation
        window = format_window(
            reservation.start_time, reservation.end_time, self.reserver.tz, now=self.reserver.now()
        )
        return f"Move [b]{literal(self.resource.name)}[/b] #{reservation.id}, now {window}"

    def end_text(self, start: datetime, end: datetime) -> str:
        """The booking's length: a new start keeps it, as `reserver move` does."""
        return format_duration(end - start)

    def compose_extra_fields(self) -> ComposeResult:
        yield from ()

    def check_extra_fields(self) -> None:
        pass

    def asker(self, start: datetime, end: datetime) -> Callable[[Backend], Message]:
        """What the worker does to take the window: move the booking there."""
        reservation_id = self.reservation.id
        return lambda backend: messages.ReservationChanged(backend.move(reservation_id, start, end))

    def on_reservation_changed(self, event: messages.ReservationChanged) -> None:
        self.finish(event.reservation)

    def next_free(self, backend: Backend, start: datetime, end: datetime) -> FreeSlot:
        """The next free slot, the booking's own time counting as free."""
        return backend.next_free_slot(
            end - start, after=start, resource_id=self.resource.id, excluding=self.reservation.id
        )


class NoteModal(ReserverForm):
    """Edit a booking's note: one line, checked as you type; Enter saves, empty clears."""

    INLINE_ERRORS = (ValidationError, ForbiddenError, NotFoundError)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel"),
        Binding("ctrl+s", "submit", "Save"),
    ]

    def __init__(self, reservation: ReservationInfo) -> None:
        super().__init__()
        self.reservation = reservation

    def compose_dialog(self) -> ComposeResult:
        reservation = self.reservation
        window = format_window(
            reservation.start_time, reservation.end_time, self.reserver.tz, now=self.reserver.now()
        )
        with Vertical(id="dialog", classes="dialog"):
            yield Label(
                f"Note on [b]{literal(reservation.resource.name)}[/b] #{reservation.id}, {window}",
                classes="dialog-title",
            )
            with Horizontal(classes="field"):
                yield Label("Note", classes="field-label")
                yield Input(
                    reservation.note,
                    placeholder="What it is for (empty: no note)",
                    id="note",
                    max_length=500,
                    # Editing a note mostly adds to it: the cursor waits at its end.
                    select_on_focus=False,
                )
            yield Static(id="feedback")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._validate()
        self.query_one("#note", Input).focus()

    @on(Input.Changed)
    def _validate(self) -> str | None:
        feedback = self.query_one("#feedback", Static)
        try:
            note = clean_note(self.query_one("#note", Input).value)
        except ValidationError as exc:
            feedback.update(f"✗ {literal(exc.message)}")
            feedback.set_class(True, "-invalid")
            self.query_one("#save", Button).disabled = True
            return None
        feedback.update("✓ no note" if not note else f"✓ {len(note)} of 500 characters")
        feedback.set_class(False, "-invalid")
        self.query_one("#save", Button).disabled = False
        return note

    @on(Button.Pressed, "#save")
    def action_submit(self) -> None:
        """Save the note."""
        note = self._validate()
        if note is None:
            return
        self.query_one("#save", Button).disabled = True
        reservation_id = self.reservation.id
        self.call_backend(
            "note",
            lambda backend: messages.ReservationChanged(backend.set_note(reservation_id, note)),
            changes_data=True,
        )

    def on_reservation_changed(self, event: messages.ReservationChanged) -> None:
        self.finish(event.reservation)

    def show_failure(self, error: ReserverError) -> None:
        """Say why the note was not saved, and let it be saved again."""
        self.query_one("#save", Button).disabled = False
        feedback = self.query_one("#feedback", Static)
        feedback.update(f"✗ {literal(error.message)}")
        feedback.set_class(True, "-invalid")
