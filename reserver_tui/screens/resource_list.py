"""What the screens built on the table of every resource share: reading and filling it."""

from __future__ import annotations

from textual.widgets import Input

from reserver_tui import messages
from reserver_tui.screens.base import ReserverScreen
from reserver_tui.widgets.resource_table import ResourceTable


def filter_input() -> Input:
    """The input that filters the table by name or tag (`/` focuses it)."""
    return Input(placeholder="Filter by name or tag   /", id="filter")


class ResourceTableScreen(ReserverScreen):
    """A main screen around a `ResourceTable` of every resource, read from the backend."""

    AUTO_FOCUS = "ResourceTable"
    _first_load = True

    @property
    def table(self) -> ResourceTable:
        """The resource table."""
        return self.query_one(ResourceTable)

    def reload(self) -> None:
        super().reload()
        self.call_backend(
            "resources", lambda backend: messages.ResourcesLoaded(backend.list_resources())
        )

    def on_resources_loaded(self, event: messages.ResourcesLoaded) -> None:
        self.table.set_resources(event.resources)
        self.table.loading = False
        self.resources_shown(take_focus=self._first_load or self.focused is None)
        self._first_load = False

    def resources_shown(self, take_focus: bool) -> None:
        """Arrange the screen around the filled table; focus it when `take_focus`."""
