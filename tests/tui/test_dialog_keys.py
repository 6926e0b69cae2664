"""Every dialog answers the same keys: Ctrl+S sends, Esc leaves, Enter in the last field sends;
confirmations never start on their destructive button."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.clock import NOW
from textual.pilot import Pilot
from textual.widgets import Button, Static

from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_tui.screens.admin_forms import ImportModal
from reserver_tui.screens.base import ReserverForm, ReserverScreen
from reserver_tui.screens.confirm import ConfirmModal
from reserver_tui.screens.home import ResourcesScreen
from reserver_tui.widgets.keyed_table import KeyedTable

from .scenario import AppFactory, at, opened, quick_settings, settle, text_of, type_into

Fill = Callable[[Pilot[object]], Awaitable[None]]
Check = Callable[[LocalBackend], bool]


def store(url: str) -> LocalBackend:
    """A second view of the store, to check what the dialog wrote."""
    return LocalBackend.open(url, quick_settings(), FixedClock(NOW), username="alice")


async def nothing(pilot: Pilot[object]) -> None:
    """Leave the dialog's fields as they open."""


def typing(selector: str, text: str) -> Fill:
    async def fill(pilot: Pilot[object]) -> None:
        await type_into(pilot, selector, text)

    return fill


def booked_borealis(backend: LocalBackend) -> bool:
    wanted = ("Borealis room", at(1, 9, 30), at(1, 10, 30))
    held = [(r.resource.name, r.start_time, r.end_time) for r in backend.my_reservations()]
    return wanted in held


def resource_named(name: str) -> Check:
    return lambda backend: any(r.name == name for r in backend.list_resources())


def status_of(name: str, status: str) -> Check:
    return lambda backend: backend.find_resource(name).status == status


def borealis_cancelled(backend: LocalBackend) -> bool:
    return any(
        r.resource.name == "Borealis room" and r.status == "cancelled"
        for r in backend.my_reservations(include_cancelled=True)
    )


def exported(backend: LocalBackend) -> bool:
    return Path("out.csv").exists()


@dataclass(frozen=True)
class Dialog:
    """How to open a dialog, fill it in, which field is its last, and what sending it did."""

    keys: tuple[str, ...]
    fill: Fill
    last_field: str
    sent: Check


DIALOGS = {
    # On Borealis room: Aurora's default window clashes with bob's booking.
    "booking": Dialog(("j", "b"), nothing, "#end", booked_borealis),
    "new_resource": Dialog(
        ("f4", "n"), typing("#name", "Lab bench"), "#enabled", resource_named("Lab bench")
    ),
    "edit_resource": Dialog(
        ("f4", "e"), typing("#name", "Aurora hall"), "#desc", resource_named("Aurora hall")
    ),
    "maintenance": Dialog(
        ("f4", "j", "m"),
        typing("#reason", "new cables"),
        "#reason",
        status_of("Borealis room", "maintenance"),
    ),
    "import": Dialog(
        ("f4", "i"), typing("#path", "good.csv"), "#skip", resource_named("Lab bench")
    ),
    "export": Dialog(("f4", "x"), typing("#path", "out.csv"), "#path", exported),
    "cancel_booking": Dialog(
        ("f3", "c"), typing("#reason", "plans changed"), "#reason", borealis_cancelled
    ),
    "disable_resource": Dialog(
        ("f4", "d"), nothing, "#cancel", status_of("Aurora room", "disabled")
    ),
}


async def open_dialog(pilot: Pilot[object], dialog: Dialog) -> ReserverScreen:
    """Open the dialog from its screen; the screen it opened over."""
    Path("good.csv").write_text("name,tags\nLab bench,lab\n")
    for key in dialog.keys[:-1]:
        await pilot.press(key)
        await settle(pilot)
    underneath = pilot.app.screen
    assert isinstance(underneath, ReserverScreen)
    await pilot.press(dialog.keys[-1])
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReserverForm)
    await dialog.fill(pilot)
    return underneath


