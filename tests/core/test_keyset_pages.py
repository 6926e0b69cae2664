"""Keyset pages in the core: the same items, order and statuses as the whole lists."""

from __future__ import annotations

from datetime import datetime, timedelta

from support.clock import NOW
from support.settings import fast_settings

from reserver_core import paging
from reserver_core.clock import FixedClock
from reserver_core.local import LocalBackend
from reserver_core.resources import STATUS_FILTERS
from reserver_core.schemas import ResourceInfo, StatusFilter


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def passes(info: ResourceInfo, wanted: str) -> bool:
    """A status filter applied to a derived status, in Python."""
    if wanted == "unavailable":
        return info.status in ("maintenance", "disabled")
    return wanted == "all" or info.status == wanted


def test_pages_and_status_filters_agree_with_the_derived_status(
    local: LocalBackend, clock: FixedClock
) -> None:
    clock.set(at(-2))
    rooms = {name: local.create_resource(name).id for name in "ABCDEFGH"}
    local.book(rooms["A"], at(-0.5), at(1))
    local.book(rooms["A"], at(1), at(2))  # a run: busy until 2
    local.book(rooms["B"], at(1), at(2))  # later: available now
    local.book(rooms["C"], at(-1), at(0.5))
    local.book(rooms["D"], at(-1), at(0.5))
    local.set_available(rooms["D"], False)  # disabled while in use
    local.book(rooms["E"], at(-1), at(3))
    clock.set(NOW)
    local.start_maintenance(rooms["E"], 1)  # maintenance while in use
    local.start_maintenance(rooms["F"], 1)
    local.set_available(rooms["F"], False)  # disabled under maintenance
    everything = local.list_resources()
    assert {info.name: info.status for info in everything} == {
        "A": "in_use",
        "B": "available",
        "C": "in_use",
        "D": "disabled",
        "E": "maintenance",
        "F": "disabled",
        "G": "available",
        "H": "available",
    }
    assert paging.collect(lambda after: local.resources_page(3, after)) == everything
    for wanted in STATUS_FILTERS:
        status: StatusFilter = wanted  # type: ignore[assignment]
        expected = [info for info in everything if passes(info, wanted)]
        assert local.search_resources(status=status) == expected, wanted
        pages = paging.collect(
            lambda after, s=status: local.search_resources_page(status=s, limit=2, after=after)
        )
        assert pages == expected, wanted


def test_keyset_pages_on_every_dialect(any_url: str) -> None:
    clock = FixedClock(NOW)
    backend = LocalBackend.open(any_url, fast_settings(), clock, username="alice")
    try:
        names = ["zeta", "Straße", "alpha", "Émile", "Beta 2", "beta 10", "ALPHA 1", "Ωmega"]
        ids = [backend.create_resource(name).id for name in names]
        everything = backend.list_resources()
        for size in (1, 2, 3, 1000):
            pages = list(paging.iter_pages(lambda after, n=size: backend.resources_page(n, after)))
            assert [info for page in pages for info in page.items] == everything, size
            assert [len(page.items) for page in pages[:-1]] == [size] * (len(pages) - 1)
        # Several reservations start at the same instant: the id breaks the tie.
        start = at(24).replace(microsecond=123456)
        for resource_id in ids[:5]:
            backend.book(resource_id, start, start + timedelta(hours=1))
        backend.book(ids[0], start + timedelta(hours=1), start + timedelta(hours=2))
        mine = backend.my_reservations()
        assert (
            paging.collect(lambda after: backend.my_reservations_page(limit=2, after=after)) == mine
        )
        assert (
            paging.collect(lambda after: backend.all_reservations_page(limit=1, after=after))
            == backend.all_reservations()
        )
        window = (start, start + timedelta(hours=3))
        assert paging.collect(
            lambda after: backend.resource_reservations_page(ids[0], *window, limit=1, after=after)
        ) == backend.resource_reservations(ids[0], *window)
    finally:
        backend.close()
