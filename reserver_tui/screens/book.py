"""The booking form (day, start, end or duration, a note), checked as you type, conflicts
named; the same form moves a booking; a one-line form edits a booking's note."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from reserver_core.backend import Backend
from reserver_core.booking import check_window, clean_note
from reserver_core.display import describe_error, format_duration, format_window, next_free_text
from reserver_core.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ReserverError,
    StateError,
    UnavailableError,
    ValidationError,
)
from reserver_core.policy import Rules, check_window_rules, rules_of
from reserver_core.schemas import FreeSlot, ReservationInfo, ResourceInfo
from reserver_core.timeparse import (
    add_length,
    check_day,
    next_whole,
    parse_duration,
    parse_end,
    parse_when,
)
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverForm
from reserver_tui.widgets.time_input import TimeInput

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


class BookModal(ReserverForm):
    """Book one resource; Enter books, `n` after a conflict takes the next free slot."""

    INLINE_ERRORS: ClassVar[tuple[type[ReserverError], ...]] = (ValidationError, UnavailableError)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel"),
        Binding("ctrl+s", "submit", "Book"),
        # Only offered after a conflict; then the footer names it, as the button may be
        # scrolled out of a small terminal's dialog.
        Binding("n", "take_next", "Take next free"),
    ]
    VERB = "Book"
    """The word of the submit button."""
    TAKE_NEXT = "book it"
    """What `n` does with the next free slot, in the conflict's hint."""
    moving: int | None = None
    """The reservation being moved, which is no clash with its own new window."""

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
            yield from self.compose_extra_fields()
            yield Static(id="feedback")
            yield Static(id="conflict")
            with Horizontal(classes="buttons"):
                yield Button("Take next free slot  n", id="take-next", variant="warning")
                yield Button(self.VERB, id="book", variant="primary")
                yield Button("Cancel", id="cancel")

    def dialog_title(self) -> str:
        """The dialog's first line."""
        return f"Book [b]{literal(self.resource.name)}[/b]"

    def end_text(self, start: datetime, end: datetime) -> str:
        """The End / length field's first value: the end's local time."""
        return f"{end.astimezone(self.reserver.tz):%H:%M}"

    def compose_extra_fields(self) -> ComposeResult:
        """The fields under the window's: the booking's note."""
        with Horizontal(classes="field"):
            yield Label("Note", classes="field-label")
            yield Input(placeholder="What it is for (optional)", id="note", max_length=500)

    def _note(self) -> str:
        return clean_note(self.query_one("#note", Input).value)

    def on_mount(self) -> None:
        self.query_one("#take-next").display = False
        self.query_one("#conflict").display = False
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
    def _changed(self) -> None:
        self._clear_conflict()
        self._validate()

    def _validate(self) -> tuple[datetime, datetime] | None:
        feedback = self.query_one("#feedback", Static)
        try:
            window = read_window(
                self.query_one("#day", Input).value,
                self.query_one("#start", Input).value,
                self.query_one("#end", Input).value,
                self.reserver.now(),
                self.reserver.tz,
                self._rules,
            )
            self.check_extra_fields()
        except ValidationError as exc:
            self._window = None
            feedback.update(f"✗ {literal(short_message(exc))}")
            feedback.set_class(True, "-invalid")
            self.query_one("#book", Button).disabled = True
            return None
        self._window = window
        self._show_window_check()
        # A clash the preview knows of still books through the store, which then offers
        # the next free slot.
        self.query_one("#book", Button).disabled = self._busy
        return window

    def check_extra_fields(self) -> None:
        """Check the fields under the window's; ValidationError for the first at fault."""
        self._note()

    def _show_window_check(self) -> None:
        """The window as read, marked with whether it clashes with the resource's bookings
        (asked of the store in a worker, for each window typed)."""
        if self._window is None:
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

    # -- booking -------------------------------------------------------------------------------
    @on(Button.Pressed, "#book")
    def action_submit(self) -> None:
        """Book the window in the form."""
        window = self._validate()
        if window is None or self._busy:
            return
        self._book(*window)

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
        self.query_one("#book", Button).disabled = busy
        self.query_one("#take-next", Button).disabled = busy
        if busy:
            self.query_one("#feedback", Static).update(f"{self.VERB.removesuffix('e')}ing…")

    def on_booked(self, event: messages.Booked) -> None:
        self.finish(event.reservation)

    def on_booking_clashed(self, event: messages.BookingClashed) -> None:
        self._set_busy(False)
        self._validate()
        self._show_conflict(event.error, event.offer)

    def show_failure(self, error: ReserverError) -> None:
        """Say inline why the booking was refused."""
        self._set_busy(False)
        self._validate()
        feedback = self.query_one("#feedback", Static)
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
        return True

    @on(Button.Pressed, "#take-next")
    def action_take_next(self) -> None:
        """Book exactly the free slot the conflict offered."""
        if self._offer is None or self._busy:
            return
        self._book(self._offer.start_time, self._offer.end_time)

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
