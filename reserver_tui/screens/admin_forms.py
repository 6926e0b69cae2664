"""The admin's dialogs: create or edit a resource, maintenance, CSV import and export."""

from __future__ import annotations

import io
from collections.abc import Callable
from importlib import resources as package_files
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, ProgressBar, Static

from reserver_core.backend import Backend
from reserver_core.csv_io import export_to_path
from reserver_core.display import counted
from reserver_core.errors import (
    AlreadyExistsError,
    ImportRejectedError,
    LineError,
    ReserverError,
    ValidationError,
)
from reserver_core.resources import check_auto_reset_hours, split_tags
from reserver_core.schemas import ResourceInfo
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.messages import ResourceAction
from reserver_tui.screens.base import ReserverForm, ReserverModal, ReserverScreen
from reserver_tui.widgets.form_checkbox import FormCheckbox
from reserver_tui.widgets.keyed_table import KeyedTable

SAMPLE_CSV = "sample_resources.csv"


def change_resource(
    screen: ReserverScreen | ReserverModal,
    action: ResourceAction,
    change: Callable[[Backend], ResourceInfo],
) -> None:
    """Admin: make one change to a resource in a worker of `screen`; every screen reloads."""
    screen.call_backend(
        "admin",
        lambda backend: messages.ResourceChanged(change(backend), action),
        changes_data=True,
    )


def import_csv(
    backend: Backend,
    path: Path | None,
    skip_invalid: bool,
    requester: ReserverScreen | ReserverModal,
) -> messages.ImportFinished:
    """Import a CSV file (None: the bundled sample set), posting progress to `requester`."""
    progress = _progress_to(requester)
    if path is None:
        data = package_files.files("reserver_tui").joinpath(SAMPLE_CSV).read_bytes()
        source = "the sample set"
    else:
        try:
            data = path.expanduser().read_bytes()
        except OSError as exc:
            raise ValidationError(f"cannot read {path}: {exc.strerror}", "path") from exc
        source = str(path)
    report = backend.import_csv(io.BytesIO(data), skip_invalid=skip_invalid, progress=progress)
    return messages.ImportFinished(report, source)


def export_csv(backend: Backend, path: Path, requester: ReserverModal) -> messages.ExportFinished:
    """Write every resource to a CSV file in the import format (a draft renamed over
    the target, so a failed export leaves no half file), posting progress."""
    target = path.expanduser()
    count = export_to_path(backend.export_csv, target, _progress_to(requester))
    return messages.ExportFinished(count, target)


def _progress_to(requester: ReserverScreen | ReserverModal) -> Callable[[int, int], None]:
    """A CSV progress callback that tells `requester` how far it came."""

    def progress(done: int, total: int) -> None:
        requester.post_message(messages.ImportProgress(done, total))

    return progress


def _field(label: str, widget: Input | FormCheckbox) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), widget, classes="field")


class ResourceFormModal(ReserverForm):
    """Create a resource (None) or edit one; Enter saves."""

    INLINE_ERRORS = (ValidationError, AlreadyExistsError)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel"),
        Binding("ctrl+s", "submit", "Save"),
    ]

    def __init__(self, resource: ResourceInfo | None) -> None:
        super().__init__()
        self.resource = resource

    def compose_dialog(self) -> ComposeResult:
        resource = self.resource
        title = "New resource" if resource is None else f"Edit [b]{literal(resource.name)}[/b]"
        with Vertical(id="dialog", classes="dialog"):
            yield Label(title, classes="dialog-title")
            yield _field(
                "Name",
                Input(resource.name if resource else "", placeholder="Room 101", id="name"),
            )
            yield _field(
                "Tags",
                Input(
                    ", ".join(resource.tags) if resource else "",
                    placeholder="room, projector (comma-separated)",
                    id="tags",
                ),
            )
            yield _field(
                "Description",
                Input(resource.description if resource else "", placeholder="optional", id="desc"),
            )
            if resource is None:
                yield _field("", FormCheckbox("Enabled (bookable)", value=True, id="enabled"))
            yield Static(id="feedback")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Button.Pressed, "#save")
    def action_submit(self) -> None:
        """Create or update the resource."""
        feedback = self.query_one("#feedback", Static)
        try:
            tags = split_tags(self.query_one("#tags", Input).value)
        except ValidationError as exc:
            feedback.update(f"✗ {literal(exc.message)}")
            return
        name = self.query_one("#name", Input).value
        description = self.query_one("#desc", Input).value
        if self.resource is None:
            enabled = self.query_one("#enabled", FormCheckbox).value
            change_resource(
                self,
                ResourceAction.CREATE,
                lambda backend: backend.create_resource(name, tags, description, enabled),
            )
        else:
            resource_id = self.resource.id
            change_resource(
                self,
                ResourceAction.EDIT,
                lambda backend: backend.update_resource(resource_id, name, tags, description),
            )
        feedback.update("Saving…")

    def on_resource_changed(self, event: messages.ResourceChanged) -> None:
        verb = "Created" if event.action is ResourceAction.CREATE else "Saved"
        self.notify(f"{verb} {event.resource.name}")
        self.finish(event.resource)


