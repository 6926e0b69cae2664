"""Held slots under concurrency, on two server replicas of one PostgreSQL database.

- 16 HTTP clients race around one slot each round: the owner of a pending request cancels
  it, its approver approves it, an admin rejects it, members book around it and the
  waiters answer the offers its release brings. Read back from the database: never two
  holders (active, pending, offered) overlapping, exactly one decision on the request,
  each waiter offered at most once, and every offer answered.
- Many clients run the upkeep at once on both replicas after the clock passes the
  deadlines of offers and requests: every lapse counted once, every freed slot offered
  to exactly the next in line (none twice, none lost), round after round. And the
  replicas' own timers, running at once, move the queue the same.

The servers are clocked (`support.clocked_server`), each replica its own clock, moved
together.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from support.clock import NOW
from support.servers import LiveServer

START = NOW + timedelta(days=1)
HOUR = timedelta(hours=1)
HOLD = 30
"""Minutes an offer is held."""
TIMEOUT = 20
"""Minutes a request waits for a decision."""
WAITERS = 8
DECLINING = {0, 1, 3, 5}
"""The waiters who turn their offer down; the others take it."""
BOOKER_OFFSETS = (-60, -30, 0, 60, 90)
"""Where the five members' one-hour bookings start, in minutes from the slot's start."""
FLEXIBLE = {WAITERS - 1: 60}
"""The waiters whose window may move (minutes either way); the others want the slot."""
ROUNDS = 6
QUIET = 0.5
"""Seconds without an answer to an offer after which a waiter with none stops looking."""


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    built = create_engine(postgres_url)
    yield built
    built.dispose()


def _replicas(factory: Callable[..., LiveServer], url: str, **env: str) -> list[LiveServer]:
    return [factory(url, now=NOW, env=env or None) for _ in range(2)]


def _set_now(servers: list[LiveServer], instant: datetime) -> None:
    for server in servers:
        server.set_now(instant)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _no_failures(servers: list[LiveServer]) -> None:
    for server in servers:
        log = server.log()
        assert "unexpected error" not in log and "Traceback" not in log, log[-5000:]


# -- what the database must hold --------------------------------------------------------------
def overlapping_holders(engine: Engine) -> list[Any]:
    """Pairs of reservations holding overlapping times of one resource."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT a.id, b.id FROM reservations a JOIN reservations b "
                    "ON a.resource_id = b.resource_id AND a.id < b.id "
                    "AND a.start_time < b.end_time AND b.start_time < a.end_time "
                    "WHERE a.status IN ('active', 'pending', 'offered') "
                    "AND b.status IN ('active', 'pending', 'offered')"
                )
            )
        )


def offers_per_entry(engine: Engine) -> Counter[int]:
    """How many offers each waitlist entry was ever made (from the offers' history)."""
    with engine.connect() as connection:
        details = connection.scalars(
            text("SELECT details FROM reservation_events WHERE action = 'offered'")
        )
        return Counter(int(d.split("from waitlist entry ")[1].split(",")[0]) for d in details)


def entries(engine: Engine, resource_id: int) -> list[Any]:
    """A resource's waitlist in line order, each with its offer's status."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT w.id, u.username, w.status, r.status AS offer_status, "
                    "r.start_time AS offer_start FROM waitlist w "
                    "JOIN users u ON u.id = w.user_id "
                    "LEFT JOIN reservations r ON r.id = w.offer_id "
                    "WHERE w.resource_id = :resource ORDER BY w.id"
                ),
                {"resource": resource_id},
            )
        )


def status_of(engine: Engine, reservation_id: int) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT status FROM reservations WHERE id = :id"), {"id": reservation_id}
            ).scalar_one()
        )


def check_entries_consistent(engine: Engine, resource_id: int) -> None:
    """Each entry's status agrees with its offer's: taken, declined, lapsed or open."""
    expected = {
        "booked": "active",
        "declined": "declined",
        "lapsed": "expired",
        "offered": "offered",
        "waiting": None,
    }
    for entry in entries(engine, resource_id):
        assert entry.offer_status == expected[entry.status], entry


# -- 16 clients around one slot ---------------------------------------------------------------
class Round:
    """One round's slot, its resource and pending request, and what each client got."""

    def __init__(self, number: int, resource_id: int, request_id: int) -> None:
        self.number = number
        self.resource_id = resource_id
        self.request_id = request_id
        self.start = START + timedelta(days=number)
        self.outcomes: dict[str, list[int]] = {}
        self.deciders_done = threading.Event()
        self.last_answer = time.monotonic()
        self.lock = threading.Lock()

    def note(self, who: str, response: httpx.Response) -> None:
        with self.lock:
            self.outcomes.setdefault(who, []).append(response.status_code)


