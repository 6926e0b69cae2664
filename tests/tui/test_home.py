"""The resources screen (home): the table, its filter and the info line."""

from __future__ import annotations

from support.clock import NOW

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.widgets.info_line import InfoLine
from reserver_tui.widgets.resource_table import ResourceTable

from .scenario import AppFactory, opened, quick_settings, settle


async def test_book_leaves_the_footer_while_the_filter_hides_every_resource(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:

        def footer_actions() -> set[str]:
            # What the footer draws: the bindings of the focus chain that are not hidden.
            active = app.screen.active_bindings.values()
            return {item.binding.action for item in active if item.binding.show}

        assert "book" in footer_actions()
        await pilot.press("slash", *"zzz", "enter")
        await settle(pilot)
        assert "book" not in footer_actions()
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert "book" in footer_actions()


async def test_a_cut_cell_of_the_resource_table_ends_in_an_ellipsis(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, size=(60, 24)):
        table = app.screen.query_one(ResourceTable)
        first = table.render_line(1).text
        assert first.startswith(" Aurora room") and "room, me…" in first, first


async def test_a_description_over_several_lines_shows_whole_in_the_info_line(
    store_url: str, make_app: AppFactory
) -> None:
    alice = LocalBackend.open(store_url, quick_settings(), FixedClock(NOW), "alice")
    alice.create_resource("Kiln", ["lab"], "Fires to 1300 C.\nBook two slots\n\nfor glazing.")
    alice.close()
    app = make_app(store_url)
    async with opened(app):
        info = app.screen.query_one("#table-info", InfoLine).render().plain
        assert info.endswith("Kiln: Fires to 1300 C. Book two slots for glazing."), info
