"""A yes/no question, optionally with a free-text reason (cancelling a booking)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from reserver_tui.screens.base import ReserverForm


@dataclass(frozen=True)
class Confirmed:
    """The answer of a confirmation that was accepted, with the reason typed (if asked)."""

    reason: str | None


class ConfirmModal(ReserverForm):
    """Ask before doing something that cannot be undone.

    Every confirmation behaves alike: the harmless answer (or the reason) has focus
    first, Enter presses the focused button (or, in a reason typed, accepts; in an
    empty one, goes to the harmless button), Ctrl+S accepts and Esc declines.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "No"),
        Binding("ctrl+s", "submit", "Yes"),
    ]

    def __init__(
        self,
        title: str,
        question: str,
        yes: str = "Yes",
        ask_reason: bool = False,
        no: str = "Keep it",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.yes = yes
        self.no = no
        self.ask_reason = ask_reason

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -narrow"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.question, id="question")
            if self.ask_reason:
                yield Input(placeholder="Reason (optional)", id="reason", max_length=500)
            with Horizontal(classes="buttons"):
                yield Button(self.yes, id="yes", variant="error")
                yield Button(self.no, id="cancel")

    def on_mount(self) -> None:
        if self.ask_reason:
            self.query_one("#reason", Input).focus()
        else:
            self.query_one("#cancel", Button).focus()

    def action_enter(self) -> None:
        """Enter away from the buttons and the reason does nothing: it never means yes."""

    def submit_from_field(self) -> None:
        """A reason typed says yes; Enter in an empty one only moves on to the buttons,
        the harmless one first, so that a stray Enter never cancels anything."""
        if self.query_one("#reason", Input).value.strip():
            self.action_submit()
        else:
            self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_submit(self) -> None:
        """Close with the answer yes and the reason typed."""
        reason = self.query_one("#reason", Input).value.strip() if self.ask_reason else ""
        self.dismiss(Confirmed(reason or None))
