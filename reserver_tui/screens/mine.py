"""My reservations: upcoming, past and cancelled, a series' dates together under one row;
move one, edit its note, cancel it (or its series) with a reason, see its history, retime a
series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, TabbedContent, TabPane

from reserver_core import display, schemas
from reserver_core.backend import Backend
from reserver_core.display import (
    counted,
    format_duration,
    format_time,
    format_window,
    holder_name,
)
from reserver_core.schemas import ReservationInfo, SeriesInfo
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverScreen
from reserver_tui.screens.book import MoveModal, NoteModal
from reserver_tui.screens.confirm import Confirmed, ConfirmModal
from reserver_tui.screens.history import HistoryModal
from reserver_tui.screens.series import (
    CancelOccurrenceModal,
    RetimeModal,
    SeriesCancel,
    SeriesModal,
    series_place,
    still_to_come,
)
from reserver_tui.widgets.keyed_table import KeyedTable

TABS = (("upcoming", "Upcoming"), ("past", "Past"), ("cancelled", "Cancelled"))
SERIES_ROW = "series-"
"""The key of a series' own row starts so; its dates' rows are keyed by reservation id."""


def tab_of(reservation: ReservationInfo, now: datetime) -> str:
    """Which tab a reservation belongs on."""
    if reservation.status == "cancelled":
        return "cancelled"
    if reservation.status in schemas.HOLDING_STATUSES and reservation.end_time > now:
        return "upcoming"
    return "past"


def grouped(reservations: Sequence[ReservationInfo]) -> list[list[ReservationInfo]]:
    """`reservations` in their order as groups: a booking alone, or every date of a series
    together where its first one is."""
    groups: list[list[ReservationInfo]] = []
    of_series: dict[int, list[ReservationInfo]] = {}
    for reservation in reservations:
        if reservation.series_id is None:
            groups.append([reservation])
        elif reservation.series_id in of_series:
            of_series[reservation.series_id].append(reservation)
        else:
            of_series[reservation.series_id] = [reservation]
            groups.append(of_series[reservation.series_id])
    return groups


class MyReservationsScreen(ReserverScreen):
    """Your reservations in three tabs; `m` moves, `e` edits the note, `c` cancels, Enter or
    `h` shows the history. A series shows as one row that Enter opens to its dates; `c` on
    one of them asks which dates to cancel, `t` retimes the series, `h` shows it whole."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "move", "Move…", tooltip="Move the highlighted reservation to another time"),
        Binding("e", "edit_note", "Note…", tooltip="Edit the highlighted reservation's note"),
        Binding("c", "cancel", "Cancel booking", tooltip="Cancel the highlighted reservation"),
        Binding(
            "c",
            "cancel_series",
            "Cancel series…",
            tooltip="Cancel every date to come of the highlighted series",
        ),
        Binding("h", "history", "History", tooltip="What happened to this reservation"),
        # On a series' own row the footer has room (moving and notes are for its dates);
        # on one of its dates the key works unlisted.
        Binding(
            "t",
            "retime(True)",
            "Retime series…",
            tooltip="Move every future date of the highlighted series to another time of day",
        ),
        Binding("t", "retime(False)", show=False),
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
        self._series: dict[int, SeriesInfo] = {}
        self._loaded: messages.ReservationsLoaded | None = None
        self._open: set[tuple[str, int]] = set()
        """The (tab, series id) whose dates that tab lists under the series' row."""
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
                reservations = backend.all_reservations(include_cancelled=True)
            else:
                reservations = backend.my_reservations(include_cancelled=True)
            # Most people hold no series: then there is nothing more to ask for.
            series = (
                backend.list_series(everyone)
                if any(r.series_id is not None for r in reservations)
                else []
            )
            return messages.ReservationsLoaded(reservations, series)

        self.call_backend("reservations", read)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "everyone":
            return self.reserver.is_admin and parameters != (self.everyone,)
        on_series_row = self._on_series_row()
        if action in ("move", "edit_note", "cancel"):
            return not on_series_row
        if action == "cancel_series":
            return on_series_row
        if action == "retime":
            return parameters == (on_series_row,) and self._current_series() is not None
        return True

    def action_everyone(self, everyone: bool) -> None:
        """Admin: show everybody's reservations, or only your own."""
        self.everyone = everyone
        self.title = "reserver · everyone's reservations" if everyone else None
        self.notify("Showing everyone's reservations" if everyone else "Showing yours")
        self.refresh_bindings()
        self.reload()

    def on_reservations_loaded(self, event: messages.ReservationsLoaded) -> None:
        self._loaded = event
        self._reservations = {str(r.id): r for r in event.reservations}
        self._series = {series.id: series for series in event.series}
        self._fill()

    def _fill(self) -> None:
        """Show the reservations read last in their tabs, each series' dates together."""
        event = self._loaded
        if event is None:
            return
        now = self.reserver.now()
        upcoming = sorted(
            (r for r in event.reservations if tab_of(r, now) == "upcoming"),
            key=lambda r: r.start_time,
        )
        others = [r for r in event.reservations if tab_of(r, now) != "upcoming"]
        in_tab: dict[str, list[ReservationInfo]] = {key: [] for key, _ in TABS}
        for reservation in [*upcoming, *others]:
            in_tab[tab_of(reservation, now)].append(reservation)
        for key, title in TABS:
            rows: dict[str, tuple[str, ...]] = {}
            for group in grouped(in_tab[key]):
                series_id = group[0].series_id
                series = self._series.get(series_id) if series_id is not None else None
                if series is None:
                    rows.update((str(r.id), self._cells(r, key)) for r in group)
                    continue
                group.sort(key=lambda r: r.start_time)
                rows[f"{SERIES_ROW}{series.id}"] = self._series_cells(series, group, key)
                if (key, series.id) in self._open:
                    for number, reservation in enumerate(group, 1):
                        branch = "└" if number == len(group) else "├"
                        rows[str(reservation.id)] = self._cells(reservation, key, series, branch)
            self.query_one(f"#table-{key}", KeyedTable).set_rows(rows)
            tab_widget = self.query_one(TabbedContent).get_tab(f"tab-{key}")
            tab_widget.label = f"{title} ({len(in_tab[key])})"
        self.refresh_bindings()

    def _cells(
        self,
        reservation: ReservationInfo,
        tab: str,
        series: SeriesInfo | None = None,
        branch: str = "",
    ) -> tuple[str, ...]:
        """One reservation's row; a series' date, under the series' row (on a `branch` of
        it), says which of the series' dates it is."""
        tz = self.reserver.tz
        now = self.reserver.now()
        window = format_window(reservation.start_time, reservation.end_time, tz, now=now)
        if series is not None:
            window = f"{branch} {series_place(series, reservation)}  {window}"
        if tab == "cancelled":
            cancelled = (
                format_time(reservation.cancelled_at, tz, now=now)
                if reservation.cancelled_at
                else ""
            )
            return (
                str(reservation.id),
                window,
                reservation.resource.name,
                cancelled,
                reservation.cancellation_reason or "",
                holder_name(reservation),
                reservation.note,
            )
        status = display.status_label(reservation, tz, now=now)
        if tab == "upcoming" and reservation.start_time <= now:
            status = "in progress"
        return (
            str(reservation.id),
            window,
            reservation.resource.name,
            format_duration(reservation.end_time - reservation.start_time),
            status,
            holder_name(reservation),
            reservation.note,
        )

    def _series_cells(
        self, series: SeriesInfo, dates: list[ReservationInfo], tab: str
    ) -> tuple[str, ...]:
        """A series' own row: its rule, marked open or closed, and how many of its dates
        the tab holds (cancelled ones: with their reason, when they share one)."""
        mark = "▾" if (tab, series.id) in self._open else "▸"
        rule = f"{mark} {series.rule_text}"
        many = counted(len(dates), "date")
        if tab == "cancelled":
            reasons = {r.cancellation_reason or "" for r in dates}
            return (
                f"S{series.id}",
                rule,
                series.resource.name,
                many,
                reasons.pop() if len(reasons) == 1 else "",
                series.username,
                series.note,
            )
        length = format_duration(dates[0].end_time - dates[0].start_time)
        return (
            f"S{series.id}",
            rule,
            series.resource.name,
            length,
            many,
            series.username,
            series.note,
        )

    @property
    def _tab(self) -> str:
        """The key of the tab on show."""
        return (self.query_one(TabbedContent).active or "tab-upcoming").removeprefix("tab-")

    @property
    def _table(self) -> KeyedTable:
        return self.query_one(f"#table-{self._tab}", KeyedTable)

    def _current(self) -> ReservationInfo | None:
        key = self._table.current_key
        return self._reservations.get(key) if key else None

    def _current_series(self) -> SeriesInfo | None:
        """The series of the highlighted row: the series' own row or one of its dates."""
        key = self._table.current_key
        if key is None:
            return None
        if key.startswith(SERIES_ROW):
            return self._series.get(int(key.removeprefix(SERIES_ROW)))
        reservation = self._reservations.get(key)
        return self._series_of(reservation) if reservation is not None else None

    def _series_of(self, reservation: ReservationInfo) -> SeriesInfo | None:
        """The series `reservation` is a date of, when it is one and the series was read."""
        if reservation.series_id is None:
            return None
        return self._series.get(reservation.series_id)

    def _on_series_row(self) -> bool:
        key = self._table.current_key
        return key is not None and key.startswith(SERIES_ROW)

    @on(KeyedTable.RowHighlighted)
    @on(TabbedContent.TabActivated)
    def _highlighted(self) -> None:
        self.refresh_bindings()

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
        """Cancel the highlighted reservation after confirming, with an optional reason; on a
        series' date, ask which of the series' dates."""
        reservation = self._current()
        if reservation is None:
            return
        if reservation.status == "offered":
            self.notify("Accept or decline an offer in the inbox (F6).", severity="warning")
            return
        # A request awaiting approval is withdrawn by cancelling it.
        held = reservation.status in ("active", "pending")
        if not held or reservation.end_time <= self.reserver.now():
            self.notify("Only an upcoming reservation can be cancelled.", severity="warning")
            return
        window = format_window(
            reservation.start_time, reservation.end_time, self.reserver.tz, now=self.reserver.now()
        )

        series = self._series_of(reservation)
        if series is not None:
            self.app.push_screen(
                CancelOccurrenceModal(reservation, series),
                lambda answer: self._cancel_in_series(reservation, series, answer),
            )
            return

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

    def _cancel_in_series(
        self, reservation: ReservationInfo, series: SeriesInfo, answer: object
    ) -> None:
        """Cancel what the series' cancel dialog chose: this date, it and later, or all."""
        if not isinstance(answer, SeriesCancel):
            return
        reason = answer.reason
        if answer.scope == "one":
            self.call_backend(
                "cancel",
                lambda backend: messages.Cancelled(backend.cancel(reservation.id, reason)),
                changes_data=True,
            )
            return
        since = reservation.start_time if answer.scope == "later" else None
        self._cancel_series(series, since, reason)

    def action_cancel_series(self) -> None:
        """Cancel every date to come of the highlighted series, after confirming, with an
        optional reason."""
        series = self._current_series()
        if series is None:
            return
        coming = len(still_to_come(series, self.reserver.now()))

        def answered(answer: object) -> None:
            if isinstance(answer, Confirmed):
                self._cancel_series(series, None, answer.reason)

        self.app.push_screen(
            ConfirmModal(
                "Cancel series",
                f"Cancel series {series.id}, [b]{literal(series.resource.name)}[/b] "
                f"{literal(series.rule_text)}: its {counted(coming, 'date')} to come?",
                yes="Cancel series",
                ask_reason=True,
            ),
            answered,
        )

    def _cancel_series(
        self, series: SeriesInfo, since: datetime | None, reason: str | None
    ) -> None:
        series_id = series.id
        now = self.reserver.now()
        before = {r.id for r in still_to_come(series, now)}

        def cancel(backend: Backend) -> messages.SeriesCancelled:
            after = backend.cancel_series(series_id, from_time=since, reason=reason)
            left = {r.id for r in still_to_come(after, now)}
            return messages.SeriesCancelled(after, len(before - left), since)

        self.call_backend("cancel", cancel, changes_data=True)

    def on_series_cancelled(self, event: messages.SeriesCancelled) -> None:
        series = event.series
        tz, now = self.reserver.tz, self.reserver.now()
        which = (
            "the whole series"
            if event.since is None
            else f"from {format_time(event.since, tz, now=now)} on"
        )
        self.notify(
            f"{series.resource.name}: {counted(event.count, 'date')} of series {series.id} "
            f"({which})",
            title="Cancelled",
        )

    def on_cancelled(self, event: messages.Cancelled) -> None:
        reservation = event.reservation
        window = format_window(
            reservation.start_time, reservation.end_time, self.reserver.tz, now=self.reserver.now()
        )
        self.notify(f"{reservation.resource.name}, {window}", title="Cancelled")

    @on(KeyedTable.RowSelected)
    def _selected(self) -> None:
        """Enter: a series' row opens (or closes) to its dates; a reservation's history."""
        series = self._current_series() if self._on_series_row() else None
        if series is None:
            self.action_history()
            return
        self._open.symmetric_difference_update({(self._tab, series.id)})
        self._fill()

    def action_history(self) -> None:
        """Show the highlighted reservation's history, or the series on a series' row."""
        if self._on_series_row():
            series = self._current_series()
            if series is not None:
                self.app.push_screen(SeriesModal(series))
            return
        reservation = self._current()
        if reservation is not None:
            self.app.push_screen(HistoryModal(reservation, self._series_of(reservation)))

    def action_retime(self, on_series_row: bool) -> None:
        """Move every future date of the highlighted series to another time of day (from
        the series' own row or one of its dates)."""
        series = self._current_series()
        if series is not None:
            self.app.push_screen(RetimeModal(series))

    def action_reload(self) -> None:
        """Read the reservations again."""
        self.reload()
