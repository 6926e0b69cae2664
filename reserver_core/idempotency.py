"""Idempotency keys: a booking request sent again returns the booking it made.

A client names one booking request with a key. Stored with the reservation it
made, in the booking's own transaction, the key makes the same request from the
same user within `KEY_LIFETIME` answer with that reservation instead of booking
again, which would clash with itself. Keys are per user; an older key counts as
new, and the upkeep purges it. The key's form is checked by
`text.clean_idempotency_key`, which the remote client shares.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Row, delete, insert, select
from sqlalchemy.orm import Session

from reserver_core.errors import ValidationError
from reserver_core.models import IdempotencyKey, Reservation

KEY_LIFETIME = timedelta(hours=24)
"""How long a key names its booking; after that it is a new key."""


def earlier_booking(
    connection: Connection, user_id: int, key: str, now: datetime
) -> Row[*tuple[Any, ...]] | None:
    """The reservation the user's `key` made within `KEY_LIFETIME`, if any (its row)."""
    query = (
        select(
            Reservation.id,
            Reservation.resource_id,
            Reservation.start_time,
            Reservation.end_time,
            Reservation.status,
            Reservation.created_at,
            Reservation.cancelled_at,
            Reservation.cancellation_reason,
            Reservation.note,
        )
        .join(IdempotencyKey, IdempotencyKey.reservation_id == Reservation.id)
        .where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at > now - KEY_LIFETIME,
        )
    )
    return connection.execute(query).one_or_none()


def check_same_request(
    earlier: Row[*tuple[Any, ...]], key: str, resource_id: int, start: datetime, end: datetime
) -> None:
    """Refuse a key sent with another resource or window: it names one request only."""
    if (earlier.resource_id, earlier.start_time, earlier.end_time) != (resource_id, start, end):
        raise ValidationError(
            f"the idempotency key {key!r} was already used for a different booking "
            f"(#{earlier.id}): use a new key for a new booking",
            "idempotency_key",
        )


def remember(
    connection: Connection, user_id: int, key: str, reservation_id: int, now: datetime
) -> None:
    """Store the user's `key` as having made `reservation_id`, replacing an expired entry.

    A twin request with the same key that committed first makes the insert fail
    with an IntegrityError (on PostgreSQL and MariaDB after waiting for it).
    """
    connection.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at <= now - KEY_LIFETIME,
        )
    )
    connection.execute(
        insert(IdempotencyKey).values(
            user_id=user_id, key=key, reservation_id=reservation_id, created_at=now
        )
    )


def purge(session: Session, now: datetime) -> int:
    """Drop keys older than `KEY_LIFETIME`; returns how many."""
    result = session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.created_at <= now - KEY_LIFETIME)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)
