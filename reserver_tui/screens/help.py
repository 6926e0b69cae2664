"""Help: the keys of the screen underneath, the app's keys and the time forms."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from reserver_core import timeparse
from reserver_tui.screens.base import ReserverModal

TIME_FORMS = timeparse.__doc__.split("A point\nin time (such as a start) can be given as:", 1)[-1]


def describe_keys(bindings: list[BindingType]) -> list[str]:
    """One line per binding with a description: its keys, then what it does."""
    lines = []
    for binding in bindings:
        if not isinstance(binding, Binding) or not binding.description:
            continue
        keys = binding.key_display or binding.key
        keys = ", ".join(part.replace("_", " ") for part in keys.split(","))
        note = f" — {binding.tooltip}" if binding.tooltip else ""
        # Padded before escaping, and every bracket escaped: a lone "[" key (previous week)
        # would otherwise open a tag that swallows the closing [/b].
        shown = f"{keys:<22}".replace("[", "\\[")
        lines.append(f"  [b]{shown}[/b] {escape(binding.description)}{escape(note)}")
    return lines


class HelpScreen(ReserverModal):
    """The keys and time forms, over the screen it explains."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, underneath: Screen[object]) -> None:
        super().__init__()
        self.underneath = underneath

    def compose_dialog(self) -> ComposeResult:
        screen_keys = describe_keys(list(self.underneath.BINDINGS))
        app_keys = describe_keys(list(self.app.BINDINGS))
        parts = []
        if screen_keys:
            parts += ["[b u]This screen[/]", *screen_keys, ""]
        parts += [
            "[b u]Everywhere[/]",
            *app_keys,
            "  [b]ctrl+p[/b]                 Command palette: every action by name",
            "",
        ]
        parts += [
            "[b u]Times you can type[/]  (in your time zone: "
            f"{timeparse.zone_name(self.reserver.tz)})",
            "  In the booking form a bare time (14:00) is on the Day given; the end is a time",
            "  (15:30, the first after the start: 23:00 to 01:00 is 2h) or a length (90m).",
            "  A repeated booking's On takes weekdays (mon,wed) when weekly, a day (15) or a",
            "  weekday of the month (2nd tue, last fri) when monthly; Ends takes a count (8) or",
            "  a last day (2027-06-01). Every date keeps the start's clock time, across DST too.",
            escape(TIME_FORMS.rstrip()),
        ]
        with Vertical(id="dialog", classes="dialog -wide -tall"):
            yield Label("reserver help", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static("\n".join(parts), id="help-text")
            yield Static("[dim]↑ ↓ PgUp PgDn scroll · Esc to close[/dim]", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#help-body", VerticalScroll).focus()
