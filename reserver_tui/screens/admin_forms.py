"""The admin's dialogs: create or edit a resource, maintenance, CSV import and export."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources as package_files
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, ProgressBar, Static

from reserver_core.backend import Backend
from reserver_core.csv_io import HEADER_HELP, export_to_path, names_existing_resources
from reserver_core.display import (
    counted,
    describe_import,
    describe_maintenance,
    format_window,
    holder_name,
)
from reserver_core.errors import (
    AlreadyExistsError,
    ImportRejectedError,
    LineError,
    ReserverError,
    ValidationError,
)
from reserver_core.resources import split_tags
from reserver_core.schemas import OverlapChoice, ResourceInfo
from reserver_core.timeparse import parse_duration, parse_when
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.messages import ResourceAction
from reserver_tui.screens.base import ReserverForm, ReserverModal, ReserverScreen
from reserver_tui.widgets.form_checkbox import FormCheckbox
from reserver_tui.widgets.keyed_table import KeyedTable
from reserver_tui.widgets.time_input import TimeInput

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
    update_existing: bool = False,
) -> messages.ImportFinished:
    """Import a CSV file (None: the bundled sample set), posting progress to `requester`;
    with `update_existing` the resources it names that exist take its fields."""
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
    report = backend.import_csv(
        io.BytesIO(data),
        skip_invalid=skip_invalid,
        progress=progress,
        update_existing=update_existing,
    )
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
    """Put a resource under maintenance, from now or ahead, with a reason: the bookings the
    window overlaps are listed first, to be kept or cancelled."""

    INLINE_ERRORS = (ValidationError,)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "submit", "Check"),
    ]

    def __init__(self, resource: ResourceInfo) -> None:
        super().__init__()
        self.resource = resource

    def compose_dialog(self) -> ComposeResult:
        tz = self.reserver.tz
        with Vertical(id="dialog", classes="dialog"):
            name = literal(self.resource.name)
            yield Label(f"Maintenance for [b]{name}[/b]", classes="dialog-title")
            scheduled = describe_maintenance(self.resource, self.reserver.now(), tz)
            if scheduled:
                yield Static(f"Replaces the maintenance {literal(scheduled)}.", id="scheduled")
            yield _field(
                "From", TimeInput("now", placeholder="now, tomorrow 8:00, mon 9:00", id="from")
            )
            yield _field(
                "Length",
                TimeInput(
                    f"{self.resource.auto_reset_hours or 8}h", placeholder="90m, 4h", id="length"
                ),
            )
            yield _field("Reason", Input(placeholder="optional", id="reason"))
            yield Static(id="feedback")
            yield Static(id="overlapped")
            with Horizontal(classes="buttons"):
                yield Button("Check bookings", id="preview", variant="primary")
                yield Button("Keep them", id="keep-overlapped", variant="primary")
                yield Button("Cancel them", id="cancel-overlapped", variant="error")
                yield Button("Close", id="cancel")

    def on_mount(self) -> None:
        self._show_choice(False)
        self.query_one("#from", Input).focus()

    def _show_choice(self, shown: bool) -> None:
        self.query_one("#preview").display = not shown
        self.query_one("#keep-overlapped").display = shown
        self.query_one("#cancel-overlapped").display = shown
        self.query_one("#overlapped").display = shown

    def _read(self) -> tuple[datetime | None, timedelta, str] | None:
        """The form's window start (None: now), length and reason; None when invalid."""
        start_text = self.query_one("#from", Input).value.strip()
        try:
            # "now" and a start past by the time it is set both mean now to the core.
            start = (
                parse_when(start_text, self.reserver.now(), self.reserver.tz, "from")
                if start_text
                else None
            )
            length = parse_duration(self.query_one("#length", Input).value, "length")
        except ValidationError as exc:
            self.show_feedback(f"✗ {literal(exc.message)}")
            return None
        return start, length, self.query_one("#reason", Input).value

    @on(Input.Changed)
    def _changed(self) -> None:
        # A window changed after its check must be checked again before it is set.
        self._show_choice(False)
        self.show_feedback("")

    @on(Button.Pressed, "#preview")
    def action_submit(self) -> None:
        """Check the window: list the bookings it overlaps, or start it when none."""
        form = self._read()
        if form is None:
            return
        resource_id = self.resource.id
        self.show_feedback("Checking the bookings in that window…")
        self.call_backend(
            "admin",
            lambda backend: messages.MaintenancePreviewed(
                backend.preview_maintenance(resource_id, form[1], form[0], form[2])
            ),
        )

    def on_maintenance_previewed(self, event: messages.MaintenancePreviewed) -> None:
        seen = event.preview
        tz, now = self.reserver.tz, self.reserver.now()
        window = format_window(seen.start_time, seen.end_time, tz, now=now)
        if not seen.overlapped:
            self.show_feedback(f"✓ {window}: no booking overlaps it. Starting…")
            self._set("keep")
            return
        self.show_feedback(f"{window} overlaps {counted(len(seen.overlapped), 'active booking')}:")
        lines = [
            f"  #{held.id}  {format_window(held.start_time, held.end_time, tz, now=now)}  "
            f"{literal(holder_name(held))}"
            for held in seen.overlapped
        ]
        self.query_one("#overlapped", Static).update("\n".join(lines))
        self._show_choice(True)
        # The harmless answer first: Enter on it keeps the bookings.
        keep = self.query_one("#keep-overlapped", Button)
        keep.focus(scroll_visible=False)
        # Shown just now, the buttons have no place to scroll to before the next layout.
        self.call_after_refresh(keep.scroll_visible, animate=False)

    @on(Button.Pressed, "#keep-overlapped")
    def _keep(self) -> None:
        self._set("keep")

    @on(Button.Pressed, "#cancel-overlapped")
    def _cancel_them(self) -> None:
        self._set("cancel")

    def _set(self, choice: OverlapChoice) -> None:
        form = self._read()
        if form is None:
            return
        start, length, reason = form
        resource_id = self.resource.id
        self.call_backend(
            "admin",
            lambda backend: messages.MaintenanceSet(
                backend.schedule_maintenance(resource_id, length, start, reason, choice)
            ),
            changes_data=True,
        )

    def on_maintenance_set(self, event: messages.MaintenanceSet) -> None:
        outcome = event.outcome
        window = format_window(
            outcome.start_time, outcome.end_time, self.reserver.tz, now=self.reserver.now()
        )
        said = f"{outcome.resource.name}: maintenance {window}"
        if outcome.cancelled:
            said += f"; cancelled {len(outcome.cancelled)} booking(s)"
        if outcome.kept:
            said += f"; kept {len(outcome.kept)} booking(s)"
        self.notify(said, title="Maintenance set")
        self.finish(outcome.resource)


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
                f"Header [b]{HEADER_HELP}[/b]; tags comma-separated in one field. "
                "Any bad line rejects the whole file unless you skip bad lines."
            )
            yield _field("File", Input(placeholder="~/resources.csv", id="path"))
            # One row, so that the buttons stay in sight at 80x24.
            yield Horizontal(
                Label("", classes="field-label"),
                FormCheckbox(
                    "Skip bad lines", id="skip", tooltip="Import the good lines, list the bad"
                ),
                FormCheckbox(
                    "Update existing resources",
                    id="update",
                    tooltip="A resource the file names (in any case) takes its tags, "
                    "availability and description, instead of being a bad line",
                ),
                classes="field",
            )
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
        update = self.query_one("#update", FormCheckbox).value
        path = Path(text)
        self.call_backend(
            "import",
            lambda backend: import_csv(backend, path, skip, self, update),
            changes_data=True,
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
        text = f"✓ {describe_import(report)}"
        self.show_feedback(text + (":" if report.errors else ""))
        self._show_rejected(report.errors)

    def show_failure(self, error: ReserverError) -> None:
        """Say why the import failed, with every rejected line."""
        self.query_one("#import", Button).disabled = False
        self.query_one(ProgressBar).display = False
        text = f"✗ {literal(error.message)}"
        if isinstance(error, ImportRejectedError):
            if not self.query_one("#update", FormCheckbox).value and names_existing_resources(
                error.errors
            ):
                text += "; tick [b]Update existing resources[/b] to change those that exist"
            self._show_rejected(error.errors)
        self.show_feedback(text)

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
