"""A table of resources that renders only the rows on screen, so 10,000 rows stay instant.

Rows are kept by resource id and updated by key; the filter and the sort work
on the rows in memory, never by asking the store again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from reserver_core.display import day_label
from reserver_core.schemas import ResourceInfo, StatusFilter

SortKey = Literal["name", "status", "next"]
SORT_KEYS: tuple[SortKey, ...] = ("name", "status", "next")
SORT_LABELS = {"name": "name", "status": "status", "next": "next free"}
_STATUS_ORDER = {"available": 0, "in_use": 1, "maintenance": 2, "disabled": 3}
_STATUS_WIDTH = 25
_NEXT_WIDTH = 16
_FAR_FUTURE = datetime.max.replace(tzinfo=ZoneInfo("UTC"))


def local_clock(moment: datetime, tz: ZoneInfo, now: datetime) -> str:
    """`14:30` for a time today, `Wed 2 Dec 14:30` for another day (`Fri 1 Jan 2027 00:30`
    in another year), in `tz`."""
    local = moment.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return f"{local:%H:%M}"
    return f"{day_label(local.date(), tz, now=now)} {local:%H:%M}"


def status_text(resource: ResourceInfo, tz: ZoneInfo, now: datetime) -> str:
    """available / in use until HH:MM / maintenance / disabled."""
    if resource.status == "in_use" and resource.busy_until is not None:
        return f"in use until {local_clock(resource.busy_until, tz, now)}"
    return resource.status.replace("_", " ")


def next_free(resource: ResourceInfo) -> datetime | None:
    """When the resource can next be booked, as far as its status tells: None if never."""
    if resource.status == "available":
        return None
    if resource.status == "in_use":
        return resource.busy_until
    if resource.status == "maintenance":
        return resource.maintenance_until
    return _FAR_FUTURE


def next_free_text(resource: ResourceInfo, tz: ZoneInfo, now: datetime) -> str:
    """`now`, a local time, or `-` for a disabled resource."""
    moment = next_free(resource)
    if moment is None:
        return "now"
    if moment == _FAR_FUTURE:
        return "-"
    return local_clock(moment, tz, now)


@dataclass
class _Row:
    resource: ResourceInfo
    haystack: str
    cells: tuple[str, str, str, str] | None = None


class ResourceTable(ScrollView, can_focus=True):
    """Resources with name, tags, status and next free time; filter, sort, pick one."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "resource-table--header",
        "resource-table--cursor",
        "resource-table--tags",
        "resource-table--available",
        "resource-table--in_use",
        "resource-table--maintenance",
        "resource-table--disabled",
        "resource-table--empty",
    }

    DEFAULT_CSS = """
    ResourceTable {
        height: 1fr;
        background: $surface;
        scrollbar-gutter: stable;
    }
    ResourceTable > .resource-table--header {
        background: $panel;
        color: $text-muted;
        text-style: bold;
    }
    ResourceTable > .resource-table--cursor {
        background: $block-cursor-blurred-background;
    }
    ResourceTable:focus > .resource-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    ResourceTable > .resource-table--tags { color: $text-muted; }
    ResourceTable > .resource-table--available { color: $text-success; }
    ResourceTable > .resource-table--in_use { color: $text-warning; }
    ResourceTable > .resource-table--maintenance { color: $text-accent; }
    ResourceTable > .resource-table--disabled { color: $text-error; }
    ResourceTable > .resource-table--empty { color: $text-muted; text-style: italic; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class _AboutResource(Message):
        """A message of the table about one of its resources."""

        def __init__(self, table: ResourceTable, resource: ResourceInfo) -> None:
            super().__init__()
            self.table = table
            self.resource = resource

        @property
        def control(self) -> ResourceTable:
            return self.table

    class Highlighted(_AboutResource):
        """The cursor moved onto a resource."""

    class Selected(_AboutResource):
        """Enter (or a click on the cursor row) picked a resource."""

    def __init__(
        self,
        tz: ZoneInfo,
        now: Callable[[], datetime],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.tz = tz
        self._now = now
        self._rows: dict[int, _Row] = {}
        self._ordered: list[tuple[int, str, str]] = []
        self._visible: list[int] = []
        self._filtered_by: tuple[str, StatusFilter] | None = None
        self._text = ""
        self._status: StatusFilter = "all"
        self.sort_key: SortKey = "name"
        self.loaded = False
        self._name_width = 20

    # -- data ------------------------------------------------------------------------
    @property
    def total(self) -> int:
        """How many resources the table holds."""
        return len(self._rows)

    @property
    def shown(self) -> int:
        """How many pass the filter."""
        return len(self._visible)

    @property
    def shown_resources(self) -> tuple[ResourceInfo, ...]:
        """The resources that pass the filter, in the order the rows show them."""
        return tuple(self._rows[resource_id].resource for resource_id in self._visible)

    @property
    def current(self) -> ResourceInfo | None:
        """The resource under the cursor."""
        if 0 <= self.cursor < len(self._visible):
            return self._rows[self._visible[self.cursor]].resource
        return None

    def add_resources(
        self, resources: list[ResourceInfo], keep: Collection[int] | None = None
    ) -> None:
        """Update rows by key: change the changed ones, add the new ones and, given `keep`,
        drop every row whose id it lacks."""
        incoming = {resource.id: resource for resource in resources}
        with self.app.batch_update():
            if keep is not None:
                for gone in [resource_id for resource_id in self._rows if resource_id not in keep]:
                    del self._rows[gone]
            for resource_id, resource in incoming.items():
                row = self._rows.get(resource_id)
                if row is None or row.resource != resource:
                    haystack = f"{resource.name}\n{' '.join(resource.tags)}".casefold()
                    self._rows[resource_id] = _Row(resource, haystack)
            self.loaded = True
            self._measure()
            self._reorder()

    def _measure(self) -> None:
        longest = max((len(row.resource.name) for row in self._rows.values()), default=0)
        self._name_width = max(longest + 2, 12)

    def update_resource(self, resource: ResourceInfo) -> None:
        """Change or add one row."""
        haystack = f"{resource.name}\n{' '.join(resource.tags)}".casefold()
        self._rows[resource.id] = _Row(resource, haystack)
        self._measure()
        self._reorder()

    def set_filter(self, text: str, status: StatusFilter) -> None:
        """Show only rows whose name or tags contain every word of `text`, with `status`."""
        self._text = text
        self._status = status
        self._refilter()

    def set_sort(self, key: SortKey) -> None:
        """Order rows by name, status or next free time."""
        self.sort_key = key
        self._reorder()

    def _reorder(self) -> None:
        # Sorting is done once per data or order change; each filter keystroke
        # then only walks the ordered ids.
        rows = self._rows
        self._ordered = [
            (resource_id, rows[resource_id].resource.status, rows[resource_id].haystack)
            for resource_id in sorted(rows, key=self._sort_value)
        ]
        self._filtered_by = None
        self._refilter()

    def _refilter(self) -> None:
        keep = self.current.id if self.current else None
        text = " ".join(self._text.casefold().split())
        status = self._status
        statuses = {"maintenance", "disabled"} if status == "unavailable" else {status}
        candidates = self._ordered
        previous = self._filtered_by
        if previous is not None and previous[1] == status and text.startswith(previous[0]):
            # Typing on: the new matches are a subset of the rows shown now.
            shown = set(self._visible)
            candidates = [entry for entry in candidates if entry[0] in shown]
        words = text.split()
        if status == "all" and not words:
            visible = [entry[0] for entry in candidates]
        else:
            visible = [
                resource_id
                for resource_id, row_status, haystack in candidates
                if (status == "all" or row_status in statuses)
                and all(word in haystack for word in words)
            ]
        self._filtered_by = (text, status)
        self._visible = visible
        self.virtual_size = Size(self.size.width, len(visible) + 1)
        index = visible.index(keep) if keep is not None and keep in visible else 0
        self.cursor = min(index, max(len(visible) - 1, 0))
        self.refresh()

    def _sort_value(self, resource_id: int) -> tuple[object, ...]:
        resource = self._rows[resource_id].resource
        name = resource.name.casefold()
        if self.sort_key == "status":
            return (_STATUS_ORDER[resource.status], name)
        if self.sort_key == "next":
            moment = next_free(resource)
            return (moment is not None, moment or _FAR_FUTURE, name)
        return (name,)

    # -- cursor ------------------------------------------------------------------------
    def watch_cursor(self, cursor: int) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)
        if cursor < self.scroll_y:
            self.scroll_to(y=cursor, animate=False, immediate=True)
        elif cursor >= self.scroll_y + height:
            self.scroll_to(y=cursor - height + 1, animate=False, immediate=True)
        self.refresh()
        resource = self.current
        if resource is not None:
            self.post_message(self.Highlighted(self, resource))

    def action_cursor(self, step: int) -> None:
        """Move the cursor up or down."""
        if self._visible:
            self.cursor = max(0, min(self.cursor + step, len(self._visible) - 1))

    def action_page(self, direction: int) -> None:
        """Move the cursor by a screenful."""
        self.action_cursor(direction * max(self.scrollable_content_region.height - 2, 1))

    def action_jump(self, index: int) -> None:
        """Go to the first (0) or last (-1) row."""
        if self._visible:
            self.cursor = index % len(self._visible)

    def action_select(self) -> None:
        """Pick the resource under the cursor."""
        resource = self.current
        if resource is not None:
            self.post_message(self.Selected(self, resource))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = int(self.scroll_y) + offset.y - 1
        if 0 <= index < len(self._visible):
            if index == self.cursor or event.chain > 1:
                self.cursor = index
                self.action_select()
            else:
                self.cursor = index

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._visible) + 1)

    # -- drawing -------------------------------------------------------------------------
    def _widths(self, width: int) -> tuple[int, int, int, int]:
        # Narrow terminals give the name more room; long statuses are cut there.
        status, upcoming = (_STATUS_WIDTH, _NEXT_WIDTH) if width >= 100 else (20, 12)
        rest = max(width - status - upcoming - 4, 20)
        name = min(self._name_width, rest * 3 // 5)
        return name, rest - name, status, upcoming

    def _cells(self, row: _Row) -> tuple[str, str, str, str]:
        if row.cells is None:
            resource = row.resource
            now = self._now()
            row.cells = (
                resource.name,
                ", ".join(resource.tags),
                f"● {status_text(resource, self.tz, now)}",
                next_free_text(resource, self.tz, now),
            )
        return row.cells

    def _line(
        self, texts: tuple[str, ...], styles: tuple[Style, ...], fill: Style, width: int
    ) -> Strip:
        segments = [Segment(" ", fill)]
        for text, size, style in zip(texts, self._widths(width), styles, strict=True):
            cell = text if cell_len(text) <= size else set_cell_size(text, size - 1) + "…"
            segments.append(Segment(set_cell_size(cell, size), style))
            segments.append(Segment(" ", fill))
        return Strip(segments).extend_cell_length(width, fill).crop(0, width)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("resource-table--header")
            arrow = {key: " ▲" if key == self.sort_key else "" for key in SORT_KEYS}
            titles = (
                f"Name{arrow['name']}",
                "Tags",
                f"Status{arrow['status']}",
                f"Next free{arrow['next']}",
            )
            return self._line(titles, (header,) * 4, header, width)
        index = int(self.scroll_y) + y - 1
        if index >= len(self._visible):
            if index == 0 and self.loaded:
                empty = self.get_component_rich_style("resource-table--empty")
                message = "No resource matches the filter." if self._rows else "No resources."
                return Strip([Segment(f" {message}", empty)]).extend_cell_length(width, base)
            return Strip.blank(width, base)
        row = self._rows[self._visible[index]]
        cells = self._cells(row)
        status_style = self.get_component_rich_style(f"resource-table--{row.resource.status}")
        tags_style = self.get_component_rich_style("resource-table--tags")
        if index == self.cursor:
            cursor = self.get_component_rich_style("resource-table--cursor")
            return self._line(cells, (cursor,) * 4, cursor, width)
        return self._line(cells, (base, tags_style, status_style, base), base, width)
