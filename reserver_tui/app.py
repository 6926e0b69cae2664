"""The reserver full-screen app: find a free resource, book it, see and cancel bookings.

The app only calls the `Backend` interface. Every call that touches the store
runs in a thread worker defined here; results travel back to the screen that
asked as messages (`reserver_tui.screens.replies`), and every failure lands in
the one `Worker.StateChanged` handler, which turns it into a notification.
"""

from __future__ import annotations

import io
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources as package_files
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.message_pump import MessagePump
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState, get_current_worker

from reserver_core import display, timeparse
from reserver_core.backend import Backend
from reserver_core.clock import Clock, SystemClock, as_utc
from reserver_core.errors import (
    AuthError,
    ImportRejectedError,
    ReserverError,
    ServerUnreachableError,
    ValidationError,
)
from reserver_core.schemas import ExpiryReport, UserInfo
from reserver_core.settings import Settings, log_dir
from reserver_tui.screens import replies
from reserver_tui.screens.admin import AdminScreen
from reserver_tui.screens.base import ReserverScreen
from reserver_tui.screens.find import FindSlotScreen
from reserver_tui.screens.help import HelpScreen
from reserver_tui.screens.home import ResourcesScreen
from reserver_tui.screens.login import LoginScreen
from reserver_tui.screens.mine import MyReservationsScreen
from reserver_tui.screens.status import StatusScreen

REMOTE_REFRESH_SECONDS = 15.0
"""How often screens re-read a server, so other people's changes appear."""
RECONNECT_SECONDS = 5.0
"""How often a lost server is tried again."""
UPCOMING_DAYS = 14
"""How far ahead a resource's upcoming reservations are listed."""
SAMPLE_CSV = "sample_resources.csv"

log = logging.getLogger("reserver_tui")


@dataclass
class StoreOpened(Message):
    """The backend is open; `user` is None when a server wants a login first."""

    backend: Backend
    user: UserInfo | None


@dataclass
class ServerBack(Message):
    """A lost server answers again."""


def describe_error(error: ReserverError, tz: ZoneInfo) -> str:
    """A domain error as a sentence for people, its times in their own time zone."""
    message = display.describe_error(error, tz)
    return message[:1].upper() + message[1:]


