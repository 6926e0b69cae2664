"""The dates of a series as previewed, refused or booked: a summary line and every date."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from reserver_core.display import counted, format_window
from reserver_core.schemas import Occurrence

BAD_STATES = ("clash", "refused")
"""The states that stop a series from being booked all or nothing."""
_SUMMARY_WORDS = (
    ("free", "free", "free"),
    ("booked", "booked", "booked"),
    ("clash", "clashes", "clash"),
    ("refused", "refused", "refused"),
    ("skipped", "skipped", "skipped"),
)
"""Each state's word after a count, for one date and for several."""


def summary_text(occurrences: Sequence[Occurrence]) -> str:
    """A preview in one line: "10 dates: 9 free, 1 clashes"."""
    states: Counter[str] = Counter(o.state for o in occurrences)
    parts = [
        f"{states[state]} {one if states[state] == 1 else several}"
        for state, one, several in _SUMMARY_WORDS
        if states[state]
    ]
    return f"{counted(len(occurrences), 'date')}: {', '.join(parts)}"


def bad_count(occurrences: Sequence[Occurrence]) -> int:
    """How many dates clash or are refused."""
    return sum(1 for o in occurrences if o.state in BAD_STATES)


def free_count(occurrences: Sequence[Occurrence]) -> int:
    """How many dates are free to book."""
    return sum(1 for o in occurrences if o.state == "free")


class OccurrenceList(Widget):
    """Every date of a series: its number, local window and state, with why it is not free
    and where it meets a daylight-saving change. Coloured by the app's theme."""

    DEFAULT_CSS = """
    OccurrenceList {
        width: 1fr;
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._occurrences: list[Occurrence] = []
        self._tz: ZoneInfo | None = None
        self._now: datetime | None = None

    def show(self, occurrences: Sequence[Occurrence], tz: ZoneInfo, now: datetime) -> None:
        """List `occurrences`, their times in `tz`."""
        self._occurrences = list(occurrences)
        self._tz = tz
        self._now = now
        self.refresh(layout=True)

    def render(self) -> RenderableType:
        colours = self.app.theme_variables
        good = colours.get("text-success", "green")
        bad = colours.get("text-error", "red")
        odd = colours.get("text-warning", "yellow")
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1), pad_edge=False)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        tz, now = self._tz, self._now
        if tz is None or now is None:
            return table
        for item in self._occurrences:
            if item.start_time is None or item.end_time is None:
                when = Text(f"{item.day:%b %Y}", style="dim")
            else:
                when = Text(format_window(item.start_time, item.end_time, tz, now=now))
            if item.state in ("free", "booked"):
                state = Text(item.state, style=good)
            elif item.state == "skipped":
                state = Text(item.reason or "skipped", style=odd)
            else:
                state = Text(item.reason or item.state, style=bad)
            if item.remark:
                state.append(f"\n{item.remark}", style=odd)
            table.add_row(f"#{item.index}", when, state)
        return table


class SeriesPreview(Vertical):
    """A series' dates under a one-line summary (or what is being waited for, or why there
    is no preview); the dates scroll when there are many."""

    DEFAULT_CSS = """
    SeriesPreview {
        height: auto;
    }
    SeriesPreview > #series-summary {
        height: auto;
        text-style: bold;
    }
    SeriesPreview > #series-summary.-invalid {
        color: $text-error;
    }
    SeriesPreview > VerticalScroll {
        height: auto;
        max-height: 12;
        overflow-x: hidden;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="series-summary")
        with VerticalScroll(id="series-scroll"):
            yield OccurrenceList(id="series-dates")

    def show(self, occurrences: Sequence[Occurrence], tz: ZoneInfo, now: datetime) -> None:
        """List `occurrences` under their summary."""
        summary = self.query_one("#series-summary", Static)
        summary.update(Text(summary_text(occurrences)))
        summary.set_class(bad_count(occurrences) > 0, "-invalid")
        self.query_one(OccurrenceList).show(occurrences, tz, now)
        self.query_one("#series-scroll").display = True

    def say(self, text: str, invalid: bool = False) -> None:
        """Say `text` instead of a list of dates."""
        summary = self.query_one("#series-summary", Static)
        summary.update(Text(text))
        summary.set_class(invalid, "-invalid")
        self.query_one("#series-scroll").display = False
