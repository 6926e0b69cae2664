"""Waitlists and offers: who waits for a taken window, and how a released slot is offered.

An offer is a reservation `offered` to the first waiting entry whose window is free: it
holds the slot as a booking does (`models.HOLDS_SLOT`) until its taker accepts
(`active`), declines, or lets `decide_by` pass, and then the next in line is offered it.
`offer_next` is the one routine that makes offers; whatever releases a slot calls it in
its own transaction, and the upkeep calls it for every resource with someone waiting, so
an offer lost to a crash is made on the next run. It locks the resource row first, as a
booking does, so no booking and no second offer can take the slot meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.orm import Session

from reserver_core import booking, inbox, policy
from reserver_core.booking_statements import INSERT_EVENT, LOCK_RESOURCE, RESOURCE_TO_BOOK
from reserver_core.display import describe_window
from reserver_core.errors import (
    AlreadyExistsError,
    ForbiddenError,
    NotFoundError,
    PolicyError,
    StateError,
    UnavailableError,
    ValidationError,
)
from reserver_core.models import HOLDS_SLOT, Reservation, Resource, User, WaitlistEntry
from reserver_core.reservations import load_reservations
from reserver_core.resources import load_resources
from reserver_core.schemas import UserInfo, WaitlistInfo
from reserver_core.settings import Settings

MAX_FLEXIBLE = timedelta(hours=24)
_WAITING = ("waiting", "offered")
_INSERT_RESERVATION = insert(cast(Table, Reservation.__table__))
_INSERT_ENTRY = insert(cast(Table, WaitlistEntry.__table__))


# -- joining and leaving ------------------------------------------------------------------
def join(
    connection: Connection,
    user: UserInfo,
    resource_id: int,
    start: datetime,
    end: datetime,
    flexible_minutes: int,
    note: str,
    now: datetime,
    settings: Settings,
) -> int:
    """Put `user` in line for `[start, end)` (or as long a window starting up to
    `flexible_minutes` earlier or later) on a resource that is taken then; returns the
    entry's id.

    Refused: a window a booking could take now (book it instead), one the resource's
    policy refuses whoever waits, and a second place in line for overlapping times.
    """
    booking.check_window(start, end, now)
    # Checked as a number: a timedelta of a huge one overflows.
    if not 0 <= flexible_minutes <= MAX_FLEXIBLE / timedelta(minutes=1):
        raise ValidationError("the flexibility is 0 to 24 hours", "flexible_minutes")
    connection.execute(LOCK_RESOURCE, {"resource_id": resource_id})
    resource = _resource(connection, resource_id, now, start, end)
    if not resource.enabled:
        raise UnavailableError(f"{resource.name} is disabled and cannot be booked")
    rules = _rules(connection, resource, settings)
    policy.check_window_rules(rules, start, end, now)
    if _free_start(connection, resource, start, end - start, timedelta(0), now) is not None:
        raise StateError(
            f"{resource.name} is free {describe_window(start, end)}: book it instead of waiting"
        )
    mine = connection.execute(
        select(WaitlistEntry.id).where(
            WaitlistEntry.resource_id == resource_id,
            WaitlistEntry.user_id == user.id,
            WaitlistEntry.status.in_(_WAITING),
            WaitlistEntry.start_time < end,
            WaitlistEntry.end_time > start,
        )
    ).first()
    if mine is not None:
        raise AlreadyExistsError(
            f"you already wait for {resource.name} at that time (waitlist entry {mine.id})",
            "start_time",
        )
    result = connection.execute(
        _INSERT_ENTRY,
        {
            "resource_id": resource_id,
            "user_id": user.id,
            "start_time": start,
            "end_time": end,
            "flexible_minutes": flexible_minutes,
            "status": "waiting",
            "note": note,
            "created_at": now,
        },
    )
    return int(cast(tuple[int], result.inserted_primary_key)[0])


def leave(session: Session, user: UserInfo, entry_id: int) -> None:
    """Take a waiting entry out of line; its owner or an admin only. An entry holding an
    offer leaves by declining the offer."""
    entry = entry_row(session, entry_id, user, lock=True)
    if entry.status == "offered":
        raise StateError(
            f"waitlist entry {entry_id} holds an offer (reservation {entry.offer_id}): "
            "decline it instead"
        )
    if entry.status != "waiting":
        raise StateError(f"waitlist entry {entry_id} is no longer waiting ({entry.status})")
    entry.status = "left"


def entry_row(session: Session, entry_id: int, user: UserInfo, lock: bool = False) -> WaitlistEntry:
    """The entry's row, locked when asked; NotFoundError, or ForbiddenError when it is
    someone else's and `user` is not an admin."""
    query = select(WaitlistEntry).where(WaitlistEntry.id == entry_id)
    found = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if found is None:
        raise NotFoundError(f"waitlist entry {entry_id} not found")
    if found.user_id != user.id and not user.is_admin:
        raise ForbiddenError(f"access denied: waitlist entry {entry_id} is someone else's")
    return found


