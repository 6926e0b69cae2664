"""A checkbox for forms: space ticks it, Enter sends the form as it does from an input."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Checkbox


class FormCheckbox(Checkbox, inherit_bindings=False):
    """A checkbox that leaves Enter to its form (Textual's own toggles on Enter too)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_button", "Toggle", show=False),
    ]
