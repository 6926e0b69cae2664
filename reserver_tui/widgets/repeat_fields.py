"""The booking form's repeat section: how often, every how many, on which days, until when."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import cast, get_args
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select

from reserver_core.errors import ValidationError
from reserver_core.schemas import Repeat, SeriesRule
from reserver_core.series import check_rule
from reserver_core.timeparse import parse_day
from reserver_tui.widgets.time_input import TimeInput

NO_REPEAT = "none"
REPEATS: list[tuple[str, str]] = [
    ("does not repeat", NO_REPEAT),
    ("daily", "daily"),
    ("weekly", "weekly"),
    ("monthly", "monthly"),
]
_UNITS = {"daily": "day(s)", "weekly": "week(s)", "monthly": "month(s)"}
# "8", "8x", "8 times", "until 2027-06-01": the word around the figure or day is optional.
_COUNT = re.compile(r"(\d+)\s*(?:x|times?)?", re.I | re.ASCII)


def read_ends(text: str, now: datetime, tz: ZoneInfo) -> tuple[int | None, date | None]:
    """A series' end as typed: a count of dates ("8", "8 times") or its last day ("until
    2027-06-01", "fri"); `(count, until)` with one of them set. ValidationError on `ends`."""
    value = text.strip()
    if not value:
        raise ValidationError(
            "say when the series ends: after a count (8) or on a day (2027-06-01)", "ends"
        )
    count = _COUNT.fullmatch(value)
    if count is not None:
        return int(count.group(1)), None
    day = re.sub(r"^until\s+", "", value, flags=re.I)
    return None, parse_day(day, now, tz, field="ends")


class RepeatFields(Vertical):
    """Repeat (none, daily, weekly, monthly), every N, on which days and the end; a change in
    any of them reaches the form as the Select's or Input's own message."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field", id="repeat-row"):
            yield Label("Repeat", classes="field-label")
            yield Select(REPEATS, value=NO_REPEAT, allow_blank=False, compact=True, id="repeat")
            yield Label("every", id="every-label", classes="repeat-word")
            yield Input("1", id="every", restrict=r"\d*", max_length=2, compact=True)
            yield Label("", id="every-unit", classes="repeat-word")
        with Horizontal(classes="field", id="on-row"):
            yield Label("On", classes="field-label")
            yield TimeInput(id="on", compact=True)
        with Horizontal(classes="field", id="ends-row"):
            yield Label("Ends", classes="field-label")
            yield TimeInput(
                id="ends",
                compact=True,
                placeholder="after a count (8) or on a day (2027-06-01)",
            )

    def on_mount(self) -> None:
        self._show_repeat()

    @property
    def repeat(self) -> Repeat | None:
        """The chosen repeat; None when the booking does not repeat."""
        value = self.query_one("#repeat", Select).value
        return cast(Repeat, value) if value in get_args(Repeat) else None

    @on(Select.Changed, "#repeat")
    def _show_repeat(self) -> None:
        """Show the fields the chosen repeat takes, each explained by its placeholder."""
        repeat = self.repeat
        for row in ("#every-label", "#every", "#every-unit", "#on-row", "#ends-row"):
            self.query_one(row).display = repeat is not None
        if repeat is None:
            return
        self.query_one("#every-unit", Label).update(_UNITS[repeat])
        self.query_one("#on-row").display = repeat != "daily"
        on_input = self.query_one("#on", Input)
        on_input.placeholder = (
            "mon,wed or mon tue fri (empty: the first day's weekday)"
            if repeat == "weekly"
            else "15, 2nd tue or last fri (empty: the first day's date)"
        )

    def rule(self, now: datetime, tz: ZoneInfo) -> SeriesRule | None:
        """The rule the fields describe, checked by the core (its `on` made canonical);
        None when the booking does not repeat. ValidationError naming the field at fault."""
        repeat = self.repeat
        if repeat is None:
            return None
        every_text = self.query_one("#every", Input).value.strip()
        if not every_text.isdigit():
            raise ValidationError("give how many units apart the dates are: 1 or more", "every")
        on_text = "" if repeat == "daily" else self.query_one("#on", Input).value
        count, until = read_ends(self.query_one("#ends", Input).value, now, tz)
        return check_rule(SeriesRule(repeat, int(every_text), on_text, count, until))
