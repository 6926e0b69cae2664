"""My reservations: upcoming, past and cancelled; move one, edit its note, cancel it with a
reason, see its history."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, TabbedContent, TabPane

from reserver_core.backend import Backend
from reserver_core.display import format_duration, format_time, format_window, holder_name
from reserver_core.schemas import ReservationInfo
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverScreen
from reserver_tui.screens.book import MoveModal, NoteModal
from reserver_tui.screens.confirm import Confirmed, ConfirmModal
from reserver_tui.screens.history import HistoryModal
from reserver_tui.widgets.keyed_table import KeyedTable

TABS = (("upcoming", "Upcoming"), ("past", "Past"), ("cancelled", "Cancelled"))


def tab_of(reservation: ReservationInfo, now: datetime) -> str:
    """Which tab a reservation belongs on."""
    if reservation.status == "cancelled":
        return "cancelled"
    if reservation.status == "active" and reservation.end_time > now:
        return "upcoming"
    return "past"


class MyReservationsScreen(ReserverScreen):
    """Your reservations in three tabs; `m` moves, `e` edits the note, `c` cancels, Enter or
    `h` shows the history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "move", "Move…", tooltip="Move the highlighted reservation to another time"),
        Binding("e", "edit_note", "Note…", tooltip="Edit the highlighted reservation's note"),
        Binding("c", "cancel", "Cancel booking", tooltip="Cancel the highlighted reservation"),
        Binding("h", "history", "History", tooltip="What happened to this reservation"),
        Binding("1", "tab('upcoming')", "Upcoming", show=False),
        Binding("2", "tab('past')", "Past", show=False),
        Binding("3", "tab('cancelled')", "Cancelled", show=False),
        # One key, two labels: the footer offers the view that is not showing.
        Binding(
            "a", "everyone(True)", "Everyone's", tooltip="Admin: show every user's reservations"
        ),
        Binding("a", "everyone(False)", "Only mine", tooltip="Admin: show your reservations only"),
        Binding("r", "reload", "Refresh", show=False, tooltip="Read your reservations again"),
    ]

    # The table, not the tab strip: arrows and j/k should move through the reservations.
    AUTO_FOCUS = "#table-upcoming"

    def __init__(self) -> None:
        super().__init__()
        self._reservations: dict[str, ReservationInfo] = {}
        self.everyone = False

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="tabs"):
            for key, title in TABS:
                with TabPane(title, id=f"tab-{key}"):
                    # The id first: the CLI (reserver cancel 12, history 12) takes it.
                    columns = ["ID", "When", "Resource", "Length", "Status", "Who", "Note"]
                    if key == "cancelled":
                        columns = ["ID", "When", "Resource", "Cancelled", "Reason", "Who", "Note"]
                    yield KeyedTable(columns, id=f"table-{key}")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.reserver.backend is not None:
            self.reload()

    def reload(self) -> None:
        super().reload()
        everyone = self.everyone and self.reserver.is_admin

        def read(backend: Backend) -> messages.ReservationsLoaded:
            if everyone:
                return messages.ReservationsLoaded(backend.all_reservations(include_cancelled=True))
            return messages.ReservationsLoaded(backend.my_reservations(include_cancelled=True))

        self.call_backend("reservations", read)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "everyone":
            return self.reserver.is_admin and parameters != (self.everyone,)
        return True

    def action_everyone(self, everyone: bool) -> None:
        """Admin: show everybody's reservations, or only your own."""
        self.everyone = everyone
        self.title = "reserver · everyone's reservations" if everyone else None
        self.notify("Showing everyone's reservations" if everyone else "Showing yours")
        self.refresh_bindings()
        self.reload()

    def on_reservations_loaded(self, event: messages.ReservationsLoaded) -> None:
        tz = self.reserver.tz
        now = self.reserver.now()
        self._reservations = {str(r.id): r for r in event.reservations}
        groups: dict[str, dict[str, tuple[str, ...]]] = {key: {} for key, _ in TABS}
        upcoming = sorted(
            (r for r in event.reservations if tab_of(r, now) == "upcoming"),
            key=lambda r: r.start_time,
        )
        others = [r for r in event.reservations if tab_of(r, now) != "upcoming"]
        for reservation in [*upcoming, *others]:
            tab = tab_of(reservation, now)
            window = format_window(reservation.start_time, reservation.end_time, tz, now=now)
            if tab == "cancelled":
                cancelled = (
                    format_time(reservation.cancelled_at, tz, now=now)
                    if reservation.cancelled_at
                    else ""
                )
                cells: tuple[str, ...] = (
                    str(reservation.id),
                    window,
                    reservation.resource.name,
                    cancelled,
                    reservation.cancellation_reason or "",
                    holder_name(reservation),
                    reservation.note,
                )
            else:
                status: str = reservation.status
                if tab == "upcoming" and reservation.start_time <= now:
                    status = "in progress"
                cells = (
                    str(reservation.id),
                    window,
                    reservation.resource.name,
                    format_duration(reservation.end_time - reservation.start_time),
                    status,
                    holder_name(reservation),
                    reservation.note,
                )
            groups[tab][str(reservation.id)] = cells
        for key, title in TABS:
            self.query_one(f"#table-{key}", KeyedTable).set_rows(groups[key])
            tab_widget = self.query_one(TabbedContent).get_tab(f"tab-{key}")
            tab_widget.label = f"{title} ({len(groups[key])})"

    @property
    def _table(self) -> KeyedTable:
        active = self.query_one(TabbedContent).active or "tab-upcoming"
        return self.query_one(f"#table-{active.removeprefix('tab-')}", KeyedTable)

    def _current(self) -> ReservationInfo | None:
        key = self._table.current_key
        return self._reservations.get(key) if key else None

    def action_tab(self, key: str) -> None:
        """Show one of the tabs."""
        self.query_one(TabbedContent).active = f"tab-{key}"
        self._table.focus()

    def action_move(self) -> None:
        """Move the highlighted reservation: the booking form on its current window."""
        reservation = self._current()
        if reservation is None:
            return
        if reservation.status != "active" or reservation.end_time <= self.reserver.now():
            self.notify("Only an upcoming reservation can be moved.", severity="warning")
            return
        self.app.push_screen(MoveModal(reservation), self.announce("Moved"))

    def action_edit_note(self) -> None:
        """Edit the highlighted reservation's note."""
        reservation = self._current()
        if reservation is not None:
            self.app.push_screen(NoteModal(reservation), self._noted)

    def _noted(self, reservation: object) -> None:
        if isinstance(reservation, ReservationInfo):
            said = reservation.note or "no note"
            self.notify(f"{reservation.resource.name}: {said}", title="Note saved")

    def action_cancel(self) -> None:
        """Cancel the highlighted reservation after confirming, with an optional reason."""
        reservation = self._current()
        if reservation is None:
            return
        if reservation.status != "active" or reservation.end_time <= self.reserver.now():
            self.notify("Only an upcoming reservation can be cancelled.", severity="warning")
            return
        window = format_window(
            reservation.start_time, reservation.end_time, self.reserver.tz, now=self.reserver.now()
        )

        def answered(answer: object) -> None:
            if isinstance(answer, Confirmed):
                reason = answer.reason
                self.call_backend(
                    "cancel",
                    lambda backend: messages.Cancelled(backend.cancel(reservation.id, reason)),
                    changes_data=True,
                )

        self.app.push_screen(
            ConfirmModal(
                "Cancel reservation",
                f"Cancel [b]{literal(reservation.resource.name)}[/b], {window}?",
                yes="Cancel booking",
                ask_reason=True,
            ),
            answered,
        )

    def on_cancelled(self, event: messages.Cancelled) -> None:
        reservation = event.reservation
        window = format_window(
            reservation.start_time, reservation.end_time, self.reserver.tz, now=self.reserver.now()
        )
        self.notify(f"{reservation.resource.name}, {window}", title="Cancelled")

    @on(KeyedTable.RowSelected)
    def action_history(self) -> None:
        """Show the highlighted reservation's history."""
        reservation = self._current()
        if reservation is not None:
            self.app.push_screen(HistoryModal(reservation))

    def action_reload(self) -> None:
        """Read the reservations again."""
        self.reload()
