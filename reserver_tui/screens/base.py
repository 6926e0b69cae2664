"""What every main screen shares: the app's header and footer, reloading after changes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual import on
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Static

from reserver_core.errors import ReserverError
from reserver_tui.markup import literal
from reserver_tui.screens import replies

if TYPE_CHECKING:
    from reserver_tui.app import ReserverApp


class _ReserverScreenParts:
    """What main screens and dialogs share: the typed app, closing on a worker's reply."""

    _finished = False
    _result: object = None

    @property
    def reserver(self) -> ReserverApp:
        """The app, typed."""
        return cast("ReserverApp", cast(Screen[object], self).app)

    def finish(self, result: object = None) -> None:
        """Close with `result` when a worker's reply says it is done: now, or once shown again.

        The reply can arrive after the user went to another mode (F1-F5) or opened
        a screen over this one, and `dismiss` pops whatever screen is on top of the
        current mode: the wrong one, or the last one, which ends the app.
        """
        screen = cast(Screen[object], self)
        if screen.is_active:
            screen.dismiss(result)
        else:
            self._finished = True
            self._result = result

    def _close_if_finished(self) -> bool:
        """On being shown again: close if a reply finished this screen meanwhile."""
        if self._finished:
            cast(Screen[object], self).dismiss(self._result)
        return self._finished


class ReserverScreen(_ReserverScreenParts, Screen[None]):
    """A main screen that reloads its data when the store changed while it was hidden."""

    loaded_version = -1

    def reload(self) -> None:
        """Ask the backend (through the app's workers) for this screen's data."""
        self.loaded_version = self.reserver.data_version

    def on_screen_resume(self) -> None:
        if self._close_if_finished():
            return
        app = self.reserver
        if app.backend is not None and self.loaded_version != app.data_version:
            self.reload()

    def on_operation_failed(self, event: replies.OperationFailed) -> None:
        """A call of this screen failed; the app already said so in a notification."""

    def palette_actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        """This screen's own actions for the command palette, from its bindings."""
        entries: list[tuple[str, str, Callable[[], object]]] = []
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            _namespace, name, parameters = parse_action(binding.action)
            if self.check_action(name, parameters) is False:
                continue
            entries.append(
                (
                    binding.description,
                    binding.tooltip,
                    partial(self.run_action, binding.action),
                )
            )
        return entries


class ReserverModal(_ReserverScreenParts, ModalScreen[object]):
    """A modal dialog over a main screen, with its own footer of keys."""

    def compose(self) -> ComposeResult:
        yield from self.compose_dialog()
        yield Footer(compact=True)

    def compose_dialog(self) -> ComposeResult:
        """The dialog's widgets."""
        yield from ()

    def on_screen_resume(self) -> None:
        self._close_if_finished()

    def show_feedback(self, text: str) -> None:
        """Say `text` in the dialog's `#feedback` line, when it has one."""
        for feedback in self.query("#feedback").results(Static):
            feedback.update(text)

    def on_operation_failed(self, event: replies.OperationFailed) -> None:
        # Textual also runs the handlers of base classes, so dialogs that say more
        # override `show_failure` rather than this handler.
        self.show_failure(event.error)

    def show_failure(self, error: ReserverError) -> None:
        """Say why a call of this dialog failed, beside its fields."""
        self.show_feedback(f"✗ {literal(error.message)}")

    @on(Button.Pressed, "#cancel")
    def action_close(self) -> None:
        """Leave the dialog without changing anything."""
        self.dismiss(None)