@pytest.mark.parametrize("name", list(DIALOGS))
async def test_ctrl_s_sends_every_dialog(name: str, seeded_url: str, make_app: AppFactory) -> None:
    dialog = DIALOGS[name]
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await open_dialog(pilot, dialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
    check = store(seeded_url)
    try:
        assert dialog.sent(check), name
    finally:
        check.close()


@pytest.mark.parametrize("name", list(DIALOGS))
async def test_escape_leaves_every_dialog_unsent(
    name: str, seeded_url: str, make_app: AppFactory
) -> None:
    dialog = DIALOGS[name]
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        underneath = await open_dialog(pilot, dialog)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is underneath
    check = store(seeded_url)
    try:
        assert not dialog.sent(check), name
    finally:
        check.close()


@pytest.mark.parametrize("name", [name for name in DIALOGS if name != "disable_resource"])
async def test_enter_in_the_last_field_sends_the_form(
    name: str, seeded_url: str, make_app: AppFactory
) -> None:
    dialog = DIALOGS[name]
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await open_dialog(pilot, dialog)
        app.screen.query_one(dialog.last_field).focus()
        await pilot.press("enter")
        await settle(pilot)
    check = store(seeded_url)
    try:
        assert dialog.sent(check), name
    finally:
        check.close()


async def test_enter_on_the_enabled_checkbox_sends_without_unticking_it(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app) as pilot:
        await open_dialog(pilot, DIALOGS["new_resource"])
        app.screen.query_one("#enabled").focus()
        await pilot.press("enter")
        await settle(pilot)
    check = store(seeded_url)
    try:
        assert check.find_resource("Lab bench").available
    finally:
        check.close()


@pytest.mark.parametrize("send", [("enter",), ("ctrl+s",), ("tab", "enter"), ("tab", "ctrl+s")])
async def test_a_rejected_import_sends_again_after_ticking_skip(
    send: tuple[str, ...], seeded_url: str, make_app: AppFactory
) -> None:
    Path("bad.csv").write_text("name,tags\nLab bench,lab\n,empty\n")
    app = make_app(seeded_url)
    async with opened(app, "f4", "i") as pilot:
        assert isinstance(app.screen, ImportModal)
        await type_into(pilot, "#path", "bad.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#rejected", KeyedTable).display
        await pilot.press("tab", "space")
        assert app.screen.query_one("#skip").value  # type: ignore[attr-defined]
        # The tab lands on the list of the lines rejected before.
        await pilot.press(*send)
        await settle(pilot)
        feedback = text_of(app.screen.query_one("#feedback", Static))
        assert feedback == "✓ Imported 1 resource; skipped 1 bad line:", feedback


@pytest.mark.parametrize(("keys", "first"), [(("f4", "d"), "#cancel"), (("f3", "c"), "#reason")])
async def test_a_confirmation_never_starts_on_its_destructive_button(
    keys: tuple[str, ...], first: str, seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, *keys):
        assert isinstance(app.screen, ConfirmModal)
        assert app.focused is app.screen.query_one(first)
        assert app.screen.query_one("#yes", Button).variant == "error"


async def test_enter_in_an_empty_reason_goes_to_the_harmless_button_and_cancels_nothing(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f3", "c") as pilot:
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert app.focused is app.screen.query_one("#cancel")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal)
    check = store(seeded_url)
    try:
        assert not borealis_cancelled(check)
    finally:
        check.close()


async def test_enter_presses_the_focused_button_of_a_confirmation(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f4", "d") as pilot:
        underneath = app.screen_stack[-2]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is underneath
        check = store(seeded_url)
        assert check.find_resource("Aurora room").available
        check.close()
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("shift+tab")
        assert app.focused is app.screen.query_one("#yes")
        await pilot.press("enter")
        await settle(pilot)
    check = store(seeded_url)
    try:
        assert not check.find_resource("Aurora room").available
    finally:
        check.close()


@pytest.mark.parametrize("detour", [(), ("f3",)])
async def test_f1_goes_to_the_resource_list_not_the_last_week_view(
    detour: tuple[str, ...], seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "enter", *detour) as pilot:
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, ResourcesScreen)
