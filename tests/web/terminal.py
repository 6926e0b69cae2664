"""What a browser tab's terminal receives, as plain text a test can wait for.

The page draws on a canvas, so tests read the app's output from the websocket
instead: escape sequences stripped, the rest kept in order. Words of one widget
arrive together, which is all a test needs to know which screen is up.
"""

from __future__ import annotations

import re
import time

ESCAPES = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[\]P_^][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")


def plain(output: bytes | str) -> str:
    """Terminal output without its escape sequences."""
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    return ESCAPES.sub("", text)


class Screen:
    """Everything a tab's terminal was sent, searchable from a mark on."""

    def __init__(self) -> None:
        self.text = ""
        self.mark = 0

    def feed(self, output: bytes | str) -> None:
        """Add a frame the app sent."""
        self.text += plain(output)

    def since_mark(self) -> str:
        """What arrived after the last `set_mark`."""
        return self.text[self.mark :]

    def set_mark(self) -> None:
        """Look only at what arrives from now on."""
        self.mark = len(self.text)

    def contains(self, *words: str) -> bool:
        """Whether every one of `words` arrived since the mark."""
        seen = self.since_mark()
        return all(word in seen for word in words)


def wait_until(condition: object, seconds: float = 30, what: str = "") -> None:
    """Poll `condition()` until it is true; AssertionError after `seconds`."""
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.05)