def _window(start: datetime, offset_minutes: int = 0) -> dict[str, str]:
    begin = start + timedelta(minutes=offset_minutes)
    return {"start_time": begin.isoformat(), "end_time": (begin + HOUR).isoformat()}


def _wait_and_answer(client: httpx.Client, waiter: int, game: Round) -> None:
    """Look for an offer until one comes (then answer it) or all is quiet."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = client.get("/waitlist", params={"resource_id": game.resource_id})
        game.note(f"w{waiter} looks", found)
        (entry,) = found.json()
        if entry["status"] == "offered":
            action = "decline" if waiter in DECLINING else "accept"
            answer = client.post(f"/reservations/{entry['offer']['id']}/{action}")
            game.note(f"w{waiter} {action}", answer)
            with game.lock:
                game.last_answer = time.monotonic()
            return
        if entry["status"] != "waiting":
            return
        with game.lock:
            quiet = time.monotonic() - game.last_answer > QUIET
        if game.deciders_done.is_set() and quiet:
            return
        time.sleep(0.02)
    raise AssertionError(f"waiter {waiter} still looking after 30 s")


def _act(role: str, client: httpx.Client, game: Round) -> None:
    request = f"/reservations/{game.request_id}"
    if role == "owner":
        game.note(role, client.post(f"{request}/cancel", json={"reason": "not needed"}))
    elif role == "approver":
        game.note(role, client.post(f"{request}/approve"))
    elif role == "admin":
        game.note(role, client.post(f"{request}/reject", json={"reason": "closed"}))
    elif role.startswith("b"):
        offset = BOOKER_OFFSETS[int(role[1:])]
        body = {"resource_id": game.resource_id, **_window(game.start, offset)}
        game.note(role, client.post("/reservations", json=body))
    else:
        _wait_and_answer(client, int(role[1:]), game)


def _check_round(engine: Engine, game: Round) -> None:
    outcomes = game.outcomes
    assert all(s < 500 for statuses in outcomes.values() for s in statuses), outcomes
    decisions = {role: outcomes[role][0] for role in ("owner", "approver", "admin")}
    # Decided once: a cancel first, a rejection first, or an approval that the owner's
    # cancel may follow; whatever came after found it decided (400).
    assert decisions in (
        {"owner": 200, "approver": 400, "admin": 400},
        {"owner": 400, "approver": 400, "admin": 200},
        {"owner": 200, "approver": 200, "admin": 400},
    ), decisions
    for booker in range(len(BOOKER_OFFSETS)):
        assert outcomes[f"b{booker}"][0] in (201, 409), outcomes
    for role, statuses in outcomes.items():
        if role.endswith(("accept", "decline")):
            assert statuses == [200], (role, statuses)
    assert overlapping_holders(engine) == []
    check_entries_consistent(engine, game.resource_id)
    line = entries(engine, game.resource_id)
    assert {e.status for e in line} <= {"waiting", "booked", "declined"}, line
    fixed = [e.status for e in line if int(e.username.removeprefix("waiter-")) not in FLEXIBLE]
    final = "cancelled" if decisions["owner"] == 200 else "rejected"
    assert status_of(engine, game.request_id) == final
    # Released either way, and offered down the line: the two first decline, the third
    # takes it.
    assert fixed == ["declined", "declined", "booked"] + ["waiting"] * (len(fixed) - 3)


@pytest.mark.slow
@pytest.mark.postgres
def test_sixteen_clients_around_one_slot_never_make_two_holders(
    live_server_factory: Callable[..., LiveServer], postgres_url: str, engine: Engine
) -> None:
    servers = _replicas(live_server_factory, postgres_url)
    first = servers[0]
    admin_token = first.user("alice")
    carol = first.user("carol")
    with first.client(admin_token) as admin:
        changes = {"approval": True, "approvers": ["carol"], "offer_hold_minutes": HOLD}
        _ok(admin.patch("/policies/tags/lab", json=changes))
    roles = ["owner", "approver", "admin"]
    roles += [f"b{n}" for n in range(len(BOOKER_OFFSETS))]
    roles += [f"w{n}" for n in range(WAITERS)]
    assert len(roles) == 16
    tokens = {"owner": first.user("owner"), "approver": carol, "admin": admin_token}
    names = {"b": "booker-", "w": "waiter-"}
    tokens |= {role: first.user(names[role[0]] + role[1:]) for role in roles if role[0] in "bw"}
    # Every other client on the other replica.
    clients = {role: servers[n % 2].client(tokens[role]) for n, role in enumerate(roles)}
    barrier = threading.Barrier(len(roles))
    try:
        for number in range(ROUNDS):
            game = _setup_round(clients, number)

            def run(role: str, game: Round = game) -> None:
                barrier.wait(timeout=60)
                _act(role, clients[role], game)
                if role in ("owner", "approver", "admin"):
                    with game.lock:
                        game.last_answer = time.monotonic()
                    if all(r in game.outcomes for r in ("owner", "approver", "admin")):
                        game.deciders_done.set()

            with ThreadPoolExecutor(len(roles)) as pool:
                for done in [pool.submit(run, role) for role in roles]:
                    done.result(timeout=120)
            _check_round(engine, game)
    finally:
        for client in clients.values():
            client.close()
    assert max(offers_per_entry(engine).values()) == 1
    _no_failures(servers)


def _setup_round(clients: dict[str, httpx.Client], number: int) -> Round:
    """A fresh resource tagged `lab` (approval by carol), the owner's pending request for
    the round's slot, and the waiters in line for it."""
    admin = clients["admin"]
    room = _ok(
        admin.post("/resources", json={"name": f"Microscope {number}", "tags": ["lab"]}), 201
    )
    start = START + timedelta(days=number)
    body = {"resource_id": room["id"], **_window(start)}
    request = _ok(clients["owner"].post("/reservations", json=body), 201)
    assert request["status"] == "pending"
    for waiter in range(WAITERS):
        join = {**body, "flexible_minutes": FLEXIBLE.get(waiter, 0)}
        _ok(clients[f"w{waiter}"].post("/waitlist", json=join), 201)
    return Round(number, room["id"], request["id"])


