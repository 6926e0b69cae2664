"""Log in to (or register with) a server when there is no valid token."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Header, Input, Label, Static

from reserver_core.backend import Backend
from reserver_core.errors import (
    AlreadyExistsError,
    AuthError,
    ForbiddenError,
    ThrottledError,
    ValidationError,
)
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverScreen

if TYPE_CHECKING:
    from reserver_tui.app import ReserverApp


def ask_for_login(app: ReserverApp, reason: str = "", username: str = "") -> None:
    """Show the login screen, once, with the F-keys of the main screens off under it."""
    if any(isinstance(screen, LoginScreen) for screen in app.screen_stack):
        return
    if reason:
        app.notify(reason, severity="warning")

    def logged_in_again(_result: object) -> None:
        # Someone who is not an admin may log in where an admin's session ended.
        if app.current_mode == "admin" and not app.is_admin:
            app.switch_mode("resources")

    app.push_screen(LoginScreen(username), logged_in_again)


class LoginScreen(ReserverScreen):
    """Username and password; Enter logs in, the other button registers first."""

    INLINE_ERRORS = (AuthError, ValidationError, ThrottledError, ForbiddenError, AlreadyExistsError)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit(False)", "Log in"),
        Binding("ctrl+r", "submit(True)", "Register"),
        # Nothing lies behind this screen to go back to without an account.
        Binding("escape", "app.quit", "Quit"),
    ]

    def __init__(self, username: str = "") -> None:
        super().__init__()
        self.username = username

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="dialog", classes="dialog -narrow"):
            yield Label("Log in", classes="dialog-title")
            store = literal(self.reserver.store or "the server")
            yield Static(f"to [b]{store}[/b]", id="login-server")
            with Horizontal(classes="field"):
                yield Label("Username", classes="field-label")
                yield Input(self.username, id="username", placeholder="alice")
            with Horizontal(classes="field"):
                yield Label("Password", classes="field-label")
                yield Input(id="password", password=True, placeholder="at least 10 characters")
            yield Static(id="feedback")
            with Horizontal(classes="buttons"):
                yield Button("Log in", id="login", variant="primary")
                yield Button("Register", id="register")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # Logging in again after a session ended: the name is known, the password is not.
        self.query_one("#password" if self.username else "#username", Input).focus()

    def reload(self) -> None:
        super().reload()

    @on(Input.Submitted, "#username")
    def _next_field(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#login")
    def _login(self) -> None:
        self.action_submit(False)

    @on(Button.Pressed, "#register")
    def _register(self) -> None:
        self.action_submit(True)

    def action_submit(self, register: bool) -> None:
        """Log in, or register first and then log in."""
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not username or not password:
            self.query_one("#feedback", Static).update("✗ give a username and a password")
            return
        self.query_one("#feedback", Static).update("Registering…" if register else "Logging in…")
        app = self.reserver

        def log_in(backend: Backend) -> messages.LoggedIn:
            if register:
                backend.register(username, password)
            token = backend.login(username, password)
            from reserver_core import credentials

            credentials.set_token(backend.describe_store(), token.access_token)
            user = backend.whoami()
            app.post_message(messages.StoreOpened(backend, user))
            return messages.LoggedIn(user.username)

        self.call_backend("login", log_in)

    def on_logged_in(self, event: messages.LoggedIn) -> None:
        self.notify(f"Logged in as {event.username}")
        self.finish()

    def on_operation_failed(self, event: messages.OperationFailed) -> None:
        self.query_one("#feedback", Static).update(f"✗ {literal(event.error.message)}")
