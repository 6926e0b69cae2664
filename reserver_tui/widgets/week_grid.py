"""A week of a resource's slots: days across, local times down, one colour per state.

The grid holds the whole day; it scrolls under a fixed line of day names and a
fixed legend, and opens at the working hours or the week's first booking.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Offset, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reserver_core.display import month_label
from reserver_core.schemas import Schedule, Slot

_TIME_WIDTH = 6
_MIN_COLUMN = 7
"""Room for the longest day label ("Wed 30") and the gap after it."""
_HEADER = 1
_FOOTER = 2
"""A blank line, then the legend."""
SERIES_MARK = "↻"
"""Marks a booked cell whose booking is a date of a recurring series."""
_LEGEND = (
    ("free", "free"),
    ("mine", "mine"),
    ("booked", "booked"),
    ("maintenance", "maintenance"),
    ("disabled", "disabled"),
    ("closed", "closed"),
    ("past", "past"),
)


class WeekGrid(ScrollView, can_focus=True):
    """The slot grid of a `Schedule`; arrows or h/j/k/l move, Enter picks a slot."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "week-grid--header",
        "week-grid--today",
        "week-grid--time",
        "week-grid--free",
        "week-grid--mine",
        "week-grid--booked",
        "week-grid--maintenance",
        "week-grid--disabled",
        "week-grid--closed",
        "week-grid--past",
        "week-grid--cursor",
    }

    DEFAULT_CSS = """
    WeekGrid {
        height: 1fr;
        padding: 0 1;
        overflow-x: hidden;
    }
    WeekGrid > .week-grid--header { color: $text-muted; text-style: bold; }
    WeekGrid > .week-grid--today { color: $text-accent; text-style: bold underline; }
    WeekGrid > .week-grid--time { color: $text-muted; }
    WeekGrid > .week-grid--free { background: $success 15%; color: $text-success; }
    WeekGrid > .week-grid--mine { background: $primary 60%; color: $text; text-style: bold; }
    WeekGrid > .week-grid--booked { background: $error 35%; color: $text; }
    WeekGrid > .week-grid--maintenance { background: $warning 35%; color: $text; }
    WeekGrid > .week-grid--disabled { background: $panel; color: $text-disabled; }
    WeekGrid > .week-grid--closed { background: $foreground 8%; color: $text-muted; }
    WeekGrid > .week-grid--past { color: $text-disabled; }
    WeekGrid > .week-grid--cursor { text-style: reverse bold; }
    WeekGrid:blur > .week-grid--cursor { text-style: underline; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "move(-1, 0)", "Day before", show=False),
        Binding("right,l", "move(1, 0)", "Day after", show=False),
        Binding("up,k", "move(0, -1)", "Earlier", show=False),
        Binding("down,j", "move(0, 1)", "Later", show=False),
        Binding("enter", "choose", "Book slot"),
    ]

    day: reactive[int] = reactive(0)
    row: reactive[int] = reactive(0)

    class SlotChosen(Message):
        """Enter on a slot: the screen decides whether it can be booked."""

        def __init__(self, grid: WeekGrid, slot: Slot) -> None:
            super().__init__()
            self.grid = grid
            self.slot = slot

        @property
        def control(self) -> WeekGrid:
            return self.grid

    class WeekRequested(Message):
        """The cursor went past the first or last day: show the week before or after."""

        def __init__(self, grid: WeekGrid, step: int) -> None:
            super().__init__()
            self.grid = grid
            self.step = step

        @property
        def control(self) -> WeekGrid:
            return self.grid

    def __init__(self, tz: ZoneInfo, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tz = tz
        self.schedule: Schedule | None = None
        self._times: list[str] = []
        self._cells: list[dict[str, Slot]] = []
        self._month = ""
        self.today_index = -1

    def show(
        self,
        schedule: Schedule,
        today_index: int,
        keep_cursor: bool,
        *,
        now: datetime,
        working_start: time,
    ) -> None:
        """Display a week; rows are local wall times, so DST days line up by the clock.

        A new cursor opens scrolled to `working_start`, or to the week's first booking
        when that starts earlier in the day.
        """
        self.schedule = schedule
        self.today_index = today_index
        self._cells = []
        times: set[str] = set()
        for day in schedule.days:
            by_time = {f"{slot.start.astimezone(self.tz):%H:%M}": slot for slot in day.slots}
            self._cells.append(by_time)
            times.update(by_time)
        self._times = sorted(times)
        # The month above the times: day labels name only the weekday and the day.
        self._month = month_label(schedule.days[0].day, self.tz, now=now) if schedule.days else ""
        self._update_virtual_size()
        if not keep_cursor:
            top = self._opening_row(schedule, working_start)
            self.day = max(today_index, 0)
            self.row = self._first_open_row(self.day, top)
            # The new virtual size only bounds scrolling once the grid is laid out again.
            self.call_after_refresh(self._open_at, top)
        self.day = min(self.day, max(len(self._cells) - 1, 0))
        self.row = min(self.row, max(len(self._times) - 1, 0))
        self.refresh()

    def _open_at(self, top: int) -> None:
        self.scroll_to(y=top, animate=False, immediate=True)
        self._scroll_to_cursor()

    @property
    def top_row(self) -> int:
        """The row shown first under the day names."""
        return int(self.scroll_y)

    def _opening_row(self, schedule: Schedule, working_start: time) -> int:
        opening = f"{working_start:%H:%M}"
        for reservation in schedule.reservations:
            # Only the wall time of day matters: the grid's rows are the same each day.
            label = f"{reservation.start_time.astimezone(self.tz):%H:%M}"
            opening = min(opening, label)
        rows = [index for index, label in enumerate(self._times) if label <= opening]
        return rows[-1] if rows else 0

    def _first_open_row(self, day: int, top: int) -> int:
        if not self._cells:
            return 0
        cells = self._cells[day]
        open_rows = [
            index
            for index, label in enumerate(self._times)
            if label in cells and cells[label].state != "past"
        ]
        later = [index for index in open_rows if index >= top]
        return (later or open_rows or [top])[0]

    @property
    def times(self) -> tuple[str, ...]:
        """The local wall times ("HH:MM") that label the rows, top to bottom."""
        return tuple(self._times)

    def cell(self, day: int, label: str) -> Slot | None:
        """The slot of day `day` (0-6) at local time `label` ("HH:MM")."""
        return self._cells[day].get(label)

    @property
    def column_width(self) -> int:
        """The cells one day's column takes, the gap after it included."""
        return self._column_width()

    @property
    def current(self) -> Slot | None:
        """The slot under the cursor."""
        if not self._cells or not self._times:
            return None
        return self._cells[self.day].get(self._times[self.row])

    def place(self, day: int, row: int) -> None:
        """Put the cursor on a day (0-6) and a row."""
        self.day = max(0, min(day, len(self._cells) - 1))
        self.row = max(0, min(row, len(self._times) - 1))

    def action_move(self, days: int, rows: int) -> None:
        """Move the cursor; past the week's edge ask for the next or previous week."""
        target = self.day + days
        if days and not 0 <= target < len(self._cells):
            self.post_message(self.WeekRequested(self, 1 if days > 0 else -1))
            return
        self.place(target, self.row + rows)

    def action_choose(self) -> None:
        """Pick the slot under the cursor."""
        slot = self.current
        if slot is not None:
            self.post_message(self.SlotChosen(self, slot))

    def on_click(self, event: events.Click) -> None:
        at = self._cell_at(event.get_content_offset(self))
        if at is None:
            return
        chosen = at == (self.day, self.row)
        self.place(*at)
        if chosen or event.chain > 1:
            self.action_choose()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Name the booking under the mouse, with its note, in the tooltip."""
        at = self._cell_at(event.get_content_offset(self))
        slot = self._cells[at[0]].get(self._times[at[1]]) if at is not None else None
        self.tooltip = self._describe_booking(slot) if slot is not None else None

    def _cell_at(self, offset: Offset | None) -> tuple[int, int] | None:
        """The (day, row) of the cell at `offset` in the widget, None off the cells."""
        time_width = self._time_width()
        if offset is None or not self._cells or offset.x < time_width:
            return None
        if not _HEADER <= offset.y < self._body_height() + _HEADER:
            return None
        column = (offset.x - time_width) // self._column_width()
        row = self.top_row + offset.y - _HEADER
        if column < len(self._cells) and row < len(self._times):
            return column, row
        return None

    def _time_width(self) -> int:
        # Room for a month with its year ("Jan 2027") when the week is in another year.
        return max(_TIME_WIDTH, cell_len(self._month) + 1)

    def _describe_booking(self, slot: Slot) -> Text | None:
        # Text, not a string: a note is the holder's words, never markup.
        if slot.reservation_id is None or self.schedule is None:
            return None
        for reservation in self.schedule.reservations:
            if reservation.id == slot.reservation_id:
                holder = "you" if slot.state == "mine" else reservation.username or "booked"
                if slot.series_id is not None:
                    holder += f" ({SERIES_MARK} series {slot.series_id})"
                return Text(f"{holder}: {reservation.note}" if reservation.note else holder)
        return None

    def _column_width(self) -> int:
        width = (self.scrollable_content_region.width - self._time_width()) // max(
            len(self._cells), 1
        )
        return max(width, _MIN_COLUMN)

    def _body_height(self) -> int:
        return max(self.scrollable_content_region.height - _HEADER - _FOOTER, 1)

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(
            self.scrollable_content_region.width, len(self._times) + _HEADER + _FOOTER
        )

    def on_resize(self) -> None:
        self._update_virtual_size()
        self._scroll_to_cursor()

    def watch_day(self) -> None:
        self.refresh()

    def watch_row(self) -> None:
        self.refresh()
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        height = self._body_height()
        if self.row < self.top_row:
            self.scroll_to(y=self.row, animate=False, immediate=True)
        elif self.row >= self.top_row + height:
            self.scroll_to(y=self.row - height + 1, animate=False, immediate=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        height = self.scrollable_content_region.height
        if self.schedule is None:
            line = Text("Loading the schedule…", style="italic") if y == 0 else Text()
        elif y < _HEADER:
            line = self._header_line()
        elif y == height - 1:
            line = self._legend_line()
        elif y >= height - _FOOTER:
            line = Text()
        else:
            row = self.top_row + y - _HEADER
            line = self._row_line(row) if row < len(self._times) else Text()
        base = self.rich_style
        segments = list(line.render(self.app.console))
        return Strip(segments).apply_style(base).extend_cell_length(width, base).crop(0, width)

    def _header_line(self) -> Text:
        style = self.get_component_rich_style
        assert self.schedule is not None
        cell = self._column_width() - 1
        text = Text(no_wrap=True, overflow="crop")
        text.append(set_cell_size(self._month, self._time_width()), style("week-grid--header"))
        for index, day in enumerate(self.schedule.days):
            label = f"{day.day:%a} {day.day.day}"
            name = "week-grid--today" if index == self.today_index else "week-grid--header"
            text.append(set_cell_size(label, cell), style(name))
            text.append(" ")
        return text

    def _row_line(self, row: int) -> Text:
        style = self.get_component_rich_style
        cell = self._column_width() - 1
        label = self._times[row]
        text = Text(no_wrap=True, overflow="crop")
        text.append(set_cell_size(label, self._time_width()), style("week-grid--time"))
        cursor = style("week-grid--cursor")
        for column, cells in enumerate(self._cells):
            slot = cells.get(label)
            if slot is None:
                text.append(" " * cell)
            else:
                look = style(f"week-grid--{slot.state}")
                if column == self.day and row == self.row:
                    look += cursor
                text.append(set_cell_size(self._cell_text(slot), cell), look)
            text.append(" ")
        return text

    def _legend_line(self) -> Text:
        style = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="crop")
        for state, name in _LEGEND:
            text.append(f" {name} ", style(f"week-grid--{state}"))
            # One space between entries: seven of them fit the 70 cells beside the list.
            text.append(" ")
        return text

    @staticmethod
    def _cell_text(slot: Slot) -> str:
        # A date of a series is marked where the cell's leading space would be.
        lead = SERIES_MARK if slot.series_id is not None else " "
        if slot.state == "mine":
            return f"{lead}mine"
        if slot.state == "booked":
            return f"{lead}{slot.holder or 'booked'}"
        if slot.state == "maintenance":
            return " maint."
        if slot.state == "disabled":
            return " off"
        if slot.state == "closed":
            return " closed"
        if slot.state == "past":
            return " ·"
        return ""