# -- the upkeep on both replicas at once ----------------------------------------------------
LINE = 4
"""Waiters in line on each resource of the upkeep races."""
PER_KIND = 4
"""Resources whose offer lapses, and as many whose request does."""


def _queues(servers: list[LiveServer]) -> tuple[str, dict[int, list[int]]]:
    """PER_KIND resources whose slot is offered to the first of LINE waiters (its holder
    cancelled), PER_KIND whose slot a request awaiting approval holds, LINE waiting
    behind it; returns the admin's token and each resource's entries in line order."""
    first = servers[0]
    admin_token = first.user("alice")
    first.user("carol")
    holder = first.user("holder")
    waiters = [first.user(f"queued-{n}") for n in range(LINE)]
    line: dict[int, list[int]] = {}
    with first.client(admin_token) as admin, first.client(holder) as owner:
        _ok(admin.patch("/policies/tags/offer", json={"offer_hold_minutes": HOLD}))
        _ok(
            admin.patch(
                "/policies/tags/request",
                json={
                    "approval": True,
                    "approvers": ["carol"],
                    "approval_timeout_minutes": TIMEOUT,
                    "offer_hold_minutes": HOLD,
                },
            )
        )
        booked = []
        for kind in ("offer", "request"):
            for n in range(PER_KIND):
                room = _ok(
                    admin.post("/resources", json={"name": f"{kind} {n}", "tags": [kind]}), 201
                )
                body = {"resource_id": room["id"], **_window(START)}
                booked.append(_ok(owner.post("/reservations", json=body), 201))
                line[room["id"]] = []
                for token in waiters:
                    with first.client(token) as waiter:
                        line[room["id"]].append(_ok(waiter.post("/waitlist", json=body), 201)["id"])
        for reservation in booked:
            if reservation["status"] == "active":
                _ok(owner.post(f"/reservations/{reservation['id']}/cancel"))
    return admin_token, line


