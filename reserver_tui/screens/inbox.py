"""The inbox: what happened to your bookings and requests, newest first; mark notices read,
open the booking one is about, accept or decline a waitlist offer."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, Static

from reserver_core.backend import Backend
from reserver_core.display import (
    NOTICE_KIND_LABELS,
    counted,
    deadline_text,
    format_time,
    format_window,
    notice_text,
)
from reserver_core.schemas import Notice
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverScreen
from reserver_tui.screens.confirm import Confirmed, ConfirmModal
from reserver_tui.screens.history import HistoryModal
from reserver_tui.widgets.keyed_table import Cell, KeyedTable

COLUMNS = ("", "When", "About", "Answer by", "What")
"""The list's columns; the notice's text, last, is cut to the width left (the pane under
the list shows it whole)."""
MIN_TEXT = 24
"""The fewest characters of a notice's text a row shows, however narrow the terminal."""


def read_inbox(backend: Backend) -> messages.InboxLoaded:
    """The notices, and which offers and requests among them are still to be answered."""
    notices = backend.inbox()
    kinds = {notice.kind for notice in notices}
    offers = (
        {
            entry.offer.id
            for entry in backend.waitlist()
            if entry.status == "offered" and entry.offer is not None
        }
        if "offer" in kinds
        else set()
    )
    requests = {r.id for r in backend.pending_requests()} if "request" in kinds else set()
    return messages.InboxLoaded(notices, offers, requests)


