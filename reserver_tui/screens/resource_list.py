"""What the screens built on the table of every resource share: reading and filling it."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message
from textual.widgets import Input
from textual.worker import get_current_worker

from reserver_core.backend import Backend
from reserver_core.paging import MAX_LIMIT, iter_pages
from reserver_core.schemas import ResourceInfo
from reserver_tui import messages
from reserver_tui.screens.base import ReserverScreen
from reserver_tui.widgets.resource_table import ResourceTable


def filter_input() -> Input:
    """The input that filters the table by name or tag (`/` focuses it)."""
    return Input(placeholder="Filter by name or tag   /", id="filter")


def read_resources(
    backend: Backend, load: int, post: Callable[[Message], object]
) -> messages.ResourcesLoaded | None:
    """Every resource, read a page at a time in a worker: the first page is posted at once,
    the rest in batches that double in size, and the last batch returned.

    The store may hold far more resources than a screen shows; doubling batches keep
    the table's work on the app's thread to a few merges however many there are.
    """
    worker = get_current_worker()
    batch: list[ResourceInfo] = []
    posted = 0
    for page in iter_pages(lambda after: backend.resources_page(MAX_LIMIT, after)):
        batch.extend(page.items)
        if page.next is None:
            break
        if worker.is_cancelled:
            return None
        if len(batch) >= max(posted, MAX_LIMIT):
            post(messages.ResourcesLoaded(batch, load, first=posted == 0, complete=False))
            posted += len(batch)
            batch = []
    return messages.ResourcesLoaded(batch, load, first=posted == 0)


class ResourceTableScreen(ReserverScreen):
    """A main screen around a `ResourceTable` of every resource, read from the backend."""

    AUTO_FOCUS = "ResourceTable"
    _first_load = True
    _load = 0
    reading_more = False
    """Whether the table holds the first batches of resources while the rest are read."""
    _read_ids: set[int]
    """The resources the reading under way has met so far."""

    @property
    def table(self) -> ResourceTable:
        """The resource table."""
        return self.query_one(ResourceTable)

    def reload(self) -> None:
        super().reload()
        self._load += 1
        load = self._load
        self.call_backend(
            "resources", lambda backend: read_resources(backend, load, self.post_message)
        )

    def on_resources_loaded(self, event: messages.ResourcesLoaded) -> None:
        if event.load != self._load:
            return  # a batch of a reading that a newer one replaced
        if event.first:
            self._read_ids = set()
        self._read_ids.update(resource.id for resource in event.resources)
        # Rows that the whole reading did not meet are gone from the store.
        self.table.add_resources(event.resources, self._read_ids if event.complete else None)
        self.reading_more = not event.complete
        self.table.loading = False
        self.resources_shown(take_focus=self._first_load or self.focused is None)
        self._first_load = False

    def resources_shown(self, take_focus: bool) -> None:
        """Arrange the screen around the filled table; focus it when `take_focus`."""