def _offered_to(engine: Engine, line: dict[int, list[int]]) -> dict[int, list[int]]:
    """Each resource's entries holding an open offer."""
    return {
        resource: [e.id for e in entries(engine, resource) if e.status == "offered"]
        for resource in line
    }


def _expected(line: dict[int, list[int]], wave: int) -> dict[int, list[int]]:
    """After `wave` lapses: the offer resources' slot offered to waiter `wave` (the first
    lapsed with the holder's cancel), the request resources' to waiter `wave - 1`."""
    kinds = sorted(line)
    return {
        resource: [line[resource][wave if n < PER_KIND else wave - 1]]
        for n, resource in enumerate(kinds)
    }


@pytest.mark.slow
@pytest.mark.postgres
def test_upkeep_on_two_replicas_at_once_makes_each_offer_once(
    live_server_factory: Callable[..., LiveServer], postgres_url: str, engine: Engine
) -> None:
    # The replicas' own timers stay out of the way: the clients run the upkeep.
    servers = _replicas(live_server_factory, postgres_url, RESERVER_EXPIRY_INTERVAL="3600")
    admin_token, line = _queues(servers)
    kinds = sorted(line)
    assert _offered_to(engine, line) == {r: [line[r][0]] for r in kinds[:PER_KIND]} | {
        r: [] for r in kinds[PER_KIND:]
    }
    clients = [servers[n % 2].client(admin_token) for n in range(16)]
    try:
        for wave in range(1, LINE):
            # Past the deadline of every offer and request held now.
            _set_now(servers, NOW + timedelta(minutes=(HOLD + 1) * wave))
            barrier = threading.Barrier(len(clients))

            def upkeep(client: httpx.Client, barrier: threading.Barrier = barrier) -> list[Any]:
                barrier.wait(timeout=60)
                return [_ok(client.post("/admin/cleanup-expired")) for _ in range(3)]

            with ThreadPoolExecutor(len(clients)) as pool:
                reports = [r for done in pool.map(upkeep, clients) for r in done]
            lapsed = sum(r["lapsed_count"] for r in reports)
            made = sum(r["offers_made"] for r in reports)
            assert (lapsed, made) == (2 * PER_KIND, 2 * PER_KIND), wave
            assert _offered_to(engine, line) == _expected(line, wave), wave
            assert overlapping_holders(engine) == []
            for resource in line:
                check_entries_consistent(engine, resource)
    finally:
        for client in clients:
            client.close()
    assert set(offers_per_entry(engine).values()) == {1}
    _no_failures(servers)


@pytest.mark.slow
@pytest.mark.postgres
def test_the_replicas_timers_move_the_queue_by_themselves(
    live_server_factory: Callable[..., LiveServer], postgres_url: str, engine: Engine
) -> None:
    servers = _replicas(live_server_factory, postgres_url, RESERVER_EXPIRY_INTERVAL="1")
    _, line = _queues(servers)
    for wave in range(1, LINE):
        _set_now(servers, NOW + timedelta(minutes=(HOLD + 1) * wave))
        expected = _expected(line, wave)
        deadline = time.monotonic() + 20
        while _offered_to(engine, line) != expected and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _offered_to(engine, line) == expected, wave
        assert overlapping_holders(engine) == []
    assert set(offers_per_entry(engine).values()) == {1}
    # Each replica's timer ran (past the run at its start), not only the one that won.
    for server in servers:
        with server.client() as client:
            expiry = _ok(client.get("/health"))["background_tasks"]["expiry"]
        assert expiry["running"] and expiry["runs"] > 1, expiry
        assert expiry["last_error"] is None, expiry
    _no_failures(servers)
