"""A yes/no question, optionally with a free-text reason (cancelling a booking)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from reserver_tui.screens.base import ReserverModal


@dataclass(frozen=True)
class Confirmed:
    """The answer of a confirmation that was accepted, with the reason typed (if asked)."""

    reason: str | None


class ConfirmModal(ReserverModal):
    """Ask before doing something that cannot be undone; ctrl+s (or Enter in the reason) accepts."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "No"),
        Binding("ctrl+s", "answer(True)", "Yes"),
    ]

    def __init__(
        self, title: str, question: str, yes: str = "Yes", ask_reason: bool = False
    ) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.yes = yes
        self.ask_reason = ask_reason

    def compose_dialog(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog -narrow"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.question, id="question")
            if self.ask_reason:
                yield Input(placeholder="Reason (optional)", id="reason", max_length=500)
            with Horizontal(classes="buttons"):
                yield Button(self.yes, id="yes", variant="error")
                yield Button("Keep it", id="no")

    def on_mount(self) -> None:
        if self.ask_reason:
            self.query_one("#reason", Input).focus()
        else:
            self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    @on(Input.Submitted, "#reason")
    def _yes(self) -> None:
        self.action_answer(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.action_answer(False)

    def action_answer(self, accepted: bool) -> None:
        """Close with the answer."""
        if not accepted:
            self.dismiss(None)
            return
        reason = self.query_one("#reason", Input).value.strip() if self.ask_reason else ""
        self.dismiss(Confirmed(reason or None))
