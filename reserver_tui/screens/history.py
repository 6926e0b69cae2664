"""The history of one reservation: who did what, when (and the series it belongs to)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, Static

from reserver_core.display import describe_event, format_time, format_window, holder_name
from reserver_core.schemas import ReservationInfo, SeriesInfo
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverModal
from reserver_tui.screens.series import series_line, series_place
from reserver_tui.widgets.keyed_table import KeyedTable


class HistoryModal(ReserverModal):
    """A reservation's events, newest first; a series' date also names its series."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,h", "close", "Close")]

    def __init__(self, reservation: ReservationInfo, series: SeriesInfo | None = None) -> None:
        super().__init__()
        self.reservation = reservation
        self.series = series

    def compose_dialog(self) -> ComposeResult:
        reservation = self.reservation
        window = format_window(
            reservation.start_time, reservation.end_time, self.reserver.tz, now=self.reserver.now()
        )
        summary = (
            f"[b]{literal(reservation.resource.name)}[/b]  {window}  ·  {reservation.status}"
            f"  ·  held by {literal(holder_name(reservation))}"
        )
        if self.series is not None:
            place = series_place(self.series, reservation)
            summary += f"\nDate {place} of {series_line(self.series, self.reserver.now())}"
        if reservation.note:
            summary += f"\nNote: {literal(reservation.note)}"
        with Vertical(id="dialog", classes="dialog -wide"):
            yield Label(f"History of reservation #{reservation.id}", classes="dialog-title")
            yield Static(summary, id="history-summary")
            yield KeyedTable(["When", "What", "Who", "Details"], id="events")
            yield Static("[dim]Esc to close[/dim]", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(KeyedTable)
        table.loading = True
        table.focus()
        reservation_id = self.reservation.id
        self.call_backend(
            "history", lambda backend: messages.HistoryLoaded(backend.history(reservation_id))
        )

    def on_history_loaded(self, event: messages.HistoryLoaded) -> None:
        tz = self.reserver.tz
        now = self.reserver.now()
        table = self.query_one(KeyedTable)
        table.set_rows(
            {
                str(item.id): (
                    format_time(item.timestamp, tz, now=now),
                    item.action,
                    item.actor,
                    describe_event(item, self.reservation, tz, now=now),
                )
                for item in event.events
            }
        )
        table.loading = False
