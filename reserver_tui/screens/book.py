"""The booking form: day, start, end or duration, checked as you type, conflicts named."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from reserver_core.backend import Backend
from reserver_core.booking import BookingPolicy, check_window
from reserver_core.display import describe_error, format_duration, format_window, next_free_text
from reserver_core.errors import ConflictError, ReserverError, UnavailableError, ValidationError
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
    policy: BookingPolicy,
) -> tuple[datetime, datetime]:
    """The UTC window a form describes; ValidationError naming the field at fault.

    A bare `HH:MM` start is on `day` (today, tomorrow, mon, 2026-12-01); any other
    start form of the time parser stands alone. The end is a duration (`90m`,
    `1h30m`, `+45m`), a bare `HH:MM` on the start's day, or any full time form.
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
        if ends <= begins and _CLOCK.fullmatch(end_text):
            raise ValidationError(
                f"{end_text} is not after the start; for a length write it as 1h30m or 90m", "end"
            )
    check_window(begins, ends, now, policy)
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


def book_or_offer(
    backend: Backend, resource_id: int, start: datetime, end: datetime
) -> messages.Booked | messages.BookingClashed:
    """Book `[start, end)`; on a clash, the clash with the next free slot of the same length."""
    try:
        return messages.Booked(backend.book(resource_id, start, end))
    except ConflictError as error:
        try:
            offer: FreeSlot | None = backend.next_free_slot(
                end - start, after=start, resource_id=resource_id
            )
        except ReserverError:
            offer = None
        return messages.BookingClashed(error, offer)


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

    INLINE_ERRORS = (ValidationError, UnavailableError)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel"),
        Binding("ctrl+s", "submit", "Book"),
        # Only offered after a conflict; then the footer names it, as the button may be
        # scrolled out of a small terminal's dialog.
        Binding("n", "take_next", "Take next free"),
    ]

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

    def compose_dialog(self) -> ComposeResult:
        tz = self.reserver.tz
        now = self.reserver.now()
        start = self._start or next_whole(now, 30)
        end = self._end or start + timedelta(hours=1)
        local_start = start.astimezone(tz)
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"Book [b]{literal(self.resource.name)}[/b]", classes="dialog-title")
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
                    f"{end.astimezone(tz):%H:%M}", placeholder="15:30 or 90m, 1h30m", id="end"
                )
            yield Static(id="feedback")
            yield Static(id="conflict")
            with Horizontal(classes="buttons"):
                yield Button("Take next free slot  n", id="take-next", variant="warning")
                yield Button("Book", id="book", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#take-next").display = False
        self.query_one("#conflict").display = False
        self._validate()
        self.query_one("#start", Input).focus()

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
                BookingPolicy.from_settings(self.reserver.settings),
            )
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

    def _show_window_check(self) -> None:
        """The window as read, marked with whether it clashes with the resource's bookings
        (asked of the store in a worker, for each window typed)."""
        if self._window is None:
            return
        start, end = self._window
        tz = self.reserver.tz
        when = f"{format_window(start, end, tz)}  ({format_duration(end - start)})"
        feedback = self.query_one("#feedback", Static)
        checked = self._checked
        if checked is None or (checked.start, checked.end) != self._window:
            feedback.update(f"… {when}  checking the bookings…")
            feedback.set_class(False, "-invalid")
            resource_id = self.resource.id
            self.call_backend(
                "clashes", lambda backend: check_clashes(backend, resource_id, start, end)
            )
        elif checked.clashes:
            booked = ", ".join(format_window(r.start_time, r.end_time, tz) for r in checked.clashes)
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
        resource_id = self.resource.id
        self.call_backend(
            "book",
            lambda backend: book_or_offer(backend, resource_id, start, end),
            changes_data=True,
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.query_one("#book", Button).disabled = busy
        self.query_one("#take-next", Button).disabled = busy
        if busy:
            self.query_one("#feedback", Static).update("Booking…")

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
        feedback.update(f"✗ {literal(describe_error(error, self.reserver.tz))}")
        feedback.set_class(True, "-invalid")

    def _show_conflict(self, error: ConflictError, offer: FreeSlot | None) -> None:
        self._conflict = error
        self._offer = offer
        tz = self.reserver.tz
        windows = "\n".join(f"  • {format_window(w.start, w.end, tz)}" for w in error.windows)
        if offer is None:
            then = "No free slot of that length was found after it."
        else:
            slot = next_free_text(offer.start_time, offer.end_time, tz)
            then = f"{slot[0].upper()}{slot[1:]}\nPress [b]n[/b] to book it."
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
