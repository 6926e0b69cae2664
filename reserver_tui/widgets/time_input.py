"""An input for a time or a length, where "?" opens the help instead of being typed."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

HELP_KEY = "?"


class TimeInput(Input):
    """A text input that hands "?" to the app's help: no time form contains it."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """Every printable key but "?", so the footer keeps offering the help."""
        return character != HELP_KEY and super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if event.character == HELP_KEY:
            # Input's own handler would type it; the help explains the forms this field takes.
            event.stop()
            event.prevent_default()
            await self.run_action("app.help")