# -- reading ------------------------------------------------------------------------------
def entries(
    session: Session,
    user: UserInfo,
    now: datetime,
    everyone: bool = False,
    resource_id: int | None = None,
    entry_ids: Sequence[int] | None = None,
) -> list[WaitlistInfo]:
    """Waitlist entries, newest first: the user's own, or (admin, `everyone`) all, with
    their place in line; of one resource when `resource_id` is given."""
    if everyone and not user.is_admin:
        raise ForbiddenError("access denied: only an admin may see who else waits")
    query = select(WaitlistEntry, User.username).join(User, User.id == WaitlistEntry.user_id)
    if not everyone:
        query = query.where(WaitlistEntry.user_id == user.id)
    if resource_id is not None:
        query = query.where(WaitlistEntry.resource_id == resource_id)
    if entry_ids is not None:
        query = query.where(WaitlistEntry.id.in_(list(entry_ids)))
    rows = session.execute(query.order_by(WaitlistEntry.id.desc()).limit(1000)).all()
    if not rows:
        return []
    resource_ids = {row.WaitlistEntry.resource_id for row in rows}
    infos = {r.id: r for r in load_resources(session, now, [_resource_in(resource_ids)])}
    offer_ids = [row.WaitlistEntry.offer_id for row in rows if row.WaitlistEntry.offer_id]
    offers = {
        r.id: r
        for r in (
            load_reservations(session, now, [Reservation.id.in_(offer_ids)]) if offer_ids else []
        )
    }
    return [
        WaitlistInfo(
            id=entry.id,
            resource=infos[entry.resource_id],
            user_id=entry.user_id,
            username=username,
            start_time=entry.start_time,
            end_time=entry.end_time,
            flexible_minutes=entry.flexible_minutes,
            status=entry.status,  # type: ignore[arg-type]
            created_at=entry.created_at,
            position=_position(session.connection(), entry) if entry.status == "waiting" else None,
            offer=offers.get(entry.offer_id)
            if entry.status == "offered" and entry.offer_id
            else None,
            note=entry.note,
        )
        for entry, username in rows
    ]


def _resource_in(ids: set[int]) -> Any:
    return Resource.id.in_(list(ids))


def _position(connection: Connection, entry: Any) -> int:
    """The entry's place in line: 1 + those before it still waiting for overlapping times
    (one holding an offer is out of the line: if it lapses or is declined, the next
    waiting is offered it)."""
    reach = timedelta(minutes=entry.flexible_minutes)
    ahead = connection.execute(
        select(func.count()).where(
            WaitlistEntry.resource_id == entry.resource_id,
            WaitlistEntry.status == "waiting",
            WaitlistEntry.id < entry.id,
            WaitlistEntry.start_time < entry.end_time + reach,
            WaitlistEntry.end_time > entry.start_time - reach,
        )
    ).scalar_one()
    return int(ahead) + 1


# -- offers -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Offered:
    """An offer made: the reservation, its taker and its window."""

    reservation_id: int
    user_id: int
    start: datetime
    end: datetime
    decide_by: datetime


def offer_next(
    connection: Connection,
    resource_id: int,
    now: datetime,
    settings: Settings,
    *,
    lock: bool = True,
) -> list[Offered]:
    """Offer the resource's free time to those waiting, first in line first: each waiting
    entry whose window (within its flexibility) is free and that its policy allows gets
    an `offered` reservation held for the policy's `offer_hold` (never past its start).
    Entries whose window has passed are dropped. Returns the offers made.

    Takes the resource's row lock unless the caller holds it (`lock=False`)."""
    if lock:
        connection.execute(LOCK_RESOURCE, {"resource_id": resource_id})
    waiting = connection.execute(
        select(WaitlistEntry)
        .where(WaitlistEntry.resource_id == resource_id, WaitlistEntry.status == "waiting")
        .order_by(WaitlistEntry.id)
    ).all()
    if not waiting:
        return []
    made: list[Offered] = []
    resource = None
    rules = None
    for entry in waiting:
        reach = timedelta(minutes=entry.flexible_minutes)
        if entry.start_time + reach <= now:
            connection.execute(
                update(WaitlistEntry).where(WaitlistEntry.id == entry.id).values(status="expired")
            )
            continue
        if resource is None:
            resource = _resource(connection, resource_id, now, entry.start_time, entry.end_time)
            rules = _rules(connection, resource, settings)
        assert rules is not None
        if not resource.enabled:
            return made
        length = entry.end_time - entry.start_time
        start = _free_start(connection, resource, entry.start_time, length, reach, now)
        if start is None:
            continue
        end = start + length
        if not _allowed(connection, rules, resource, entry.user_id, start, end, now):
            continue
        decide_by = min(now + timedelta(minutes=rules.offer_hold), start)
        offered = _make_offer(connection, entry, resource.name, start, end, decide_by, now)
        made.append(offered)
    return made


