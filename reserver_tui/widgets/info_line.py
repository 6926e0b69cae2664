"""A one-line text that repaints without asking the screen for a new layout."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class InfoLine(Widget):
    """One line of status text; changing it never reflows the screen."""

    DEFAULT_CSS = """
    InfoLine {
        height: 1;
        width: 1fr;
    }
    """

    text: reactive[str] = reactive("", layout=False)

    def render(self) -> Text:
        line = Text.from_markup(self.text, overflow="ellipsis")
        line.no_wrap = True
        return line
