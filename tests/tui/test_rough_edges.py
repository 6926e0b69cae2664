"""Rough edges found by using the app by hand, each pinned so it stays fixed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Footer, Input, ProgressBar, Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.app import ReserverApp
from reserver_tui.palette import palette_actions
from reserver_tui.screens.book import BookModal
from reserver_tui.screens.confirm import ConfirmModal
from reserver_tui.screens.help import HelpScreen
from reserver_tui.screens.login import LoginScreen
from reserver_tui.widgets.info_line import InfoLine
from reserver_tui.widgets.keyed_table import KeyedTable
from reserver_tui.widgets.resource_table import ResourceTable
from reserver_tui.widgets.week_grid import WeekGrid

from .scenario import NOW, TZ, AppFactory, fill_booking, quick_settings, settle, type_into

SIZE = (120, 36)


def text_of(widget: Static) -> str:
    """The plain text a Static shows."""
    return str(widget.render())


async def test_an_end_in_hours_and_minutes_is_a_length(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BookModal)
        await type_into(pilot, "#day", "tomorrow")
        await type_into(pilot, "#start", "14:00")
        feedback = app.screen.query_one("#feedback", Static)
        lengths = (("1h30m", "14:00-15:30"), ("2h15m", "14:00-16:15"), ("90m", "14:00-15:30"))
        for length, window in lengths:
            await type_into(pilot, "#end", length)
            assert f"Wed 2 Dec {window} CET" in text_of(feedback), (length, text_of(feedback))


async def test_my_reservations_opens_with_the_list_under_the_keys(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        upcoming = app.screen.query_one("#table-upcoming", KeyedTable)
        assert app.focused is upcoming
        await pilot.press("j", "c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "Cedar booth" in text_of(app.screen.query_one("#question", Static))


async def test_the_palette_does_not_lead_past_the_login(live_server: Any) -> None:
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        titles = [title for title, _help, _run in palette_actions(app, app.screen)]
        assert "Find a free slot" not in titles and "Help" in titles
        await pilot.press("ctrl+p", *"find a free")
        await pilot.pause(0.3)
        await pilot.press("enter", "escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)


async def test_help_lists_the_bracket_keys_of_the_week_view(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        lines = text_of(app.screen.query_one("#help-text", Static)).splitlines()
        assert f"  {'[':<22} Prev week" in lines
        assert f"  {']':<22} Next week" in lines


async def test_the_week_fits_a_small_terminal_and_follows_the_cursor(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        grid = app.screen.query_one(WeekGrid)
        pane = app.screen.query_one("#grid-pane", VerticalScroll)
        assert 6 + 7 * grid._column_width() <= grid.content_region.width, "all seven days show"
        for _ in range(len(grid._times)):
            await pilot.press("j")
        await pilot.pause()
        assert grid.current is not None and grid.row == len(grid._times) - 1
        line = grid.virtual_region.y + 1 + grid.row
        assert pane.scroll_y <= line < pane.scroll_y + pane.scrollable_content_region.height


async def test_status_card_titles_fit_an_80_column_terminal(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        for card in app.screen.query(".count-card"):
            title = str(card.border_title)
            assert len(title) + 4 <= card.size.width, f"{title!r} is cut in {card.size.width}"


async def test_book_leaves_the_footer_while_the_filter_hides_every_resource(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

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


async def test_import_and_export_end_without_a_stale_progress_bar(
    seeded_url: str, make_app: AppFactory, tmp_path: Path
) -> None:
    duplicates = tmp_path / "dup.csv"
    duplicates.write_text("name,tags\nAurora room,room\n")
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        await type_into(pilot, "#path", duplicates.name)
        await pilot.click("#skip")
        await pilot.click("#import")
        await settle(pilot)
        assert "Imported 0 resources" in text_of(app.screen.query_one("#feedback", Static))
        assert not app.screen.query_one(ProgressBar).display, "a finished import shows no 0% bar"
        await pilot.press("escape", "x")
        await pilot.pause()
        await type_into(pilot, "#path", "out.csv")
        await pilot.press("enter")
        await settle(pilot)
        await type_into(pilot, "#path", "missing/out.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert "cannot write" in text_of(app.screen.query_one("#feedback", Static))
        assert not app.screen.query_one(ProgressBar).display, "no 100% bar of the earlier export"


async def test_a_slot_of_ones_own_points_to_the_screen_by_its_name(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")  # Borealis room: alice's on Wednesday 14:00 CET
        await settle(pilot)
        grid = app.screen.query_one(WeekGrid)
        await pilot.press("l", *["j"] * (grid._times.index("14:00") - grid.row), "enter")
        await pilot.pause()
        assert grid.current is not None and grid.current.state == "mine"
        messages = [n.message for n in app._notifications]
        assert any("under My reservations (F3)" in m for m in messages), messages


async def test_admin_says_disabled_once(seeded_url: str, make_app: AppFactory) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("slash", *"old van", "enter")
        await pilot.pause()
        info = app.screen.query_one("#admin-info", InfoLine)
        assert str(info.text).count("disabled") == 1, info.text


async def test_a_taken_username_is_said_once_beside_the_form(live_server: Any) -> None:
    live_server.register("carol", "carol-password-1")
    app = ReserverApp(quick_settings(tz=TZ, server=live_server.url))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_into(pilot, "#username", "carol")
        await type_into(pilot, "#password", "another-password-2")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "is taken" in text_of(app.screen.query_one("#feedback", Static))
        assert not [n.message for n in app._notifications if "is taken" in n.message]


async def test_question_mark_in_the_booking_form_opens_the_help_it_points_to(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await pilot.pause()
        await type_into(pilot, "#start", "25:00x")
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert "press ? for the accepted forms" in feedback
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BookModal)
        assert app.screen.query_one("#start", Input).value == "25:00x"


async def test_wide_dialogs_stay_inside_an_80_column_terminal(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for keys in (["question_mark"], ["f4", "i"], ["f3", "h"]):
            await pilot.press(*keys)
            await settle(pilot)
            dialog = app.screen.query_one("#dialog")
            assert dialog.region.right <= 80, (keys, dialog.region)
            await pilot.press("escape")
            await settle(pilot)


async def test_a_cut_cell_of_the_resource_table_ends_in_an_ellipsis(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=(60, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(ResourceTable)
        first = table.render_line(1).text
        assert first.startswith(" Aurora room") and "room, me…" in first, first


def footer_keys_cut(app: ReserverApp) -> list[str]:
    """The footer's keys that do not fully show left of the palette key."""
    footer = app.screen.query_one(Footer)
    keys = list(footer.query("FooterKey"))
    palette = [key for key in keys if key.has_class("-command-palette")]
    limit = palette[0].region.x if palette else footer.region.right
    return [
        str(key.render()).strip()
        for key in keys
        if key not in palette and (key.region.width == 0 or key.region.right > limit)
    ]