class MaintenanceModal(ReserverForm):
    """Put a resource under maintenance for 1-168 hours."""

    INLINE_ERRORS = (ValidationError,)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel"),
        Binding("ctrl+s", "submit", "Start"),
    ]

    def __init__(self, resource: ResourceInfo) -> None:
        super().__init__()
        self.resource = resource

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -narrow"):
            name = literal(self.resource.name)
            yield Label(f"Maintenance for [b]{name}[/b]", classes="dialog-title")
            yield Static("Bookings are refused until it is back; it returns by itself after:")
            yield _field(
                "Hours",
                Input(str(self.resource.auto_reset_hours or 8), type="integer", id="hours"),
            )
            yield Static(id="feedback")
            with Horizontal(classes="buttons"):
                yield Button("Start maintenance", id="start", variant="warning")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#hours", Input).focus()

    @on(Button.Pressed, "#start")
    def action_submit(self) -> None:
        """Start the maintenance for the hours given."""
        text = self.query_one("#hours", Input).value.strip()
        try:
            if not text.isdigit():
                raise ValidationError("give a whole number of hours", "auto_reset_hours")
            hours = check_auto_reset_hours(int(text))
        except ValidationError as exc:
            self.show_feedback(f"✗ {exc.message}")
            return
        resource_id = self.resource.id
        change_resource(
            self,
            ResourceAction.START_MAINTENANCE,
            lambda backend: backend.start_maintenance(resource_id, hours),
        )

    def on_resource_changed(self, event: messages.ResourceChanged) -> None:
        self.finish(event.resource)


class ImportModal(ReserverForm):
    """Import resources from a CSV file, with a progress bar and the rejected lines."""

    # A rejected file and one that cannot be read are both said beside the path.
    INLINE_ERRORS = (ValidationError,)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "submit", "Import"),
    ]

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -wide"):
            yield Label("Import resources from CSV", classes="dialog-title")
            yield Static(
                "Header [b]name,tags[,available][/b]; tags comma-separated in one quoted field. "
                "Any bad line rejects the whole file unless you skip invalid lines."
            )
            yield _field("File", Input(placeholder="~/resources.csv", id="path"))
            yield _field("", FormCheckbox("Skip invalid lines, import the rest", id="skip"))
            yield ProgressBar(id="progress", show_eta=False)
            yield Static(id="feedback")
            yield KeyedTable(["Line", "Problem"], id="rejected")
            with Horizontal(classes="buttons"):
                yield Button("Import", id="import", variant="primary")
                yield Button("Close", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#rejected").display = False
        self.query_one(ProgressBar).display = False
        self.query_one("#path", Input).focus()

    @on(Button.Pressed, "#import")
    # Enter on the list of rejected lines, where focus lands after tabbing past the checkbox.
    @on(KeyedTable.RowSelected, "#rejected")
    def action_submit(self) -> None:
        """Import the file, skipping invalid lines if ticked."""
        if self.query_one("#import", Button).disabled:
            return
        text = self.query_one("#path", Input).value.strip()
        self.query_one("#rejected").display = False
        if not text:
            self.show_feedback("✗ give the path of a CSV file")
            return
        self.show_feedback("Importing…")
        self.query_one("#import", Button).disabled = True
        skip = self.query_one("#skip", FormCheckbox).value
        path = Path(text)
        self.call_backend(
            "import", lambda backend: import_csv(backend, path, skip, self), changes_data=True
        )

    def on_import_progress(self, event: messages.ImportProgress) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=max(event.total, 1), progress=event.done)

    def on_import_finished(self, event: messages.ImportFinished) -> None:
        report = event.report
        self.query_one("#import", Button).disabled = False
        # The line below says how it ended; a file with nothing to add left the bar at 0%.
        self.query_one(ProgressBar).display = False
        text = f"✓ Imported {counted(report.created_count, 'resource')}"
        if report.errors:
            text += f"; skipped {counted(len(report.errors), 'bad line')}:"
        self.show_feedback(text)
        self._show_rejected(report.errors)

    def show_failure(self, error: ReserverError) -> None:
        """Say why the import failed, with every rejected line."""
        self.query_one("#import", Button).disabled = False
        self.query_one(ProgressBar).display = False
        self.show_feedback(f"✗ {literal(error.message)}")
        if isinstance(error, ImportRejectedError):
            self._show_rejected(error.errors)

    def _show_rejected(self, errors: list[LineError]) -> None:
        table = self.query_one("#rejected", KeyedTable)
        table.set_rows({str(e.line): (str(e.line), e.message) for e in errors})
        table.display = bool(errors)
        if errors:
            # On a small terminal the form scrolls: bring the rejected lines into sight.
            self.call_after_refresh(table.scroll_visible, animate=False)


class ExportModal(ReserverForm):
    """Write every resource to a CSV file that imports back unchanged."""

    INLINE_ERRORS = (ValidationError,)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "submit", "Export"),
    ]

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Export resources to CSV", classes="dialog-title")
            yield _field("File", Input("~/reserver-resources.csv", id="path"))
            yield ProgressBar(id="progress", show_eta=False)
            yield Static(id="feedback")
            with Horizontal(classes="buttons"):
                yield Button("Export", id="export", variant="primary")
                yield Button("Close", id="cancel")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one("#path", Input).focus()

    @on(Button.Pressed, "#export")
    def action_submit(self) -> None:
        """Write the CSV file."""
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.show_feedback("✗ give a file name")
            return
        path = Path(text)
        self.call_backend("export", lambda backend: export_csv(backend, path, self))

    def on_import_progress(self, event: messages.ImportProgress) -> None:
        bar = self.query_one(ProgressBar)
        bar.display = True
        bar.update(total=max(event.total, 1), progress=event.done)

    def on_export_finished(self, event: messages.ExportFinished) -> None:
        self.query_one(ProgressBar).display = False
        written = counted(event.count, "resource")
        self.show_feedback(f"✓ Wrote {written} to {literal(str(event.path))}")

    def show_failure(self, error: ReserverError) -> None:
        """Say why the export failed, without the bar of an earlier export."""
        self.query_one(ProgressBar).display = False
        super().show_failure(error)
