"""A week of a resource's slots: days across, local times down, one colour per state."""

from __future__ import annotations

from typing import ClassVar
from zoneinfo import ZoneInfo

from rich.cells import set_cell_size
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Offset, Region
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from reserver_core.schemas import Schedule, Slot

_TIME_WIDTH = 6
_MIN_COLUMN = 7
"""Room for the longest day label ("Wed 30") and the gap after it."""
_LEGEND = (
    ("free", "free"),
    ("mine", "mine"),
    ("booked", "booked"),
    ("maintenance", "maintenance"),
    ("disabled", "disabled"),
    ("past", "past"),
)


class WeekGrid(Widget, can_focus=True):
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
        "week-grid--past",
        "week-grid--cursor",
    }

    DEFAULT_CSS = """
    WeekGrid {
        height: auto;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    WeekGrid > .week-grid--header { color: $text-muted; text-style: bold; }
    WeekGrid > .week-grid--today { color: $text-accent; text-style: bold underline; }
    WeekGrid > .week-grid--time { color: $text-muted; }
    WeekGrid > .week-grid--free { background: $success 15%; color: $text-success; }
    WeekGrid > .week-grid--mine { background: $primary 60%; color: $text; text-style: bold; }
    WeekGrid > .week-grid--booked { background: $error 35%; color: $text; }
    WeekGrid > .week-grid--maintenance { background: $warning 35%; color: $text; }
    WeekGrid > .week-grid--disabled { background: $panel; color: $text-disabled; }
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
        self.today_index = -1

    def show(self, schedule: Schedule, today_index: int, keep_cursor: bool) -> None:
        """Display a week; rows are local wall times, so DST days line up by the clock."""
        self.schedule = schedule
        self.today_index = today_index
        self._cells = []
        times: set[str] = set()
        for day in schedule.days:
            by_time = {f"{slot.start.astimezone(self.tz):%H:%M}": slot for slot in day.slots}
            self._cells.append(by_time)
            times.update(by_time)
        self._times = sorted(times)
        if not keep_cursor:
            self.day = max(today_index, 0)
            self.row = self._first_open_row(self.day)
        self.day = min(self.day, max(len(self._cells) - 1, 0))
        self.row = min(self.row, max(len(self._times) - 1, 0))
        self.refresh(layout=True)

    def _first_open_row(self, day: int) -> int:
        if not self._cells:
            return 0
        for index, label in enumerate(self._times):
            slot = self._cells[day].get(label)
            if slot is not None and slot.state != "past":
                return index
        return 0

    @property
    def times(self) -> tuple[str, ...]:
        """The local wall times ("HH:MM") that label the rows, top to bottom."""
        return tuple(self._times)

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
        offset = event.get_content_offset(self)
        if offset is None or not self._cells or offset.y < 1 or offset.x < _TIME_WIDTH:
            return
        column = (offset.x - _TIME_WIDTH) // self._column_width()
        row = offset.y - 1
        if column < len(self._cells) and row < len(self._times):
            chosen = (column, row) == (self.day, self.row)
            self.place(column, row)
            if chosen or event.chain > 1:
                self.action_choose()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Name the booking under the mouse, with its note, in the tooltip."""
        slot = self._slot_at(event.get_content_offset(self))
        self.tooltip = self._describe_booking(slot) if slot is not None else None

    def _slot_at(self, offset: Offset | None) -> Slot | None:
        if offset is None or not self._cells or offset.y < 1 or offset.x < _TIME_WIDTH:
            return None
        column = (offset.x - _TIME_WIDTH) // self._column_width()
        row = offset.y - 1
        if column < len(self._cells) and row < len(self._times):
            return self._cells[column].get(self._times[row])
        return None

    def _describe_booking(self, slot: Slot) -> Text | None:
        # Text, not a string: a note is the holder's words, never markup.
        if slot.reservation_id is None or self.schedule is None:
            return None
        for reservation in self.schedule.reservations:
            if reservation.id == slot.reservation_id:
                holder = "you" if slot.state == "mine" else reservation.username or "booked"
                return Text(f"{holder}: {reservation.note}" if reservation.note else holder)
        return None

    def _column_width(self) -> int:
        width = (self.content_region.width - _TIME_WIDTH) // max(len(self._cells), 1)
        return max(width, _MIN_COLUMN)

    def watch_day(self) -> None:
        self.refresh()

    def watch_row(self) -> None:
        self.refresh()
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        # The grid is taller than a small terminal: its scrolling parent follows the cursor,
        # keeping the day header in view on the first row.
        container = self.parent
        if not isinstance(container, Widget):
            return
        top = self.virtual_region.y
        region = Region(0, top, 1, 2) if self.row == 0 else Region(0, top + 1 + self.row, 1, 1)
        container.scroll_to_region(region, animate=False, immediate=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._times) + 3 if self._times else 1

    def render(self) -> Text:
        if self.schedule is None:
            return Text("Loading the schedule…", style="italic")
        style = self.get_component_rich_style
        cell = self._column_width() - 1
        text = Text(no_wrap=True, overflow="crop")
        # The month above the times: day labels name only the weekday and the day.
        month = f"{self.schedule.days[0].day:%b}" if self.schedule.days else ""
        text.append(set_cell_size(month, _TIME_WIDTH), style("week-grid--header"))
        for index, day in enumerate(self.schedule.days):
            label = f"{day.day:%a} {day.day.day}"
            name = "week-grid--today" if index == self.today_index else "week-grid--header"
            text.append(set_cell_size(label, cell), style(name))
            text.append(" ")
        text.append("\n")
        cursor = style("week-grid--cursor")
        for row, label in enumerate(self._times):
            text.append(set_cell_size(label, _TIME_WIDTH), style("week-grid--time"))
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
            text.append("\n")
        text.append("\n")
        for state, name in _LEGEND:
            text.append(f" {name} ", style(f"week-grid--{state}"))
            text.append("  ")
        return text

    @staticmethod
    def _cell_text(slot: Slot) -> str:
        if slot.state == "mine":
            return " mine"
        if slot.state == "booked":
            return f" {slot.holder or 'booked'}"
        if slot.state == "maintenance":
            return " maint."
        if slot.state == "disabled":
            return " off"
        if slot.state == "past":
            return " ·"
        return ""