def _make_offer(
    connection: Connection,
    entry: Any,
    name: str,
    start: datetime,
    end: datetime,
    decide_by: datetime,
    now: datetime,
) -> Offered:
    result = connection.execute(
        _INSERT_RESERVATION,
        {
            "resource_id": entry.resource_id,
            "user_id": entry.user_id,
            "start_time": start,
            "end_time": end,
            "status": "offered",
            "created_at": now,
            "decide_by": decide_by,
            "note": entry.note,
        },
    )
    reservation_id = int(cast(tuple[int], result.inserted_primary_key)[0])
    connection.execute(
        INSERT_EVENT,
        {
            "reservation_id": reservation_id,
            "action": "offered",
            "actor_id": None,
            "at": now,
            "details": f"{describe_window(start, end)} from waitlist entry {entry.id}, "
            f"to answer by {decide_by:%Y-%m-%d %H:%M} UTC",
        },
    )
    connection.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry.id)
        .values(status="offered", offer_id=reservation_id)
    )
    inbox.notify(
        connection,
        [entry.user_id],
        "offer",
        f"{name} is free for you {describe_window(start, end)}: accept reservation "
        f"{reservation_id} by {decide_by:%Y-%m-%d %H:%M} UTC, or it goes to the next in line",
        now,
        reservation_id=reservation_id,
        deadline=decide_by,
    )
    return Offered(reservation_id, entry.user_id, start, end, decide_by)


def _allowed(
    connection: Connection,
    rules: policy.Rules,
    resource: Any,
    user_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
) -> bool:
    """Whether the waiter's own booking of `[start, end)` would pass the resource's rules
    and (a member's) allowances."""
    role = connection.execute(policy.LOCK_USER, {"user_id": user_id}).one().role
    try:
        booking.check_bookable(resource, start, end)
        policy.check_window_rules(rules, start, end, now)
        if role != "admin":
            policy.check_allowances(connection, rules, user_id, start, end, now)
    except (PolicyError, UnavailableError):
        return False
    return True


def _free_start(
    connection: Connection,
    resource: Any,
    start: datetime,
    length: timedelta,
    reach: timedelta,
    now: datetime,
) -> datetime | None:
    """The free start nearest `start` (the earlier on a tie) within `reach` either side,
    not before the next whole minute, where `length` fits between what holds the
    resource and its maintenance; None when there is none."""
    earliest = max(start - reach, (now + timedelta(minutes=1)).replace(second=0, microsecond=0))
    latest = start + reach
    if earliest > latest:
        return None
    busy = [
        (row.start_time, row.end_time)
        for row in connection.execute(
            select(Reservation.start_time, Reservation.end_time).where(
                Reservation.resource_id == resource.id,
                HOLDS_SLOT,
                Reservation.start_time < latest + length,
                Reservation.end_time > earliest,
            )
        )
    ]
    if resource.unavailable_since is not None and resource.maintenance_until is not None:
        busy.append((resource.unavailable_since, resource.maintenance_until))
    candidates = {
        start,
        earliest,
        latest,
        *(last for _, last in busy),
        *(s - length for s, _ in busy),
    }
    fitting = [
        c
        for c in candidates
        if earliest <= c <= latest and all(c >= last or c + length <= first for first, last in busy)
    ]
    if not fitting:
        return None
    best: datetime = min(fitting, key=lambda c: (abs(c - start), c))
    return best


def _resource(
    connection: Connection, resource_id: int, now: datetime, start: datetime, end: datetime
) -> Any:
    row = connection.execute(
        RESOURCE_TO_BOOK, {"resource_id": resource_id, "now": now, "start": start, "end": end}
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"resource {resource_id} not found")
    return row


def _rules(connection: Connection, resource: Any, settings: Settings) -> policy.Rules:
    tags = resource.tag_list.split(",") if resource.tag_list else []
    return policy.load_rules(connection, resource.id, resource.name, tags, settings)


