"""One resource: its week grid in local time and who holds the coming reservations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.cells import cell_len, set_cell_size
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Label, Static

from reserver_core.backend import Backend
from reserver_core.display import (
    closure_text,
    describe_maintenance,
    holder_name,
    opening_hours_text,
    short_window,
)
from reserver_core.schemas import EffectivePolicy, ReservationInfo, ResourceInfo, Slot
from reserver_core.timeparse import next_whole, zone_name
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverScreen
from reserver_tui.screens.book import BookModal, MoveModal
from reserver_tui.widgets.keyed_table import KeyedTable
from reserver_tui.widgets.policy_view import PolicyView
from reserver_tui.widgets.resource_table import status_text
from reserver_tui.widgets.week_grid import WeekGrid

UPCOMING_DAYS = 14
"""How far ahead a resource's upcoming reservations are listed."""

_SLOT_REFUSALS = {
    "past": "That slot is in the past.",
    "maintenance": "The resource is under maintenance then.",
    "disabled": "The resource is disabled; an admin can enable it.",
}

_WEEK_KEYS = Binding.Group("Week")


class ResourceDetailScreen(ReserverScreen):
    """A resource's week; arrows or h/j/k/l move, Enter books a free slot."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        # One "[ ] Week" entry in the footer: with both spelled out, F5 fell off at 120 columns.
        Binding(
            "left_square_bracket,p", "week(-1)", "Prev week", key_display="[", group=_WEEK_KEYS
        ),
        Binding(
            "right_square_bracket,n", "week(1)", "Next week", key_display="]", group=_WEEK_KEYS
        ),
        Binding("w", "this_week", "This week", tooltip="Back to the current week"),
        Binding("b", "book", "Book…", tooltip="Book this resource at a time you type"),
        Binding(
            "m",
            "move",
            "Move…",
            tooltip="Move the booking under the cursor (in the week or the list) to another time",
        ),
        Binding("tab", "app.focus_next", "Grid/list", show=False),
        Binding("r", "reload", "Refresh", show=False, tooltip="Read the schedule again"),
    ]
    # Seven readable day columns beside the 48-column list need about 108 columns.
    # Textual declares this as an instance attribute, so it cannot be a ClassVar here.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (108, "-wide")]  # noqa: RUF012

    def __init__(self, resource: ResourceInfo) -> None:
        super().__init__()
        self.resource = resource
        self.start_day: date | None = None
        self._keep_cursor = False
        self._held: dict[int, ReservationInfo] = {}
        """The reservations on show (in the week and the list), by id."""
        self._policy: EffectivePolicy | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="detail-title")
        with Horizontal(id="detail-body"):
            with Vertical(id="grid-pane"):
                yield WeekGrid(self.reserver.tz, id="week")
            with Vertical(id="side-pane"):
                with Vertical(id="upcoming-pane"):
                    yield Label("Upcoming reservations", id="upcoming-title", classes="pane-title")
                    yield KeyedTable(["When", "Who"], id="upcoming")
                with VerticalScroll(id="policy-pane"):
                    yield Label("Booking policy", classes="pane-title")
                    yield PolicyView("Reading the policy…", id="policy")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.start_day = self.reserver.today()
        self._show_title()
        self.query_one(WeekGrid).focus()
        self.reload()

    def reload(self) -> None:
        super().reload()
        assert self.start_day is not None
        self.call_backend("schedule", self._read_week)
        resource_id = self.resource.id
        self.call_backend(
            "policy", lambda backend: messages.PolicyRead(backend.resource_policy(resource_id))
        )

    def _read_week(self, backend: Backend) -> messages.ScheduleLoaded:
        """The week grid from `start_day` and the upcoming reservations (in the worker)."""
        assert self.start_day is not None
        app = self.reserver
        settings = app.settings
        grid = backend.schedule(
            self.resource.id,
            start_day=self.start_day,
            days=7,
            tz=zone_name(app.tz),
            slot_minutes=settings.slot_minutes,
            # The whole day, so evening and night can be seen and booked too.
            day_start=time(0),
            day_end=time(0),
        )
        now = app.now()
        upcoming = backend.resource_reservations(
            self.resource.id, now, now + timedelta(days=UPCOMING_DAYS)
        )
        return messages.ScheduleLoaded(grid, upcoming)

    def _show_title(self) -> None:
        resource = self.resource
        tz = self.reserver.tz
        status = status_text(resource, tz, self.reserver.now())
        tags = ", ".join(resource.tags) or "no tags"
        lines = [f"[b]{literal(resource.name)}[/b]  [dim]{literal(tags)}[/dim]  ·  [b]{status}[/b]"]
        maintenance = describe_maintenance(resource, self.reserver.now(), tz)
        if resource.status == "maintenance" and maintenance:
            lines[0] += f" {literal(maintenance)}"
        elif maintenance:
            lines.append(f"[b]Maintenance[/b] {literal(maintenance)}")
        if resource.description:
            lines.append(literal(resource.description))
        self.query_one("#detail-title", Static).update("\n".join(lines))

    def on_schedule_loaded(self, event: messages.ScheduleLoaded) -> None:
        schedule = event.schedule
        self.resource = schedule.resource
        self._show_title()
        today = self.reserver.today()
        days = [day.day for day in schedule.days]
        today_index = days.index(today) if today in days else -1
        self.query_one(WeekGrid).show(
            schedule,
            today_index,
            self._keep_cursor,
            now=self.reserver.now(),
            working_start=self.reserver.settings.day_start,
        )
        self._keep_cursor = True
        self._held = {r.id: r for r in [*schedule.reservations, *event.upcoming]}
        self._show_upcoming(event.upcoming)

    def _show_upcoming(self, upcoming: list[ReservationInfo]) -> None:
        tz = self.reserver.tz
        now = self.reserver.now()
        mine = self.reserver.user.id if self.reserver.user else None
        table = self.query_one("#upcoming", KeyedTable)
        windows = {r.id: short_window(r.start_time, r.end_time, tz, now=now) for r in upcoming}
        # Two columns, each padded by one cell on both sides; a note takes what is left.
        room = table.scrollable_content_region.width - max(map(len, windows.values()), default=0)
        who_width = max(room - 4, 8)
        rows = {
            str(reservation.id): (
                windows[reservation.id],
                _fitted(
                    "you" if reservation.user_id == mine else holder_name(reservation),
                    reservation.note,
                    who_width,
                ),
            )
            for reservation in upcoming
        }
        table.set_rows(rows)
        title = self.query_one("#upcoming-title", Label)
        # The list's times name no zone, to fit its column: the title names it once.
        title.update(
            f"Upcoming reservations ({zone_name(tz)})" if rows else "No upcoming reservations"
        )

    def on_policy_read(self, event: messages.PolicyRead) -> None:
        self._policy = event.policy
        self.query_one(PolicyView).show(event.policy, self.reserver.tz, now=self.reserver.now())

    # -- moving through weeks -------------------------------------------------------------
    def action_week(self, step: int) -> None:
        """Show the week before or after."""
        assert self.start_day is not None
        self.start_day += timedelta(days=7 * step)
        self.reload()

    @on(WeekGrid.WeekRequested)
    def _week_requested(self, event: WeekGrid.WeekRequested) -> None:
        grid = self.query_one(WeekGrid)
        grid.place(0 if event.step > 0 else 6, grid.row)
        self.action_week(event.step)

    def action_this_week(self) -> None:
        """Back to the week starting today."""
        self.start_day = self.reserver.today()
        self._keep_cursor = False
        self.reload()

    def action_back(self) -> None:
        """Back to where this screen was opened from."""
        self.dismiss()

    def action_reload(self) -> None:
        """Read the schedule again."""
        self.reload()

    # -- booking ----------------------------------------------------------------------------
    @on(WeekGrid.SlotChosen)
    def _slot_chosen(self, event: WeekGrid.SlotChosen) -> None:
        slot = event.slot
        if slot.state == "free":
            end = self._suggested_end(slot)
            start = max(slot.start, next_whole(self.reserver.now(), 5))
            self.app.push_screen(BookModal(self.resource, start, end), self.announce("Booked"))
        elif slot.state == "mine":
            self.notify("You hold this slot: m moves it; cancel it under My reservations (F3).")
        elif slot.state == "booked":
            self.notify(f"Booked by {slot.holder or 'someone else'}.", severity="warning")
        elif slot.state == "closed":
            self.notify(self._why_closed(slot), title="Closed", severity="warning")
        else:
            self.notify(_SLOT_REFUSALS[slot.state], severity="warning")

    def _why_closed(self, slot: Slot) -> str:
        """Which closure or opening hours close the resource at `slot`, from its policy."""
        name = self.resource.name
        policy = self._policy
        if policy is None:
            return f"{name} is closed then."
        fields = {item.name: item for item in policy.fields}
        local = slot.start.astimezone(ZoneInfo(policy.timezone)).replace(tzinfo=None)
        closed = fields.get("closed")
        if closed is not None:
            for closure in closed.value:
                if closure.start <= local < closure.end:
                    return (
                        f"{name} is closed {closure_text(closure)}, a closure of {closed.source}."
                    )
        hours = fields.get("hours")
        if hours is not None and hours.value:
            return (
                f"{name} is open {opening_hours_text(hours.value)} {policy.timezone} only "
                f"(opening hours of {hours.source})."
            )
        return f"{name} is closed then."

    def _suggested_end(self, slot: Slot) -> datetime:
        """One hour when the following slot is free too, else the slot's own end."""
        grid = self.query_one(WeekGrid)
        schedule = grid.schedule
        if schedule is None:
            return slot.end
        for day in schedule.days:
            for index, candidate in enumerate(day.slots):
                if candidate == slot and index + 1 < len(day.slots):
                    following = day.slots[index + 1]
                    if following.state == "free" and following.end - slot.start <= timedelta(
                        hours=1
                    ):
                        return following.end
        return slot.end

    def action_book(self) -> None:
        """Book this resource at a time typed in the form."""
        slot = self.query_one(WeekGrid).current
        start = None
        if slot is not None and slot.state == "free":
            start = max(slot.start, next_whole(self.reserver.now(), 5))
        self.app.push_screen(BookModal(self.resource, start), self.announce("Booked"))

    def action_move(self) -> None:
        """Move the booking under the week's cursor, or highlighted in the list when it has
        the focus: yours, or anyone's as an admin."""
        table = self.query_one("#upcoming", KeyedTable)
        if table.has_focus:
            key = table.current_key
            reservation = self._held.get(int(key)) if key else None
        else:
            slot = self.query_one(WeekGrid).current
            held = slot.reservation_id if slot is not None else None
            reservation = self._held.get(held) if held is not None else None
        if reservation is None:
            self.notify("Put the cursor on a booking to move it.", severity="warning")
            return
        user = self.reserver.user
        if user is None or (reservation.user_id != user.id and not user.is_admin):
            self.notify("Only its holder or an admin can move this booking.", severity="warning")
            return
        if reservation.end_time <= self.reserver.now():
            self.notify("That booking has ended; only an upcoming one moves.", severity="warning")
            return
        self.app.push_screen(MoveModal(reservation), self.announce("Moved"))


def _fitted(holder: str, note: str, width: int) -> str:
    """ "holder: note" cut to `width` cells with an ellipsis (the week's tooltip shows it all)."""
    text = f"{holder}: {note}" if note else holder
    return text if cell_len(text) <= width else set_cell_size(text, width - 1) + "…"
