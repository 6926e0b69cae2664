"""Approvals: the requests awaiting your decision (as an approver or an admin), soonest
first; approve one, or reject it with a reason."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header

from reserver_core.backend import Backend
from reserver_core.display import (
    counted,
    format_duration,
    format_time,
    format_window,
    holder_name,
)
from reserver_core.schemas import ReservationInfo
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverScreen
from reserver_tui.screens.confirm import Confirmed, ConfirmModal
from reserver_tui.widgets.info_line import InfoLine
from reserver_tui.widgets.keyed_table import KeyedTable


def decide(
    backend: Backend, reservation_id: int, *, reject: bool, reason: str | None
) -> ReservationInfo:
    """Approve or reject a request; the decider's notices asking for it count as read."""
    decided = backend.reject(reservation_id, reason) if reject else backend.approve(reservation_id)
    asking = [
        notice.id
        for notice in backend.inbox(unread_only=True)
        if notice.kind == "request" and notice.reservation_id == reservation_id
    ]
    if asking:
        backend.mark_read(asking)
    return decided


class ApprovalsScreen(ReserverScreen):
    """The requests you may decide; `a` approves the highlighted one, `x` rejects it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve", tooltip="Approve the highlighted request"),
        Binding("x", "reject", "Reject…", tooltip="Reject the highlighted request, with a reason"),
        Binding("r", "reload", "Refresh", tooltip="Read the requests again"),
    ]
    AUTO_FOCUS = "#requests"

    def __init__(self) -> None:
        super().__init__()
        self._requests: dict[str, ReservationInfo] = {}
        self._deciding: set[int] = set()
        """The requests whose decision was sent and is not answered yet."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield KeyedTable(
            ["ID", "When", "Resource", "Who", "Length", "Decide by", "Note"], id="requests"
        )
        yield InfoLine(id="approvals-info")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "reserver · requests to decide"
        self.query_one(KeyedTable).loading = True
        if self.reserver.backend is not None:
            self.reload()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        wanted = self.reserver.wanted_request
        if wanted is not None and str(wanted) not in self._requests:
            # Newer than this list, or decided meanwhile: a new reading says which.
            self.reload()
        else:
            self._go_to_wanted()

    def reload(self) -> None:
        super().reload()
        self.call_backend(
            "requests", lambda backend: messages.RequestsLoaded(backend.pending_requests())
        )

    def on_requests_loaded(self, event: messages.RequestsLoaded) -> None:
        tz, now = self.reserver.tz, self.reserver.now()
        self._requests = {str(r.id): r for r in event.requests}
        table = self.query_one(KeyedTable)
        table.set_rows(
            {
                str(r.id): (
                    str(r.id),
                    format_window(r.start_time, r.end_time, tz, now=now),
                    r.resource.name,
                    holder_name(r),
                    format_duration(r.end_time - r.start_time),
                    format_time(r.decide_by, tz, now=now) if r.decide_by else "",
                    r.note,
                )
                for r in event.requests
            }
        )
        table.loading = False
        self._go_to_wanted(read_now=True)
        self._show_info()

    def _go_to_wanted(self, *, read_now: bool = False) -> None:
        """Highlight the request the inbox asked to decide, once it is listed; say so when
        the requests `read_now` no longer hold it (someone decided it, or it lapsed)."""
        wanted = self.reserver.wanted_request
        table = self.query_one(KeyedTable)
        if wanted is None:
            return
        if str(wanted) in self._requests:
            self.reserver.wanted_request = None
            table.move_cursor(row=table.get_row_index(str(wanted)))
            table.focus()
        elif read_now:
            self.reserver.wanted_request = None
            self.notify(f"Request #{wanted} no longer awaits a decision.", severity="warning")

    def _current(self) -> ReservationInfo | None:
        key = self.query_one(KeyedTable).current_key
        return self._requests.get(key) if key else None

    @on(KeyedTable.RowHighlighted)
    def _show_info(self) -> None:
        self.refresh_bindings()
        info = self.query_one("#approvals-info", InfoLine)
        request = self._current()
        if request is None:
            info.text = "No requests await your decision."
            return
        tz, now = self.reserver.tz, self.reserver.now()
        window = format_window(request.start_time, request.end_time, tz, now=now)
        parts = [
            f"{counted(len(self._requests), 'request')} to decide",
            f"[b]{literal(holder_name(request))}[/b] asks for "
            f"[b]{literal(request.resource.name)}[/b], {window}",
        ]
        info.text = "  ·  ".join(parts)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "reject"):
            request = self._current()
            return None if request is None or request.id in self._deciding else True
        return True

    def action_approve(self) -> None:
        """Approve the highlighted request: it becomes an active booking."""
        request = self._current()
        if request is not None and request.id not in self._deciding:
            self._decide(request, reject=False, reason=None)

    def action_reject(self) -> None:
        """Reject the highlighted request after asking for a reason; its slot is released."""
        request = self._current()
        if request is None or request.id in self._deciding:
            return
        window = format_window(
            request.start_time, request.end_time, self.reserver.tz, now=self.reserver.now()
        )

        def answered(answer: object) -> None:
            if isinstance(answer, Confirmed):
                self._decide(request, reject=True, reason=answer.reason)

        self.app.push_screen(
            ConfirmModal(
                "Reject request",
                f"Reject request #{request.id}: [b]{literal(holder_name(request))}[/b] for "
                f"[b]{literal(request.resource.name)}[/b], {window}? They are told, with "
                "the reason; the slot goes to the waitlist.",
                yes="Reject",
                ask_reason=True,
                no="Back",
            ),
            answered,
        )

    def _decide(self, request: ReservationInfo, *, reject: bool, reason: str | None) -> None:
        request_id = request.id
        self._deciding.add(request_id)
        self.refresh_bindings()

        def send(backend: Backend) -> messages.RequestDecided:
            try:
                decided = decide(backend, request_id, reject=reject, reason=reason)
                return messages.RequestDecided(decided)
            finally:
                self.app.call_from_thread(self._answered, request_id)

        # Each decision its own group: deciding one does not drop the answer to another.
        self.call_backend(f"decide-{request_id}", send, changes_data=True)

    def _answered(self, request_id: int) -> None:
        self._deciding.discard(request_id)
        self.refresh_bindings()

    def on_request_decided(self, event: messages.RequestDecided) -> None:
        request = event.reservation
        window = format_window(
            request.start_time, request.end_time, self.reserver.tz, now=self.reserver.now()
        )
        what = f"#{request.id}: {holder_name(request)}, {request.resource.name}, {window}"
        if request.status == "active":
            self.notify(what, title="Approved")
        else:
            self.notify(what, title="Rejected")

    def action_reload(self) -> None:
        """Read the requests again."""
        self.reload()
