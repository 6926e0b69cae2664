"""The reserver full-screen app: its modes, the store, the upkeep timer, the server link.

The app owns only what is app-wide: opening the backend, the main screens
(modes), expiry on a timer, noticing a lost server and an ended session, the
subtitle and the command palette (its entries: `reserver_tui.palette`). Its own
workers open the store, run upkeep and ping a lost server. Each screen or
dialog calls the `Backend` itself, in thread workers of its own
(`call_backend` in `reserver_tui.screens.base`), and gets the reply as a
message (`reserver_tui.messages`); every worker's failure comes to the one
handler here, `worker_state_changed`, which turns it into a notification (or
an inline error that the dialog shows beside its fields).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message_pump import MessagePump
from textual.notifications import Notification, SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from reserver_core import timeparse
from reserver_core.backend import Backend
from reserver_core.clock import Clock, SystemClock, as_utc
from reserver_core.errors import (
    AuthError,
    ImportRejectedError,
    ReserverError,
    ServerUnreachableError,
)
from reserver_core.schemas import ExpiryReport, UserInfo
from reserver_core.settings import Settings
from reserver_tui import messages
from reserver_tui.failures import describe_error, log_unexpected
from reserver_tui.palette import ReserverCommands
from reserver_tui.screens.admin import AdminScreen
from reserver_tui.screens.approvals import ApprovalsScreen
from reserver_tui.screens.base import ReserverScreen
from reserver_tui.screens.find import FindSlotScreen
from reserver_tui.screens.help import HelpScreen
from reserver_tui.screens.home import ResourcesScreen
from reserver_tui.screens.inbox import InboxScreen
from reserver_tui.screens.login import LoginScreen, ask_for_login
from reserver_tui.screens.mine import MyReservationsScreen
from reserver_tui.screens.policy_form import PolicyModal
from reserver_tui.screens.status import StatusScreen

REMOTE_REFRESH_SECONDS = 15.0
"""How often screens re-read a server, so other people's changes appear."""
RECONNECT_SECONDS = 5.0
"""How often a lost server is tried again."""


