"""Status: counts by status, the store in use and its health, the expiry timer."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.widgets import Footer, Header, Static

from reserver_core.backend import Backend
from reserver_core.display import format_time
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverScreen


def _read_status(backend: Backend) -> messages.StatusLoaded:
    """Summary counts, health and the store's description."""
    return messages.StatusLoaded(backend.summary(), backend.health(), backend.describe_store())


class StatusScreen(ReserverScreen):
    """A dashboard of the store."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reload", "Refresh", tooltip="Read the status again"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Grid(id="status-grid"):
            # Short titles: an 80-column terminal leaves each card 13 cells for one.
            for key, title in (
                ("total", "Resources"),
                ("available", "Available"),
                ("in-use", "In use"),
                ("unavailable", "Unavailable"),
            ):
                card = Static("…", id=f"count-{key}", classes="count-card")
                card.border_title = title
                yield card
        yield Static(id="store-panel", classes="panel")
        yield Static(id="expiry-panel", classes="panel")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.reserver.backend is not None:
            self.reload()

    def reload(self) -> None:
        super().reload()
        self.call_backend("status", _read_status)

    def action_reload(self) -> None:
        """Read the status again."""
        self.reload()

    def on_status_loaded(self, event: messages.StatusLoaded) -> None:
        summary = event.summary
        for key, value in (
            ("total", summary.total_resources),
            ("available", summary.available_now),
            ("in-use", summary.currently_in_use),
            ("unavailable", summary.unavailable_now),
        ):
            self.query_one(f"#count-{key}", Static).update(f"[b]{value:,}[/b]")
        app = self.reserver
        health = event.health
        kind = "server" if app.remote else "local database"
        healthy = "[green]ok[/green]" if health.status == "ok" else f"[red]{health.status}[/red]"
        user = app.user.username if app.user else "not logged in"
        role = f" ({app.user.role})" if app.user else ""
        self.query_one("#store-panel", Static).update(
            f"[b]Store[/b]  {literal(event.store)}  ({kind})\n"
            f"[b]Health[/b] {healthy}, database {health.database}\n"
            f"[b]User[/b]   {user}{role}   ·   [b]Time zone[/b] {app.tz.key}"
        )
        expiry = health.background_tasks.get("expiry", {})
        last = _moment(expiry.get("last_run"))
        following = _moment(expiry.get("next_run"))
        tz = app.tz
        now = app.now()
        lines = ["[b]Expiry[/b] marks finished bookings expired and ends elapsed maintenance."]
        lines.append(f"  Last run: {format_time(last, tz, now=now) if last else 'not yet'}")
        if expiry.get("last_expired_count") is not None:
            lines[-1] += f"  ({expiry['last_expired_count']} expired)"
        lines.append(
            f"  Next run: {format_time(following, tz, now=now) if following else 'not scheduled'}"
        )
        if expiry.get("last_error"):
            lines.append(f"  [red]Last error: {literal(str(expiry['last_error']))}[/red]")
        self.query_one("#expiry-panel", Static).update("\n".join(lines))


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None
