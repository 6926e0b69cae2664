"""The status screen (F5): its count cards fit a small terminal."""

from __future__ import annotations

from .scenario import AppFactory, settle


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