def short(text: str, width: int) -> str:
    """`text` cut to `width` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class InboxScreen(ReserverScreen):
    """Your notices, newest first, the unread ones marked; `m` marks one read, `M` all, Enter
    opens the booking a notice is about, `a` / `d` accept or decline an offer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open", "Open", tooltip="The booking the notice is about (also Enter)"),
        Binding("a", "accept", "Accept offer", tooltip="Take the slot the waitlist offers you"),
        Binding("d", "decline", "Decline offer…", tooltip="Let the offer go to the next in line"),
        Binding("m", "mark_read", "Mark read", tooltip="Mark the highlighted notice read"),
        Binding("M", "mark_all_read", "All read", tooltip="Mark every notice read"),
        Binding("r", "reload", "Refresh", show=False, tooltip="Read the inbox again"),
    ]
    AUTO_FOCUS = "#notices"

    def __init__(self) -> None:
        super().__init__()
        self._notices: dict[str, Notice] = {}
        self._open: set[int] = set()
        """The offers and requests, by reservation id, that still await an answer."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield KeyedTable(list(COLUMNS), id="notices")
        yield Static(id="notice-pane")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "reserver · inbox"
        self.query_one(KeyedTable).loading = True
        if self.reserver.backend is not None:
            self.reload()

    def reload(self) -> None:
        super().reload()
        self.call_backend("inbox", read_inbox)

    def on_inbox_loaded(self, event: messages.InboxLoaded) -> None:
        self._notices = {str(notice.id): notice for notice in event.notices}
        self._open = event.open_offers | event.open_requests
        self._fill()
        table = self.query_one(KeyedTable)
        table.loading = False
        self._show_notice()

    def on_resize(self) -> None:
        self._fill()

    def _fill(self) -> None:
        """List the notices read last, each one's text cut to the room the table has left."""
        tz, now = self.reserver.tz, self.reserver.now()
        cells: dict[str, tuple[str, ...]] = {
            key: (
                "●" if notice.read_at is None else "",
                # Today's as a time of day: the notice's text needs the room.
                deadline_text(notice.created_at, tz, now=now),
                NOTICE_KIND_LABELS.get(notice.kind, notice.kind),
                self._deadline(notice, now),
                notice_text(notice, tz, now=now),
            )
            for key, notice in self._notices.items()
        }
        table = self.query_one(KeyedTable)
        # Each column is as wide as its widest cell plus a cell's padding on either side,
        # and the table keeps room for its vertical scrollbar.
        widths = [
            max([len(COLUMNS[i]), *(len(row[i]) for row in cells.values())]) + 2 for i in range(4)
        ]
        # The table spans the screen, which has its size from the start (the table not yet).
        width = max(MIN_TEXT, self.app.size.width - sum(widths) - 2 - 2)
        # Styled as spans, not as the cell's base style: a table compares cells by their
        # text and spans, and would keep a notice bold once it was read.
        rows: dict[str, tuple[Cell, ...]] = {}
        for key, (marker, when, about, deadline, text) in cells.items():
            style = "bold" if self._notices[key].read_at is None else "dim"
            rows[key] = (
                Text.styled(marker, "bold yellow"),
                Text.styled(when, style),
                Text.styled(about, style),
                deadline,
                Text.styled(short(text, width), style),
            )
        table.set_rows(rows)

    def _awaits_answer(self, notice: Notice) -> bool:
        """Whether the offer or request `notice` tells of is still to be answered."""
        return notice.deadline is not None and notice.reservation_id in self._open

    def _deadline(self, notice: Notice, now: datetime) -> str:
        if not self._awaits_answer(notice):
            return ""
        assert notice.deadline is not None
        return deadline_text(notice.deadline, self.reserver.tz, now=now)

    def _current(self) -> Notice | None:
        key = self.query_one(KeyedTable).current_key
        return self._notices.get(key) if key else None

    @on(KeyedTable.RowHighlighted)
    def _show_notice(self) -> None:
        """The highlighted notice in full under the list, with what can be done with it."""
        self.refresh_bindings()
        pane = self.query_one("#notice-pane", Static)
        notice = self._current()
        if notice is None:
            pane.update(
                "Your inbox is empty. What happens to your bookings comes here: a cancel or a "
                "move by someone else, maintenance, a decision on a request, a waitlist offer."
            )
            return
        tz, now = self.reserver.tz, self.reserver.now()
        head = [
            f"[b]{NOTICE_KIND_LABELS.get(notice.kind, notice.kind)}[/b]",
            format_time(notice.created_at, tz, now=now),
        ]
        if self._awaits_answer(notice):
            assert notice.deadline is not None
            head.append(f"answer by {format_time(notice.deadline, tz, now=now)}")
        elif notice.kind == "offer":
            head.append("answered or lapsed")
        elif notice.kind == "request":
            head.append("decided or lapsed")
        if notice.read_at is None:
            head.append("unread")
        keys = []
        if self._is_offer(notice):
            keys += ["[b]a[/b] accept", "[b]d[/b] decline"]
        if notice.kind == "request" and self._awaits_answer(notice):
            keys.append(f"[b]Enter[/b] decide request #{notice.reservation_id}")
        elif self._can_open(notice):
            keys.append(f"[b]Enter[/b] opens booking #{notice.reservation_id}")
        lines = [" · ".join(head), literal(notice_text(notice, tz, now=now))]
        if keys:
            lines.append(f"[dim]{' · '.join(keys)}[/dim]")
        pane.update("\n".join(lines))

    def _can_open(self, notice: Notice | None) -> bool:
        """Whether `notice` is about something to open: a request still to decide, or a
        booking the reader may see (a request decided is its holder's, and an admin's, to
        see)."""
        if notice is None or notice.reservation_id is None:
            return False
        return notice.kind != "request" or self._awaits_answer(notice) or self.reserver.is_admin

    def _is_offer(self, notice: Notice | None) -> bool:
        """Whether `notice` is an offer that may still be answered."""
        return notice is not None and notice.kind == "offer" and self._awaits_answer(notice)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        notice = self._current()
        if action in ("accept", "decline"):
            return self._is_offer(notice)
        if action == "open":
            return self._can_open(notice)
        if action == "mark_read":
            # Shown greyed when it has nothing to do, so the footer does not jump.
            return None if notice is None or notice.read_at is not None else True
        if action == "mark_all_read":
            return True if any(n.read_at is None for n in self._notices.values()) else None
        return True

    # -- reading -----------------------------------------------------------------------------
    def action_mark_read(self) -> None:
        """Mark the highlighted notice read."""
        notice = self._current()
        if notice is None or notice.read_at is not None:
            return
        notice_id = notice.id
        self.call_backend(
            "mark-read",
            lambda backend: messages.NoticesMarked(backend.mark_read([notice_id]), every=False),
            changes_data=True,
        )

    def action_mark_all_read(self) -> None:
        """Mark every notice read."""
        self.call_backend(
            "mark-read",
            lambda backend: messages.NoticesMarked(backend.mark_read(), every=True),
            changes_data=True,
        )

    def on_notices_marked(self, event: messages.NoticesMarked) -> None:
        if event.every:
            self.notify(f"{counted(event.count, 'notice')} marked read", title="Inbox")

    # -- what a notice is about ----------------------------------------------------------------
    @on(KeyedTable.RowSelected)
    def action_open(self) -> None:
        """Open what the highlighted notice is about: a request still to decide on the
        approvals screen, else the booking's history; the notice counts as read."""
        notice = self._current()
        if notice is None or notice.reservation_id is None or not self._can_open(notice):
            return
        notice_id, reservation_id = notice.id, notice.reservation_id
        unread = notice.read_at is None
        if notice.kind == "request" and self._awaits_answer(notice):
            if unread:
                self.action_mark_read()
            self.reserver.show_request(reservation_id)
            return

        def read(backend: Backend) -> messages.ReservationFound:
            reservation = backend.get_reservation(reservation_id)
            if unread:
                backend.mark_read([notice_id])
            return messages.ReservationFound(reservation)

        self.call_backend("open", read, changes_data=unread)

    def on_reservation_found(self, event: messages.ReservationFound) -> None:
        if self.is_current:
            self.app.push_screen(HistoryModal(event.reservation))

    # -- offers --------------------------------------------------------------------------------
    def action_accept(self) -> None:
        """Take the offered slot: the reservation becomes yours (active)."""
        notice = self._current()
        if not self._is_offer(notice):
            return
        assert notice is not None and notice.reservation_id is not None
        self._answer(notice, accept=True)

    def action_decline(self) -> None:
        """Decline the offer after confirming: the slot goes to the next in line."""
        notice = self._current()
        if not self._is_offer(notice):
            return
        assert notice is not None

        def answered(answer: object) -> None:
            if isinstance(answer, Confirmed):
                self._answer(notice, accept=False)

        self.app.push_screen(
            ConfirmModal(
                "Decline offer",
                f"Decline the offer of reservation #{notice.reservation_id}? "
                "The slot goes to the next in line.",
                yes="Decline",
            ),
            answered,
        )

    def _answer(self, notice: Notice, *, accept: bool) -> None:
        notice_id, reservation_id = notice.id, notice.reservation_id
        assert reservation_id is not None
        unread = notice.read_at is None

        def answer(backend: Backend) -> messages.OfferAnswered:
            if accept:
                reservation = backend.accept_offer(reservation_id)
            else:
                reservation = backend.decline_offer(reservation_id)
            if unread:
                backend.mark_read([notice_id])
            return messages.OfferAnswered(reservation)

        self.call_backend("offer", answer, changes_data=True)

    def on_offer_answered(self, event: messages.OfferAnswered) -> None:
        reservation = event.reservation
        window = format_window(
            reservation.start_time, reservation.end_time, self.reserver.tz, now=self.reserver.now()
        )
        where = f"{reservation.resource.name}, {window}"
        if reservation.status == "active":
            self.notify(f"{where} is booked for you (#{reservation.id})", title="Offer accepted")
        else:
            self.notify(f"{where} goes to the next in line", title="Offer declined")

    def action_reload(self) -> None:
        """Read the inbox again, and the header's unread count with it."""
        self.reload()
        self.reserver.count_unread()
