"""Admin: create and edit resources, enable/disable, maintenance, CSV in and out, expiry."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Input

from reserver_core.backend import Backend
from reserver_core.display import counted, describe_maintenance, format_time
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.messages import ResourceAction
from reserver_tui.screens.admin_forms import (
    ExportModal,
    ImportModal,
    MaintenanceModal,
    ResourceFormModal,
    change_resource,
)
from reserver_tui.screens.confirm import Confirmed, ConfirmModal
from reserver_tui.screens.policy_form import PolicyModal
from reserver_tui.screens.resource_list import ResourceTableScreen, filter_input
from reserver_tui.widgets.info_line import InfoLine
from reserver_tui.widgets.resource_table import ResourceTable, status_text


class AdminScreen(ResourceTableScreen):
    """Every resource with the admin's actions on the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New", tooltip="Create a resource"),
        Binding("e", "edit", "Edit", tooltip="Rename, retag or describe the resource"),
        Binding("d", "toggle_enabled", "On/off", tooltip="Enable or disable booking"),
        Binding("m", "maintenance", "Maintenance", tooltip="Start or end maintenance"),
        Binding("i", "import_csv", "Import", tooltip="Import resources from CSV"),
        Binding("x", "export_csv", "Export", tooltip="Write every resource to CSV"),
        # In help and the palette, not the footer: they would push the F-keys out.
        Binding("X", "expire", "Expire", show=False, tooltip="Expire finished bookings now"),
        Binding(
            "p",
            "policy",
            "Booking policy",
            show=False,
            tooltip="Edit the booking policy of the resource, one of its tags or the default",
        ),
        Binding(
            "a",
            "app.go('approvals')",
            "Approvals",
            show=False,
            tooltip="Requests awaiting a decision",
        ),
        Binding("slash", "focus_filter", "Filter", key_display="/", show=False),
        Binding("escape", "leave_filter", "Back to table", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="toolbar"):
            yield filter_input()
        yield ResourceTable(self.reserver.tz, self.reserver.now, id="admin-resources")
        yield InfoLine(id="admin-info")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.table.loading = True
        if self.reserver.backend is not None:
            self.reload()

    def resources_shown(self, take_focus: bool) -> None:
        if take_focus:
            self.table.focus()
        self._show_info()

    @on(ResourceTable.Highlighted)
    def _show_info(self) -> None:
        resource = self.table.current
        info = self.query_one("#admin-info", InfoLine)
        if resource is None:
            info.text = "No resources yet: [b]n[/b] creates one, [b]i[/b] imports a CSV file."
            return
        tz = self.reserver.tz
        parts = [
            f"[b]{literal(resource.name)}[/b] (#{resource.id})",
            "enabled" if resource.available else "[red]disabled[/red]",
        ]
        if resource.status != "disabled":
            parts.append(status_text(resource, tz, self.reserver.now()))
        maintenance = describe_maintenance(resource, self.reserver.now(), tz)
        if resource.status == "maintenance" and resource.maintenance_until is not None:
            until = format_time(resource.maintenance_until, tz, now=self.reserver.now())
            parts.append(f"back in service {until}")
            if resource.maintenance_reason:
                parts.append(literal(resource.maintenance_reason))
        elif maintenance:
            parts.append(f"maintenance {literal(maintenance)}")
        else:
            parts.append(f"maintenance resets after {resource.auto_reset_hours} h")
        info.text = "  ·  ".join(parts)

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value, "all")

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_focus_filter(self) -> None:
        """Jump to the filter box."""
        self.query_one("#filter", Input).focus()

    def action_leave_filter(self) -> None:
        """Back to the table."""
        self.table.focus()

    def action_new(self) -> None:
        """Create a resource."""
        self.app.push_screen(ResourceFormModal(None))

    def action_edit(self) -> None:
        """Edit the highlighted resource."""
        if self.table.current is not None:
            self.app.push_screen(ResourceFormModal(self.table.current))

    def action_toggle_enabled(self) -> None:
        """Disable an enabled resource (after confirming) or enable a disabled one."""
        resource = self.table.current
        if resource is None:
            return
        if not resource.available:
            change_resource(
                self,
                ResourceAction.ENABLE,
                lambda backend: backend.set_available(resource.id, True),
            )
            return

        def answered(answer: object) -> None:
            if isinstance(answer, Confirmed):
                change_resource(
                    self,
                    ResourceAction.DISABLE,
                    lambda backend: backend.set_available(resource.id, False),
                )

        self.app.push_screen(
            ConfirmModal(
                "Disable resource",
                f"Disable [b]{literal(resource.name)}[/b]? Nobody can book it until it is enabled; "
                "existing bookings stay.",
                yes="Disable",
            ),
            answered,
        )

    def action_maintenance(self) -> None:
        """Start maintenance (asking for hours) or end it."""
        resource = self.table.current
        if resource is None:
            return
        if resource.status == "maintenance":
            change_resource(
                self,
                ResourceAction.END_MAINTENANCE,
                lambda backend: backend.end_maintenance(resource.id),
            )
        else:
            self.app.push_screen(MaintenanceModal(resource))

    def on_resource_changed(self, event: messages.ResourceChanged) -> None:
        self.table.update_resource(event.resource)
        verbs = {
            ResourceAction.ENABLE: "Enabled",
            ResourceAction.DISABLE: "Disabled",
            ResourceAction.END_MAINTENANCE: "Back in service:",
        }
        verb = verbs.get(event.action)
        if verb:
            self.notify(f"{verb} {event.resource.name}")

    def action_policy(self) -> None:
        """Edit booking policies, starting at the highlighted resource's own."""
        self.app.push_screen(PolicyModal(self.table.current))

    def action_import_csv(self) -> None:
        """Import resources from a CSV file."""
        self.app.push_screen(ImportModal())

    def action_export_csv(self) -> None:
        """Write every resource to a CSV file."""
        self.app.push_screen(ExportModal())

    def action_expire(self) -> None:
        """Run expiry now."""
        self.call_backend("expire", self._expire)

    def _expire(self, backend: Backend) -> messages.ExpiryDone:
        report = backend.expire()
        self.reserver.post_message(messages.ExpiryDone(report))
        return messages.ExpiryDone(report)

    def on_expiry_done(self, event: messages.ExpiryDone) -> None:
        report = event.report
        if report is not None:
            self.notify(
                f"{counted(report.expired_count, 'reservation')} expired, "
                f"{counted(report.maintenance_reset_count, 'resource')} back from maintenance",
                title="Expiry ran",
            )