# -- answering ------------------------------------------------------------------------------
def _offer(connection: Connection, reservation_id: int, user: UserInfo, now: datetime) -> Any:
    """The offered reservation, locked; only its taker (or an admin) answers it."""
    row = connection.execute(
        select(
            Reservation.id,
            Reservation.user_id,
            Reservation.resource_id,
            Reservation.status,
            Reservation.decide_by,
            Reservation.start_time,
            Reservation.end_time,
        )
        .where(Reservation.id == reservation_id)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"reservation {reservation_id} not found")
    if row.user_id != user.id and not user.is_admin:
        raise ForbiddenError(f"access denied: the offer {reservation_id} is someone else's")
    if row.status != "offered":
        lapsed = connection.execute(
            select(WaitlistEntry.id).where(
                WaitlistEntry.offer_id == reservation_id, WaitlistEntry.status == "lapsed"
            )
        ).first()
        if lapsed is not None:
            raise StateError(f"the offer {reservation_id} lapsed: it was not answered in time")
        raise StateError(f"reservation {reservation_id} is not an open offer ({row.status})")
    if row.decide_by is not None and row.decide_by <= now:
        raise StateError(f"the offer {reservation_id} lapsed at {row.decide_by:%Y-%m-%d %H:%M} UTC")
    return row


def accept(connection: Connection, user: UserInfo, reservation_id: int, now: datetime) -> None:
    """Take an offered slot: the reservation becomes `active` (it held the slot)."""
    row = _offer(connection, reservation_id, user, now)
    connection.execute(
        update(Reservation)
        .where(Reservation.id == reservation_id)
        .values(status="active", decide_by=None)
    )
    connection.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.offer_id == reservation_id)
        .values(status="booked")
    )
    booking.write_event(
        connection,
        reservation_id,
        "accepted",
        user.id,
        now,
        describe_window(row.start_time, row.end_time),
    )


def decline(
    connection: Connection,
    user: UserInfo,
    reservation_id: int,
    now: datetime,
    settings: Settings,
) -> list[Offered]:
    """Turn an offer down: the slot goes to the next in line (the offers made)."""
    row = _offer(connection, reservation_id, user, now)
    connection.execute(
        update(Reservation)
        .where(Reservation.id == reservation_id)
        .values(status="declined", decide_by=None, cancelled_at=now)
    )
    connection.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.offer_id == reservation_id)
        .values(status="declined")
    )
    booking.write_event(connection, reservation_id, "declined", user.id, now, "")
    return offer_next(connection, row.resource_id, now, settings)


# -- upkeep -------------------------------------------------------------------------------
def lapse_offers(connection: Connection, resource_id: int, now: datetime) -> int:
    """The resource's offers whose time to answer has passed lapse (their entry loses its
    turn); returns how many. The caller holds the resource's lock; rows another
    transaction holds (an answer under way) are skipped (SKIP LOCKED)."""
    lapsing = due(connection, "offered", resource_id, now)
    for row in lapsing:
        connection.execute(
            update(Reservation)
            .where(Reservation.id == row.id)
            .values(status="expired", decide_by=None)
        )
        connection.execute(
            update(WaitlistEntry).where(WaitlistEntry.offer_id == row.id).values(status="lapsed")
        )
        booking.write_event(connection, row.id, "offer_expired", None, now, "not answered in time")
        inbox.notify(
            connection,
            [row.user_id],
            "offer_expired",
            f"your offer {row.id} ({describe_window(row.start_time, row.end_time)}) was not "
            "answered in time and went to the next in line",
            now,
            reservation_id=row.id,
        )
    return len(lapsing)


def due(connection: Connection, status: str, resource_id: int, now: datetime) -> list[Any]:
    """The resource's reservations of `status` whose `decide_by` has passed, locked;
    those another transaction holds are skipped (SKIP LOCKED)."""
    query = (
        select(
            Reservation.id,
            Reservation.user_id,
            Reservation.resource_id,
            Reservation.start_time,
            Reservation.end_time,
        )
        .where(
            Reservation.resource_id == resource_id,
            Reservation.status == status,
            Reservation.decide_by <= now,
        )
        .order_by(Reservation.id)
    )
    if connection.dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    return list(connection.execute(query))


def resources_to_move(connection: Connection, now: datetime) -> list[int]:
    """The resources someone waits for, or holding a request or an offer past its time."""
    waiting = select(WaitlistEntry.resource_id).where(WaitlistEntry.status == "waiting")
    lapsing = select(Reservation.resource_id).where(
        Reservation.status.in_(("pending", "offered")), Reservation.decide_by <= now
    )
    return sorted(set(connection.scalars(waiting.union(lapsing))))


def try_lock_resource(connection: Connection, resource_id: int) -> bool:
    """Lock a resource's row unless another runner holds it (SKIP LOCKED): the upkeep of
    several replicas offers each resource's slots once."""
    query = select(Resource.id).where(Resource.id == resource_id)
    if connection.dialect.name != "sqlite":
        query = query.with_for_update(skip_locked=True)
    return connection.execute(query).first() is not None
