"""The command palette: every main screen, and the actions of the screen it opened over."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from reserver_tui.screens.base import ReserverScreen

if TYPE_CHECKING:
    from reserver_tui.app import ReserverApp

PaletteEntry = tuple[str, str, Callable[[], object]]
"""A palette entry: its title, its help text and what it runs."""


def palette_actions(app: ReserverApp, screen: Screen[Any]) -> list[PaletteEntry]:
    """The command palette's entries: every screen, and every action of `screen`.

    `screen` is the one the palette was opened over: while it searches, the
    palette itself is the app's current screen.
    """

    def go(mode: str) -> Callable[[], None]:
        return lambda: app.action_go(mode)

    entries: list[PaletteEntry] = [
        ("Help", "Keys and time forms", app.action_help),
        ("Toggle dark / light theme", "Switch the colours", app.action_toggle_dark),
    ]
    if app.check_action("go", ("resources",)):
        # Not while a server waits for a login: the screens would only fail.
        entries[:0] = [
            ("Resources", "All resources, filter and book", go("resources")),
            ("Find a free slot", "Resources free for a window", go("find")),
            ("My reservations", "Upcoming, past and cancelled", go("mine")),
            ("Status", "Counts, store and expiry", go("status")),
            ("Inbox", "What happened to your bookings; waitlist offers to answer", go("inbox")),
            ("Approvals", "Requests awaiting your decision (approvers, admins)", go("approvals")),
        ]
    if app.check_action("go", ("admin",)):
        entries.insert(3, ("Admin", "Manage resources", go("admin")))
        entries.insert(
            4,
            (
                "Booking policies",
                "Opening hours, closures, lengths and allowances of the default, a tag, a resource",
                app.action_edit_policies,
            ),
        )
    if isinstance(screen, ReserverScreen):
        # A screen's key to another screen is an entry already.
        titles = {title for title, _help, _run in entries}
        entries.extend(e for e in screen.palette_actions() if e[0] not in titles)
    return entries


class ReserverCommands(Provider):
    """Every action of the app, for the command palette."""

    def _entries(self) -> list[PaletteEntry]:
        return palette_actions(cast("ReserverApp", self.app), self.screen)

    async def search(self, query: str) -> Hits:
        """Actions whose title matches what was typed."""
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)

    async def discover(self) -> Hits:
        """Every action, before anything is typed."""
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(title, callback, help=help_text)