class ReserverCommands(Provider):
    """Every action of the app, for the command palette."""

    async def search(self, query: str) -> Hits:
        """Actions whose title matches what was typed."""
        matcher = self.matcher(query)
        app = self.app
        assert isinstance(app, ReserverApp)
        for title, help_text, callback in app.palette_actions(self.screen):
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)

    async def discover(self) -> Hits:
        """Every action, before anything is typed."""
        app = self.app
        assert isinstance(app, ReserverApp)
        for title, help_text, callback in app.palette_actions(self.screen):
            yield DiscoveryHit(title, callback, help=help_text)


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
        self._requesters: dict[Worker[object], MessagePump] = {}
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

    # -- small accessors the screens use ------------------------------------------
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

    # -- start-up ----------------------------------------------------------------------
    def on_mount(self) -> None:
        self._update_subtitle()
        self.open_store()

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def open_store(self) -> None:
        """Open the backend off the event loop and find out who is acting."""
        self._requesters[get_current_worker()] = self
        if self._backend_factory is not None:
            backend = self._backend_factory()
        else:
            from reserver_core.connect import open_backend

            backend = open_backend(self.settings, self.clock)
        try:
            user: UserInfo | None = backend.whoami()
        except AuthError:
            user = None
        self.post_message(StoreOpened(backend, user))

    @on(StoreOpened)
    def _store_opened(self, event: StoreOpened) -> None:
        self.backend = event.backend
        self.user = event.user
        self.store = event.backend.describe_store()
        if self.offline:
            self._server_back()
        self._update_subtitle()
        if not self._timers_started:
            self._timers_started = True
            if self.remote:
                self.set_interval(REMOTE_REFRESH_SECONDS, self._remote_refresh)
            else:
                self.set_interval(self.settings.expiry_interval, self.upkeep)
        if self.user is None:
            self._ask_for_login()
        self.refresh_bindings()
        self.data_changed()

    def _ask_for_login(self, reason: str = "", username: str = "") -> None:
        """Show the login screen, once, with the F-keys of the main screens off under it."""
        if any(isinstance(screen, LoginScreen) for screen in self.screen_stack):
            return
        if reason:
            self.notify(reason, severity="warning")
        self.push_screen(LoginScreen(username), self._logged_in_again)

    def _logged_in_again(self, _result: object) -> None:
        # Someone who is not an admin may log in where an admin's session ended.
        if self.current_mode == "admin" and not self.is_admin:
            self.switch_mode("resources")

    def _session_ended(self, error: AuthError) -> None:
        """The server refused the token: forget the user until someone logs in again."""
        previous = self.user
        self.user = None
        self._update_subtitle()
        self.refresh_bindings()
        username = previous.username if previous is not None else ""
        self._ask_for_login(describe_error(error, self.tz), username)

    def _update_subtitle(self) -> None:
        if self.backend is None:
            where = self.settings.server or "the store"
            self.sub_title = f"{where} · OFFLINE" if self.offline else "opening the store…"
            return
        who = "not logged in" if self.user is None else self.user.username
        if self.user is not None and self.user.is_admin:
            who += " (admin)"
        state = " · OFFLINE" if self.offline else ""
        self.sub_title = f"{who} @ {self.store}{state}"

    # -- refreshing open screens ------------------------------------------------------
    def data_changed(self) -> None:
        """Tell open screens the data changed: the visible one reloads now, others on resume."""
        self.data_version += 1
        for screen in self.screen_stack:
            if isinstance(screen, ReserverScreen) and screen.is_current:
                screen.reload()

    def _remote_refresh(self) -> None:
        if not self.offline and self.user is not None:
            self.data_changed()

    @work(thread=True, exclusive=True, exit_on_error=False, group="upkeep")
    def upkeep(self) -> None:
        """Expiry on the timer (local store); screens refresh after it."""
        backend = self._serve(self)
        self.post_message(replies.ExpiryDone(backend.background_upkeep()))

    @on(replies.ExpiryDone)
    def _expiry_done(self, event: replies.ExpiryDone) -> None:
        if event.report is not None:
            self.last_expiry = event.report
        self.data_changed()

    # -- the one place worker failures land -------------------------------------------
    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state == WorkerState.ERROR:
            self._report_failure(worker)
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self._requesters.pop(worker, None)

    def _report_failure(self, worker: Worker[object]) -> None:
        error = worker.error
        requester = self._requesters.get(worker)
        group = worker.group
        if isinstance(error, ReserverError):
            if requester is not None and requester is not self:
                requester.post_message(replies.OperationFailed(group, error))
                if isinstance(error, getattr(requester, "INLINE_ERRORS", ())):
                    return
            if isinstance(error, ServerUnreachableError):
                self._went_offline(error)
                return
            if isinstance(error, AuthError) and self.remote and group != "login":
                self._session_ended(error)
                return
            title = "Import rejected" if isinstance(error, ImportRejectedError) else ""
            self.notify(describe_error(error, self.tz), title=title, severity="error", timeout=8)
            return
        path = self._log_unexpected(worker, error)
        if requester is not None and requester is not self:
            requester.post_message(replies.OperationFailed(group, ReserverError("unexpected")))
        self.notify(
            f"Something went wrong ({type(error).__name__}). Details are in {path}",
            title="Unexpected error",
            severity="error",
            timeout=12,
        )

    def _log_unexpected(self, worker: Worker[object], error: BaseException | None) -> Path:
        path = log_dir() / "reserver-tui.log"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = traceback.format_exception(error) if error else ["(no exception)\n"]
            with path.open("a", encoding="utf-8") as out:
                out.write(f"--- {datetime.now().isoformat()} worker {worker.group}\n")
                out.writelines(lines)
        except OSError:
            log.exception("cannot write the error log")
        return path

    def _went_offline(self, error: ReserverError) -> None:
        if not self.offline:
            self.offline = True
            self._update_subtitle()
            self.notify(
                f"{describe_error(error, self.tz)}. Trying again every {RECONNECT_SECONDS:.0f} s.",
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
        backend = self._serve(self)
        health = backend.health()
        if health.status == "ok":
            self.post_message(ServerBack())

    @on(ServerBack)
    def _server_back(self) -> None:
        if self._reconnect_timer is not None:
            self._reconnect_timer.stop()
            self._reconnect_timer = None
        if self.offline:
            self.offline = False
            self._update_subtitle()
            self.notify("The server answers again.", title="Back online")
            self.data_changed()

    # -- worker plumbing ------------------------------------------------------------------
    def _serve(self, requester: MessagePump) -> Backend:
        self._requesters[get_current_worker()] = requester
        if self.backend is None:
            raise ReserverError("the store is still opening; try again in a moment")
        return self.backend

    @staticmethod
    def _answer(requester: MessagePump, message: Message) -> None:
        """Post a read's result unless a newer read of the same kind replaced it."""
        if not get_current_worker().is_cancelled:
            requester.post_message(message)
        elif isinstance(requester, ReserverScreen):
            # Another screen's read took this one's place: read again when shown.
            requester.loaded_version = -1

    # -- reads --------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="resources")
    def load_resources(self, requester: MessagePump) -> None:
        """Every resource with its status."""
        backend = self._serve(requester)
        self._answer(requester, replies.ResourcesLoaded(backend.list_resources()))

    @work(thread=True, exclusive=True, exit_on_error=False, group="schedule")
    def load_schedule(self, requester: MessagePump, resource_id: int, start_day: date) -> None:
        """A resource's week grid from `start_day` and its upcoming reservations."""
        backend = self._serve(requester)
        settings = self.settings
        grid = backend.schedule(
            resource_id,
            start_day=start_day,
            days=7,
            tz=timeparse.zone_name(self.tz),
            slot_minutes=settings.slot_minutes,
            day_start=settings.day_start,
            day_end=settings.day_end,
        )
        now = self.now()
        upcoming = backend.resource_reservations(
            resource_id, now, now + timedelta(days=UPCOMING_DAYS)
        )
        self._answer(requester, replies.ScheduleLoaded(grid, upcoming))

    @work(thread=True, exclusive=True, exit_on_error=False, group="find")
    def find_free(
        self,
        requester: MessagePump,
        start: datetime,
        end: datetime,
        text: str | None,
        tags: list[str],
    ) -> None:
        """Resources free for the whole of `[start, end)`, matching text and tags."""
        backend = self._serve(requester)
        found = backend.search_resources(
            text=text, tags=tags, available_from=start, available_until=end
        )
        self._answer(requester, replies.FreeResourcesFound(found))

    @work(thread=True, exclusive=True, exit_on_error=False, group="reservations")
    def load_reservations(self, requester: MessagePump, everyone: bool = False) -> None:
        """The user's reservations, or everybody's for an admin who asks."""
        backend = self._serve(requester)
        if everyone:
            found = backend.all_reservations(include_cancelled=True)
        else:
            found = backend.my_reservations(include_cancelled=True)
        self._answer(requester, replies.ReservationsLoaded(found))

    @work(thread=True, exclusive=True, exit_on_error=False, group="history")
    def load_history(self, requester: MessagePump, reservation_id: int) -> None:
        """A reservation's events."""
        backend = self._serve(requester)
        self._answer(requester, replies.HistoryLoaded(backend.history(reservation_id)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="status")
    def load_status(self, requester: MessagePump) -> None:
        """Summary counts, health and the store's description."""
        backend = self._serve(requester)
        summary = backend.summary()
        health = backend.health()
        self._answer(requester, replies.StatusLoaded(summary, health, backend.describe_store()))

    # -- writes: their results always arrive, so each has its own group -------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="book")
    def book(
        self, requester: MessagePump, resource_id: int, start: datetime, end: datetime
    ) -> None:
        """Book `[start, end)` on a resource."""
        backend = self._serve(requester)
        requester.post_message(replies.Booked(backend.book(resource_id, start, end)))
        self.call_from_thread(self.data_changed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="book")
    def book_next_free(
        self, requester: MessagePump, resource_id: int, duration: timedelta, after: datetime
    ) -> None:
        """Book the resource's next free window of `duration` at or after `after`."""
        backend = self._serve(requester)
        slot = backend.next_free_slot(duration, after=after, resource_id=resource_id)
        reservation = backend.book(resource_id, slot.start_time, slot.end_time)
        requester.post_message(replies.Booked(reservation))
        self.call_from_thread(self.data_changed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="cancel")
    def cancel(self, requester: MessagePump, reservation_id: int, reason: str | None) -> None:
        """Cancel a reservation, keeping the reason."""
        backend = self._serve(requester)
        requester.post_message(replies.Cancelled(backend.cancel(reservation_id, reason)))
        self.call_from_thread(self.data_changed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="admin")
    def change_resource(
        self,
        requester: MessagePump,
        action: str,
        resource_id: int | None,
        fields: replies.ResourceFields | None = None,
        hours: int = 8,
    ) -> None:
        """Admin: create, edit, enable/disable, or start/end maintenance of a resource."""
        backend = self._serve(requester)
        if action in {"create", "edit"} and fields is None:
            raise ReserverError("nothing to save")
        if action == "create" and fields is not None:
            resource = backend.create_resource(
                fields.name, fields.tags, fields.description, fields.available
            )
        elif resource_id is None:
            raise ReserverError("choose a resource first")
        elif action == "edit" and fields is not None:
            resource = backend.update_resource(
                resource_id, fields.name, fields.tags, fields.description
            )
        elif action == "enable":
            resource = backend.set_available(resource_id, True)
        elif action == "disable":
            resource = backend.set_available(resource_id, False)
        elif action == "maintenance":
            resource = backend.start_maintenance(resource_id, hours)
        else:
            resource = backend.end_maintenance(resource_id)
        requester.post_message(replies.ResourceChanged(resource, action))
        self.call_from_thread(self.data_changed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def import_csv(self, requester: MessagePump, path: Path | None, skip_invalid: bool) -> None:
        """Admin: import a CSV file (None: the bundled sample set), reporting progress."""
        backend = self._serve(requester)

        def progress(done: int, total: int) -> None:
            requester.post_message(replies.ImportProgress(done, total))

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
        requester.post_message(replies.ImportFinished(report, source))
        self.call_from_thread(self.data_changed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export_csv(self, requester: MessagePump, path: Path) -> None:
        """Write every resource to a CSV file in the import format."""
        backend = self._serve(requester)
        target = path.expanduser()

        def progress(done: int, total: int) -> None:
            requester.post_message(replies.ImportProgress(done, total))

        try:
            with target.open("w", encoding="utf-8", newline="") as out:
                count = backend.export_csv(out, progress=progress)
        except OSError as exc:
            raise ValidationError(f"cannot write {target}: {exc.strerror}", "path") from exc
        requester.post_message(replies.ExportFinished(count, target))

    @work(thread=True, exclusive=True, exit_on_error=False, group="expire")
    def expire_now(self, requester: MessagePump) -> None:
        """Admin: run expiry now."""
        backend = self._serve(requester)
        report = backend.expire()
        requester.post_message(replies.ExpiryDone(report))
        self.post_message(replies.ExpiryDone(report))

    @work(thread=True, exclusive=True, exit_on_error=False, group="login")
    def log_in(self, requester: MessagePump, username: str, password: str, register: bool) -> None:
        """Log in to the server (registering the account first when asked)."""
        backend = self._serve(requester)
        if register:
            backend.register(username, password)
        token = backend.login(username, password)
        from reserver_core import credentials

        credentials.set_token(backend.describe_store(), token.access_token)
        user = backend.whoami()
        self.post_message(StoreOpened(backend, user))
        requester.post_message(replies.LoggedIn(user.username))

    # -- actions --------------------------------------------------------------------------------
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

    def palette_actions(self, screen: Screen[Any]) -> list[tuple[str, str, Callable[[], object]]]:
        """The command palette's entries: every screen, and every action of `screen`.

        `screen` is the one the palette was opened over: while it searches, the
        palette itself is the app's current screen.
        """
        entries: list[tuple[str, str, Callable[[], object]]] = [
            ("Help", "Keys and time forms", self.action_help),
            ("Toggle dark / light theme", "Switch the colours", self.action_toggle_dark),
        ]
        if self.check_action("go", ("resources",)):
            # Not while a server waits for a login: the screens would only fail.
            entries[:0] = [
                ("Resources", "All resources, filter and book", self._go("resources")),
                ("Find a free slot", "Resources free for a window", self._go("find")),
                ("My reservations", "Upcoming, past and cancelled", self._go("mine")),
                ("Status", "Counts, store and expiry", self._go("status")),
            ]
        if self.check_action("go", ("admin",)):
            entries.insert(3, ("Admin", "Manage resources", self._go("admin")))
        if isinstance(screen, ReserverScreen):
            entries.extend(screen.palette_actions())
        return entries

    def _go(self, mode: str) -> Callable[[], None]:
        return lambda: self.action_go(mode)


def run_app(settings: Settings) -> int:
    """Run the full-screen app on the store or server that `settings` name; its exit code."""
    app = ReserverApp(settings)
    app.run()
    return app.return_code or 0