@pytest.mark.parametrize("username", ["alice", "bob"])
async def test_every_footer_key_of_the_main_screens_shows_at_120_columns(
    seeded_url: str, make_app: AppFactory, username: str
) -> None:
    app = make_app(seeded_url, username)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        cut: dict[str, list[str]] = {}
        for keys in (["f1"], ["enter"], ["escape", "f2"], ["f3"], ["f4"], ["f5"]):
            await pilot.press(*keys)
            await settle(pilot)
            cut[type(app.screen).__name__] = footer_keys_cut(app)
        assert len(cut) == (6 if username == "alice" else 5), cut
        assert not any(cut.values()), cut


async def test_the_history_shows_the_booked_window_in_local_time(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        events = app.screen.query_one("#events", KeyedTable)
        created = [str(cell) for cell in events.get_row_at(events.row_count - 1)]
        assert created[1] == "created" and created[3] == "Wed 2 Dec 14:00-15:00 CET", created


async def test_an_unreadable_start_in_find_points_to_the_help_in_one_line(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await type_into(pilot, "#when", "yesterday 10:00")
        feedback = app.screen.query_one("#feedback", Static)
        assert text_of(feedback) == (
            "✗ cannot read 'yesterday 10:00' as a time (press ? for the accepted forms)"
        )
        assert feedback.size.height == 1
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_a_file_that_cannot_be_read_or_written_is_said_once_beside_the_path(
    seeded_url: str, make_app: AppFactory, tmp_path: Path
) -> None:
    (tmp_path / "bad.csv").write_text("name,tags\n,empty\n")
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        await type_into(pilot, "#path", "bad.csv")
        await pilot.press("enter")
        await settle(pilot)
        rejected = app.screen.query_one("#rejected", KeyedTable)
        feedback = app.screen.query_one("#feedback", Static)
        assert rejected.display
        await pilot.press("ctrl+u", "enter")
        await settle(pilot)
        assert text_of(feedback) == "✗ give the path of a CSV file"
        assert not rejected.display, "the lines of the file before are gone"
        await type_into(pilot, "#path", "missing.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert "cannot read missing.csv" in text_of(feedback)
        await pilot.press("escape", "x")
        await pilot.pause()
        await type_into(pilot, "#path", "missing/out.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert "cannot write" in text_of(app.screen.query_one("#feedback", Static))
        assert not [n.message for n in app._notifications], "said beside the path only"


async def test_the_palette_key_covers_the_footer_to_the_right_edge(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        palette = app.screen.query_one(Footer).query_one(".-command-palette")
        # Else the footer's cut-off keys show through the last column ("^p palettes").
        assert palette.region.right == 80, palette.region


async def test_a_length_past_the_last_supported_date_is_an_error_not_a_crash(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill_booking(pilot, "9999-12-31", "22:00", "2h")
        await pilot.pause()
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✗ ") and "supported" in feedback, feedback
        await pilot.press("escape", "f2")
        await settle(pilot)
        await type_into(pilot, "#when", "9999-12-31 22:00")
        await type_into(pilot, "#length", "1d")
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✗ ") and "supported" in feedback, feedback


async def test_the_everyone_key_offers_the_view_that_is_not_showing(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)

        def offered() -> tuple[str, list[str]]:
            shown = app.screen.active_bindings["a"].binding.description
            titles = [title for title, _help, _run in palette_actions(app, app.screen)]
            return shown, [t for t in titles if t in {"Everyone's", "Only mine"}]

        upcoming = app.screen.query_one("#table-upcoming", KeyedTable)
        assert offered() == ("Everyone's", ["Everyone's"]) and upcoming.row_count == 2
        await pilot.press("a")
        await settle(pilot)
        assert offered() == ("Only mine", ["Only mine"]) and upcoming.row_count == 4
        assert app.screen.title == "reserver · everyone's reservations"
        await pilot.press("a")
        await settle(pilot)
        assert offered() == ("Everyone's", ["Everyone's"]) and upcoming.row_count == 2
        assert app.screen.title is None


async def test_a_conflict_in_a_small_terminal_shows_how_to_take_the_next_slot(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await fill_booking(pilot, "today", "11:30", "1h")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause()
        dialog = app.screen.query_one("#dialog")
        button = app.screen.query_one("#take-next")
        assert dialog.content_region.contains_region(button.region), (button.region, dialog)
        shown = app.screen.active_bindings["n"]
        assert shown.binding.show and shown.binding.description == "Take next free"


async def test_brackets_in_names_descriptions_and_typed_text_show_as_typed(
    store_url: str, make_app: AppFactory
) -> None:
    name = "Lab [/b] bench"
    description = "Ask [link=x]Ann[/] first [/red]"
    settings = quick_settings(tz=TZ)
    alice = LocalBackend.open(store_url, settings, FixedClock(NOW - timedelta(hours=1)), "alice")
    bench = alice.create_resource(name, ["lab"], description).id
    alice.book(bench, NOW + timedelta(hours=3), NOW + timedelta(hours=4))
    alice.close()
    app = make_app(store_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        info = app.screen.query_one("#table-info", InfoLine)
        assert f"{name}: {description}" in info.render().plain
        await pilot.press("enter")
        await settle(pilot)
        title = text_of(app.screen.query_one("#detail-title", Static))
        assert name in title and description in title
        await pilot.press("escape", "b")
        await pilot.pause()
        await type_into(pilot, "#start", "[/b]")
        assert "cannot read '[/b]'" in text_of(app.screen.query_one("#feedback", Static))
        await type_into(pilot, "#day", "today")
        await type_into(pilot, "#start", "13:00")
        await type_into(pilot, "#end", "1h")
        await pilot.press("enter")
        await settle(pilot)
        conflict = text_of(app.screen.query_one("#conflict", Static))
        assert f"{name} is already booked" in conflict
        await pilot.press("n")
        await settle(pilot)
        assert any(name in n.message for n in app._notifications)
        await pilot.press("f3")
        await settle(pilot)
        upcoming = app.screen.query_one("#table-upcoming", KeyedTable)
        assert str(upcoming.get_row_at(0)[1]) == name
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"[/i] moved", "enter")
        await settle(pilot)
        await pilot.press("3", "h")
        await settle(pilot)
        events = app.screen.query_one("#events", KeyedTable)
        assert str(events.get_row_at(0)[3]) == "[/i] moved"
        assert name in text_of(app.screen.query_one("#history-summary", Static))
        await pilot.press("escape", "f4", "e")
        await settle(pilot)
        assert app.is_running


async def test_the_week_grid_names_its_month(seeded_url: str, make_app: AppFactory) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        grid = app.screen.query_one(WeekGrid)

        def header() -> str:
            return grid.render().plain.splitlines()[0]

        assert header().startswith("Dec   Tue 1 "), header()
        await pilot.press(*["right_square_bracket"] * 5)
        await settle(pilot)
        assert header().startswith("Jan   Tue 5 "), header()


async def test_an_unreadable_day_is_blamed_on_the_day_field(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await pilot.pause()
        await type_into(pilot, "#start", "10:00")
        await type_into(pilot, "#day", "tomorow")
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✗ cannot read the day 'tomorow'; give today"), feedback
        await type_into(pilot, "#day", "tomorrow")
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback.startswith("✓ Wed 2 Dec 10:00-"), feedback


async def test_a_description_over_several_lines_shows_whole_in_the_info_line(
    store_url: str, make_app: AppFactory
) -> None:
    alice = LocalBackend.open(store_url, quick_settings(), FixedClock(NOW), "alice")
    alice.create_resource("Kiln", ["lab"], "Fires to 1300 C.\nBook two slots\n\nfor glazing.")
    alice.close()
    app = make_app(store_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        info = app.screen.query_one("#table-info", InfoLine).render().plain
        assert info.endswith("Kiln: Fires to 1300 C. Book two slots for glazing."), info