class ReserverApp(App[None]):
    """Browse resources, book and cancel slots, and manage the store as an admin."""

    CSS_PATH = "app.tcss"
    TITLE = "reserver"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "resources": ResourcesScreen,
        "find": FindSlotScreen,
        "mine": MyReservationsScreen,
        "admin": AdminScreen,
        "status": StatusScreen,
        "inbox": InboxScreen,
        "approvals": ApprovalsScreen,
    }
    DEFAULT_MODE = "resources"
    COMMANDS = App.COMMANDS | {ReserverCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "go('resources')", "Home", tooltip="All resources"),
        Binding("f2", "go('find')", "Find", tooltip="Resources free for a window"),
        Binding("f3", "go('mine')", "Mine", tooltip="Your reservations"),
        Binding("f4", "go('admin')", "Admin", tooltip="Manage resources"),
        Binding("f5", "go('status')", "Status", tooltip="Counts, store and expiry"),
        # Not in the footer, where it would push out other keys; the header's badge names it.
        Binding(
            "f6",
            "go('inbox')",
            "Inbox",
            show=False,
            tooltip="What happened to your bookings; offers",
        ),
        Binding("ctrl+t", "toggle_dark", "Theme", show=False, tooltip="Dark or light colours"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        settings: Settings | None = None,
        backend_factory: Callable[[], Backend] | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.clock = clock or SystemClock()
        self._backend_factory = backend_factory
        self.backend: Backend | None = None
        self.user: UserInfo | None = None
        self.store = ""
        self.offline = False
        self.data_version = 0
        self.last_expiry: ExpiryReport | None = None
        self.unread: int | None = None
        """The acting user's unread notices, as last read; None before the first reading."""
        self.wanted_request: int | None = None
        """The request the approvals screen should highlight once it lists it."""
        self._reconnect_timer: Timer | None = None
        self._timers_started = False
        self.tz = timeparse.resolve_zone(self.settings.tz)
        self.theme = "textual-dark"

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a notification as plain text, whatever `markup` asks.

        Notifications quote resource names, reasons and what people typed; read as
        markup, a "[/b]" in one of them ended the app. None of ours uses markup.
        """
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    @property
    def notifications(self) -> tuple[Notification, ...]:
        """The notifications that have not timed out yet, oldest first."""
        return tuple(self._notifications)

    @property
    def reconnecting(self) -> bool:
        """Whether the app keeps trying to reach a server it lost or never reached."""
        return self._reconnect_timer is not None

    @property
    def remote(self) -> bool:
        """Whether a server keeps the store (it then runs expiry itself)."""
        return self.store.startswith(("http://", "https://"))

    @property
    def is_admin(self) -> bool:
        """Whether the acting user may manage resources."""
        return self.user is not None and self.user.is_admin

    def now(self) -> datetime:
        """The current instant, from the injected clock."""
        return as_utc(self.clock.now())

    def today(self) -> date:
        """Today's date in the user's time zone."""
        return self.now().astimezone(self.tz).date()

    def on_mount(self) -> None:
        self._update_subtitle()
        self.open_store()

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def open_store(self) -> None:
        """Open the backend off the event loop and find out who is acting."""
        if self._backend_factory is not None:
            backend = self._backend_factory()
        else:
            from reserver_core.connect import open_backend

            backend = open_backend(self.settings, self.clock)
        try:
            user: UserInfo | None = backend.whoami()
        except AuthError:
            user = None
        self.post_message(messages.StoreOpened(backend, user))

    @on(messages.StoreOpened)
    def _store_opened(self, event: messages.StoreOpened) -> None:
        self.backend = event.backend
        self.user = event.user
        # Another user's count until this one's is read would be wrong, not just late.
        self.unread = None
        self.store = event.backend.describe_store()
        if self.offline:
            self._server_back()
        self._update_subtitle()
        if not self._timers_started:
            self._timers_started = True
            # What start-up imported and built lives as long as the app: frozen, the
            # collector's full passes no longer walk it while screens read the store.
            gc.freeze()
            if self.remote:
                self.set_interval(REMOTE_REFRESH_SECONDS, self._remote_refresh)
            else:
                self.set_interval(self.settings.expiry_interval, self.upkeep)
        if self.user is None:
            ask_for_login(self)
        self.refresh_bindings()
        self.data_changed()

    def _session_ended(self, error: AuthError) -> None:
        """The server refused the token: forget the user until someone logs in again."""
        previous = self.user
        self.user = None
        self._update_subtitle()
        self.refresh_bindings()
        username = previous.username if previous is not None else ""
        ask_for_login(self, describe_error(error, self.tz, now=self.now()), username)

    def _update_subtitle(self) -> None:
        if self.backend is None:
            where = self.settings.server or "the store"
            self.sub_title = f"{where} · OFFLINE" if self.offline else "opening the store…"
            return
        who = "not logged in" if self.user is None else self.user.username
        if self.user is not None and self.user.is_admin:
            who += " (admin)"
        state = " · OFFLINE" if self.offline else ""
        # First, where a narrow terminal does not cut it off.
        badge = f"Inbox {self.unread} (F6) · " if self.unread and self.user is not None else ""
        self.sub_title = f"{badge}{who} @ {self.store}{state}"

    def data_changed(self) -> None:
        """Tell open screens the data changed: the visible one reloads now, others on resume."""
        self.data_version += 1
        for screen in self.screen_stack:
            if isinstance(screen, ReserverScreen) and screen.is_current:
                screen.reload()
        self.count_unread()

    def count_unread(self) -> None:
        """Read the unread count for the header's badge (after a change, on the timers)."""
        if self.backend is not None and self.user is not None and not self.offline:
            self._count_unread()

    @work(thread=True, exclusive=True, exit_on_error=False, group="unread")
    def _count_unread(self) -> None:
        backend = self.serving_backend()
        self.post_message(messages.UnreadCounted(backend.unread_count()))

    @on(messages.UnreadCounted)
    def _unread_counted(self, event: messages.UnreadCounted) -> None:
        if event.count != self.unread:
            self.unread = event.count
            self._update_subtitle()

    def _remote_refresh(self) -> None:
        if not self.offline and self.user is not None:
            self.data_changed()

    @work(thread=True, exclusive=True, exit_on_error=False, group="upkeep")
    def upkeep(self) -> None:
        """Expiry on the timer (local store); screens refresh after it."""
        backend = self.serving_backend()
        self.post_message(messages.ExpiryDone(backend.background_upkeep()))

    @on(messages.ExpiryDone)
    def _expiry_done(self, event: messages.ExpiryDone) -> None:
        if event.report is not None:
            self.last_expiry = event.report
        self.data_changed()

    @on(Worker.StateChanged)
    def worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Report a failed worker, the app's or a screen's, to the user."""
        worker = event.worker
        if event.state == WorkerState.ERROR:
            requester = worker.node if worker.node is not self else None
            self.report_failure(worker.group, worker.error, requester)

    def report_failure(
        self, group: str, error: BaseException | None, requester: MessagePump | None
    ) -> None:
        """Say why a backend call of `group` failed: beside the fields of the screen that
        asked (`requester`, None when it is the app's or gone), else as a notification."""
        if isinstance(error, ReserverError):
            if requester is not None:
                requester.post_message(messages.OperationFailed(group, error))
                if isinstance(error, getattr(requester, "INLINE_ERRORS", ())):
                    return
            if isinstance(error, ServerUnreachableError):
                self._went_offline(error)
                return
            if isinstance(error, AuthError) and self.remote and group != "login":
                self._session_ended(error)
                return
            title = "Import rejected" if isinstance(error, ImportRejectedError) else ""
            self.notify(
                describe_error(error, self.tz, now=self.now()),
                title=title,
                severity="error",
                timeout=8,
            )
            return
        path = log_unexpected(group, error)
        if requester is not None:
            requester.post_message(messages.OperationFailed(group, ReserverError("unexpected")))
        self.notify(
            f"Something went wrong ({type(error).__name__}). Details are in {path}",
            title="Unexpected error",
            severity="error",
            timeout=12,
        )

    def _went_offline(self, error: ReserverError) -> None:
        if not self.offline:
            self.offline = True
            self._update_subtitle()
            self.notify(
                f"{describe_error(error, self.tz, now=self.now())}. "
                f"Trying again every {RECONNECT_SECONDS:.0f} s.",
                title="Server unreachable",
                severity="error",
                timeout=10,
            )
        if self._reconnect_timer is None:
            self._reconnect_timer = self.set_interval(RECONNECT_SECONDS, self._reconnect)

    def _reconnect(self) -> None:
        # A server that was down at start-up has no backend yet: open it again.
        if self.backend is None:
            self.open_store()
        else:
            self.ping()

    @work(thread=True, exclusive=True, exit_on_error=False, group="ping")
    def ping(self) -> None:
        """Ask a lost server whether it is back."""
        backend = self.serving_backend()
        health = backend.health()
        if health.status == "ok":
            self.post_message(messages.ServerBack())

    @on(messages.ServerBack)
    def _server_back(self) -> None:
        if self._reconnect_timer is not None:
            self._reconnect_timer.stop()
            self._reconnect_timer = None
        if self.offline:
            self.offline = False
            self._update_subtitle()
            self.notify("The server answers again.", title="Back online")
            self.data_changed()

    def serving_backend(self) -> Backend:
        """The open backend, for a worker; a clear error while the store still opens."""
        if self.backend is None:
            raise ReserverError("the store is still opening; try again in a moment")
        return self.backend

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go" and self.backend is not None and self.user is None:
            return False
        if action == "go" and parameters == ("admin",):
            return self.is_admin
        return True

    def action_help(self) -> None:
        """Show the keys of the current screen and the accepted time forms."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def show_request(self, reservation_id: int) -> None:
        """Go to the approvals screen with the request `reservation_id` highlighted."""
        self.wanted_request = reservation_id
        self.action_go("approvals")

    def action_edit_policies(self) -> None:
        """Admin: edit booking policies, starting at the default policy."""
        if not self.is_admin:
            self.notify("Only an admin can edit booking policies.", severity="warning")
            return
        self.push_screen(PolicyModal())

    def action_toggle_dark(self) -> None:
        """Switch between the dark and the light theme."""
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_go(self, mode: str) -> None:
        """Go to one of the main screens; the admin screen only for admins."""
        if mode == "admin" and not self.is_admin:
            self.notify("Only an admin can manage resources.", severity="warning")
            return
        if self.current_mode != mode:
            self.switch_mode(mode)
        if mode == "resources":
            self._back_to_list()

    def _back_to_list(self) -> None:
        """F1 means the list of resources, not the week or form last opened over it."""
        while len(self.screen_stack) > 1 and not isinstance(self.screen, LoginScreen):
            self.pop_screen()


def run_app(settings: Settings) -> int:
    """Run the full-screen app on the store or server that `settings` name; its exit code."""
    app = ReserverApp(settings)
    app.run()
    return app.return_code or 0
