"""The status screen (F5): its count cards fit a small terminal."""

from __future__ import annotations

from .scenario import AppFactory, opened


async def test_status_card_titles_fit_an_80_column_terminal(
    seeded_url: str, make_app: AppFactory
) -> None:
    app = make_app(seeded_url)
    async with opened(app, "f5", size=(80, 24)):
        for card in app.screen.query(".count-card"):
            title = str(card.border_title)
            assert len(title) + 4 <= card.size.width, f"{title!r} is cut in {card.size.width}"
