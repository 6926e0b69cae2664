"""What screens and dialogs share: backend calls in workers of their own, reloads after changes."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.actions import parse as parse_action
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Static
from textual.worker import Worker, get_current_worker

from reserver_core import display
from reserver_core.backend import Backend
from reserver_core.display import counted, format_window
from reserver_core.errors import ReserverError
from reserver_core.schemas import ReservationInfo, SeriesOutcome
from reserver_tui import messages
from reserver_tui.markup import literal

if TYPE_CHECKING:
    from reserver_tui.app import ReserverApp


class _ReserverScreenParts:
    """What main screens and dialogs share: the typed app, backend workers, closing on a reply."""

    _finished = False
    _result: object = None

    @property
    def reserver(self) -> ReserverApp:
        """The app, typed."""
        return cast("ReserverApp", cast(Screen[object], self).app)

    def call_backend(
        self,
        group: str,
        call: Callable[[Backend], Message | None],
        *,
        changes_data: bool = False,
    ) -> None:
        """Run `call` in a thread worker of this screen and post the message it returns here.

        A newer call of the same `group` on this screen replaces an older one, whose
        reply is dropped; a call that `changes_data` always answers, then has every
        open screen reload. Failures go to the app's one failure handler, also those of
        a change whose screen was closed while it ran.
        """
        screen = cast(Screen[object], self)
        app = self.reserver

        def work() -> None:
            try:
                reply = call(app.serving_backend())
            except Exception as error:
                # Closing a screen cancels its workers, and a cancelled worker's failure
                # is never reported: a change the user asked for must not fail unheard.
                if changes_data and get_current_worker().is_cancelled:
                    app.call_from_thread(app.report_failure, group, error, None)
                raise
            if reply is not None and (changes_data or not get_current_worker().is_cancelled):
                screen.post_message(reply)
            if changes_data:
                app.call_from_thread(app.data_changed)

        screen.run_worker(work, group=group, thread=True, exclusive=True, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Hand this screen's worker states to the app: they do not bubble, failures are its."""
        self.reserver.worker_state_changed(event)

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

    def on_operation_failed(self, event: messages.OperationFailed) -> None:
        """A call of this screen failed; the app already said so in a notification."""

    def announce(self, title: str) -> Callable[[object], None]:
        """A dialog's callback that says which booking (or series) it made or changed, and
        when; a series' dates left out are named."""

        def said(result: object) -> None:
            if isinstance(result, ReservationInfo) and result.status == "pending":
                self.said_pending(result)
            elif isinstance(result, ReservationInfo):
                window = format_window(
                    result.start_time, result.end_time, self.reserver.tz, now=self.reserver.now()
                )
                self.notify(f"{result.resource.name}, {window}", title=title)
            elif isinstance(result, SeriesOutcome) and result.series is not None:
                series = result.series
                text = (
                    f"{series.resource.name}: {counted(result.booked, 'date')} "
                    f"(series {series.id}, {series.rule_text})"
                )
                left = [o for o in result.occurrences if o.state in ("clash", "refused")]
                if left:
                    days = ", ".join(f"{o.day:%a %-d %b} (#{o.index})" for o in left)
                    text += f". Left out: {days}"
                self.notify(text, title=title, timeout=8 if left else None)

        return said

    def said_pending(self, request: ReservationInfo) -> None:
        """Say that a booking is a request awaiting approval: by whom, and by when."""
        awaits = display.pending_text(request, self.reserver.tz, now=self.reserver.now())
        self.notify(
            f"Request #{request.id} is {awaits}. The slot is held for you meanwhile; the "
            "answer comes to your inbox.",
            title=f"Not booked yet: {request.resource.name}",
            timeout=10,
        )

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

    def on_operation_failed(self, event: messages.OperationFailed) -> None:
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


class ReserverForm(ReserverModal):
    """A dialog that sends what was typed: the same keys in every one.

    Ctrl+S sends from anywhere in the form, Esc leaves it, and Enter sends from the
    last field or from a checkbox (space ticks one). Enter on a button presses that
    button. A form may relabel the keys by declaring bindings for the same keys.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel"),
        Binding("ctrl+s", "submit", "Send"),
        # Reached when the focused widget has no use for Enter (a checkbox, a list).
        Binding("enter", "enter", show=False),
    ]

    @on(Input.Submitted)
    def _field_submitted(self) -> None:
        self.submit_from_field()

    def submit_from_field(self) -> None:
        """Enter in a field: send the form."""
        self.action_submit()

    def action_enter(self) -> None:
        """Enter where the focused widget has no use for it: send the form."""
        self.action_submit()

    def action_submit(self) -> None:
        """Send the form."""
        raise NotImplementedError
