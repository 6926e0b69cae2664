"""Find a slot: the resources free for a whole window, narrowed by text and tags."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, Label, Static

from reserver_core.backend import Backend
from reserver_core.display import (
    counted,
    describe_error,
    format_duration,
    format_window,
    next_free_text,
)
from reserver_core.errors import ReserverError, ValidationError
from reserver_core.resources import check_search_window, split_tags
from reserver_core.schemas import ResourceInfo
from reserver_core.timeparse import add_length, next_whole, parse_duration, parse_when
from reserver_tui import messages
from reserver_tui.markup import literal
from reserver_tui.screens.base import ReserverScreen
from reserver_tui.screens.book import BookModal, short_message
from reserver_tui.widgets.keyed_table import KeyedTable
from reserver_tui.widgets.time_input import TimeInput


class FindSlotScreen(ReserverScreen):
    """Type a start and a length; every resource free for the whole window is listed."""

    INLINE_ERRORS = (ValidationError,)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "search", "Search", tooltip="List the resources free then"),
        Binding("b", "book", "Book", tooltip="Book the highlighted resource for the window"),
        Binding("slash", "focus_form", "Edit search", key_display="/"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._window: tuple[datetime, datetime] | None = None
        self._found: dict[str, ResourceInfo] = {}
        self._problem = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="find-form"):
            with Horizontal(classes="field"):
                yield Label("Start", classes="field-label")
                yield TimeInput(
                    "tomorrow 10:00", placeholder="tomorrow 10:00, +1h, mon 9:30", id="when"
                )
                yield Label("Length", classes="field-label")
                yield TimeInput("1h", placeholder="1h, 90m, 1h30m", id="length")
            with Horizontal(classes="field"):
                yield Label("Text", classes="field-label")
                yield Input(placeholder="optional: part of a name or tag", id="text")
                yield Label("Tags", classes="field-label")
                yield Input(placeholder="optional: lab, projector (all of them)", id="tags")
            yield Static(id="feedback")
        yield Label("Press Enter to search.", id="results-title", classes="pane-title")
        yield KeyedTable(["Resource", "Tags", "Status now"], id="results")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#when", Input).focus()

    def reload(self) -> None:
        super().reload()
        if self._window is not None:
            self.action_search()

    def _read(self) -> tuple[datetime, datetime, str | None, list[str]] | None:
        """The search the form describes, checked by the core's rules for a search window
        (which, unlike a booking, may start now); None after saying what is wrong."""
        feedback = self.query_one("#feedback", Static)
        now = self.reserver.now()
        try:
            start = parse_when(self.query_one("#when", Input).value, now, self.reserver.tz)
            raw_length = self.query_one("#length", Input).value
            length = parse_duration(raw_length, field="length")
            end = add_length(start, length, raw_length, "length")
            check_search_window(start, end, now)
            tags = split_tags(self.query_one("#tags", Input).value)
        except ValidationError as exc:
            self._problem = short_message(exc)
            feedback.update(f"✗ {literal(self._problem)}")
            feedback.set_class(True, "-invalid")
            return None
        window = format_window(start, end, self.reserver.tz, now=self.reserver.now())
        feedback.update(f"✓ {window}  ({format_duration(length)})")
        feedback.set_class(False, "-invalid")
        text = self.query_one("#text", Input).value.strip() or None
        return start, end, text, tags

    @on(Input.Changed)
    def _changed(self) -> None:
        self._read()

    @on(Input.Submitted)
    def action_search(self) -> None:
        """List the resources free for the whole window."""
        found = self._read()
        if found is None:
            self._show_no_results(f"Not searched: {self._problem}")
            return
        start, end, text, tags = found
        self._window = (start, end)
        self.query_one("#results", KeyedTable).loading = True
        tz, now = self.reserver.tz, self.reserver.now()

        def find(backend: Backend) -> messages.FreeResourcesFound:
            found = backend.search_resources(
                text=text, tags=tags, available_from=start, available_until=end
            )
            if found or not tags:
                return messages.FreeResourcesFound(found)
            # Nothing with the tag then: the next slot its rules allow, or the rule that
            # rules every one out (an allowance, say).
            try:
                slot = backend.next_free_slot(end - start, after=start, tag=tags[0])
            except ReserverError as exc:
                return messages.FreeResourcesFound(found, describe_error(exc, tz, now=now))
            offer = next_free_text(slot.start_time, slot.end_time, tz, now=now)
            return messages.FreeResourcesFound(found, f"{offer} on {slot.resource.name}")

        self.call_backend("find", find)

    def on_free_resources_found(self, event: messages.FreeResourcesFound) -> None:
        table = self.query_one("#results", KeyedTable)
        table.loading = False
        self._found = {str(resource.id): resource for resource in event.resources}
        table.set_rows(
            {
                key: (resource.name, ", ".join(resource.tags), resource.status.replace("_", " "))
                for key, resource in self._found.items()
            }
        )
        assert self._window is not None
        when = format_window(*self._window, self.reserver.tz, now=self.reserver.now())
        title = f"{counted(len(self._found), 'resource')} free {when}"
        if event.instead:
            title += f" — {literal(event.instead)}"
        if self._found:
            title += " — Enter or b to book"
            table.focus()
        self.query_one("#results-title", Label).update(title)

    def on_operation_failed(self, event: messages.OperationFailed) -> None:
        why = describe_error(event.error, self.reserver.tz, now=self.reserver.now())
        self._show_no_results(f"Search failed: {why}")

    def _show_no_results(self, why: str) -> None:
        """Clear the results of an earlier search, which no longer answer the form, and say why."""
        self._window = None
        self._found = {}
        table = self.query_one("#results", KeyedTable)
        table.loading = False
        table.set_rows({})
        self.query_one("#results-title", Label).update(literal(why))

    @on(KeyedTable.RowSelected)
    def action_book(self) -> None:
        """Book the highlighted resource for the searched window."""
        key = self.query_one("#results", KeyedTable).current_key
        if key is None or self._window is None or key not in self._found:
            return
        start, end = self._window
        # A search from "now" has begun by the time it is booked; a booking starts ahead.
        start = max(start, next_whole(self.reserver.now(), 5))
        self.app.push_screen(BookModal(self._found[key], start, end), self.announce("Booked"))

    def action_focus_form(self) -> None:
        """Back to the search fields."""
        self.query_one("#when", Input).focus()
