"""The home screen: every resource, filtered as you type, with its status and next free time."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, Select, Static

from reserver_core.display import counted
from reserver_core.schemas import StatusFilter
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.admin_forms import ImportModal, ResourceFormModal, import_csv
from reserver_tui.screens.book import BookModal
from reserver_tui.screens.detail import ResourceDetailScreen
from reserver_tui.screens.resource_list import ResourceTableScreen, filter_input
from reserver_tui.widgets.info_line import InfoLine
from reserver_tui.widgets.resource_table import SORT_KEYS, SORT_LABELS, ResourceTable

STATUS_CHOICES: list[tuple[str, StatusFilter]] = [
    ("Any status", "all"),
    ("Available", "available"),
    ("In use", "in_use"),
    ("Maintenance", "maintenance"),
    ("Disabled", "disabled"),
    ("Unavailable", "unavailable"),
]

ADMIN_FIRST_RUN = """\
[b]No resources yet.[/b] This store is empty — add what people will book:

  [b reverse] n [/]  create a resource by hand
  [b reverse] i [/]  import a CSV file  (header [i]name,tags[,available][,description][/i])
  [b reverse] s [/]  load the bundled sample set (rooms, projectors, lab instruments)

Then pick a resource and press [b]Enter[/b] to see its week, or [b]b[/b] to book it.
"""

MEMBER_FIRST_RUN = """\
[b]No resources yet.[/b] Nobody has added anything to book here so far.

Ask an admin of this store to create resources or import a CSV file;
they will appear here as soon as they exist.
"""


class ResourcesScreen(ResourceTableScreen):
    """All resources; `/` filters, Enter opens the week, `b` books."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", key_display="/", tooltip="Filter by text"),
        Binding("b", "book", "Book", tooltip="Book the highlighted resource"),
        Binding("t", "cycle_status", "Status filter", tooltip="Cycle the status filter"),
        Binding("o", "cycle_sort", "Sort", tooltip="Sort by name, status or next free"),
        Binding("n", "new_resource", "New", tooltip="Create a resource"),
        Binding("i", "import_csv", "Import", tooltip="Import resources from a CSV file"),
        Binding("s", "load_sample", "Sample set", tooltip="Load the bundled sample resources"),
        Binding("r", "reload", "Refresh", show=False, tooltip="Read the resources again"),
        Binding("escape", "leave_filter", "Back to table", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="toolbar"):
            yield filter_input()
            yield Select(
                STATUS_CHOICES, value="all", allow_blank=False, id="status-filter", compact=True
            )
        with Vertical(id="body"):
            yield ResourceTable(self.reserver.tz, self.reserver.now, id="resources")
            yield Static(id="first-run")
        yield InfoLine(id="table-info")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        table.loading = True
        self.query_one("#first-run").display = False
        if self.reserver.backend is not None:
            self.reload()

    def resources_shown(self, take_focus: bool) -> None:
        table = self.table
        empty = table.total == 0
        first_run = self.query_one("#first-run", Static)
        first_run.update(ADMIN_FIRST_RUN if self.reserver.is_admin else MEMBER_FIRST_RUN)
        first_run.display = empty
        table.display = not empty
        self.query_one("#toolbar").display = not empty
        if not empty and take_focus:
            table.focus()
        self._show_counts()
        self.refresh_bindings()

    def _show_counts(self) -> None:
        table = self.table
        if table.total == 0:
            text = ""
        elif table.shown == table.total:
            text = counted(table.total, "resource")
        else:
            text = f"{table.shown:,} of {counted(table.total, 'resource')}"
        if text and self.reading_more:
            text += " so far, reading more…"
        if text:
            text += f" · sorted by {SORT_LABELS[table.sort_key]}"
            current = table.current
            if current is not None and current.description:
                # One line: the rest of a description written over several lines was cut off.
                description = " ".join(current.description.split())
                text += f" · {literal(current.name)}: {literal(description)}"
        self.query_one("#table-info", InfoLine).text = text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"new_resource", "import_csv"}:
            return self.reserver.is_admin
        if action == "load_sample":
            return self.reserver.is_admin and self.table.loaded and self.table.total == 0
        if action == "book":
            return self.table.current is not None
        if action in {"cycle_status", "cycle_sort", "focus_filter"}:
            return self.table.total > 0
        return True

    # -- filter and sort ----------------------------------------------------------------------
    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._apply_filter()

    @on(Select.Changed, "#status-filter")
    def _status_changed(self) -> None:
        self._apply_filter()

    def _apply_filter(self) -> None:
        status = self.query_one("#status-filter", Select).value
        text = self.query_one("#filter", Input).value
        wanted: StatusFilter = next(
            (value for _label, value in STATUS_CHOICES if value == status), "all"
        )
        self.table.set_filter(text, wanted)
        self._show_counts()
        self.refresh_bindings()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    @on(ResourceTable.Highlighted)
    def _highlighted(self) -> None:
        self._show_counts()

    def action_focus_filter(self) -> None:
        """Jump to the filter box."""
        self.query_one("#filter", Input).focus()

    def action_leave_filter(self) -> None:
        """Escape: clear the filter box if focused there, then go back to the table."""
        box = self.query_one("#filter", Input)
        if box.has_focus and box.value:
            box.value = ""
        self.table.focus()

    def action_cycle_status(self) -> None:
        """Next status filter."""
        select = self.query_one("#status-filter", Select)
        values = [value for _label, value in STATUS_CHOICES]
        current = values.index(select.value) if select.value in values else 0
        select.value = values[(current + 1) % len(values)]

    def action_cycle_sort(self) -> None:
        """Next sort order."""
        table = self.table
        table.set_sort(SORT_KEYS[(SORT_KEYS.index(table.sort_key) + 1) % len(SORT_KEYS)])
        self._show_counts()

    def action_reload(self) -> None:
        """Read the resources again."""
        self.reload()

    # -- opening, booking, adding --------------------------------------------------------------
    @on(ResourceTable.Selected)
    def _selected(self, event: ResourceTable.Selected) -> None:
        self.app.push_screen(ResourceDetailScreen(event.resource))

    def action_book(self) -> None:
        """Book the highlighted resource."""
        resource = self.table.current
        if resource is not None:
            self.app.push_screen(BookModal(resource), self.announce("Booked"))

    def action_new_resource(self) -> None:
        """Create a resource."""
        self.app.push_screen(ResourceFormModal(None))

    def action_import_csv(self) -> None:
        """Import a CSV file of resources."""
        self.app.push_screen(ImportModal())

    def action_load_sample(self) -> None:
        """Load the bundled sample resources into the empty store."""
        self.call_backend(
            "import", lambda backend: import_csv(backend, None, False, self), changes_data=True
        )

    def on_import_finished(self, event: messages.ImportFinished) -> None:
        self.notify(
            f"{counted(event.report.created_count, 'resource')} from {event.source}",
            title="Imported",
        )
