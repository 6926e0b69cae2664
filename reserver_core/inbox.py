"""Each user's inbox: notices written in the transaction of the change they tell of.

A notice is written where the change is made (a cancel by an admin, a decision on a
request, an offer, a lapse), so it exists exactly when the change committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, func, insert, select, update

from reserver_core.display import describe_window
from reserver_core.errors import ValidationError
from reserver_core.models import MAX_ID, User
from reserver_core.models import Notice as NoticeRow
from reserver_core.schemas import Notice, NoticeKind

MAX_SHOWN = 500
"""The newest notices an inbox lists."""

_INSERT = insert(cast(Table, NoticeRow.__table__))


def notify(
    connection: Connection,
    user_ids: Sequence[int],
    kind: NoticeKind,
    text: str,
    now: datetime,
    *,
    reservation_id: int | None = None,
    series_id: int | None = None,
    deadline: datetime | None = None,
) -> None:
    """Write one notice to each of `user_ids` (once each), in the caller's transaction."""
    rows = [
        {
            "user_id": user_id,
            "kind": kind,
            "text": text,
            "reservation_id": reservation_id,
            "series_id": series_id,
            "deadline": deadline,
            "created_at": now,
        }
        for user_id in dict.fromkeys(user_ids)
    ]
    if rows:
        connection.execute(_INSERT, rows)


def tell_approvers(
    connection: Connection,
    approvers: Sequence[str],
    resource_name: str,
    requester: str,
    reservation_id: int,
    window: tuple[datetime, datetime],
    deadline: datetime,
    now: datetime,
    series: tuple[int, int] | None = None,
) -> None:
    """Write a new request into the inbox of those who may decide it: its approvers, or
    the admins where it names none. A `series` (its id, how many requests) is told once,
    by its first request."""
    deciders = user_ids(connection, approvers) or admin_ids(connection)
    if series is None:
        inbox_text = (
            f"{requester} asks for {resource_name} {describe_window(*window)}: approve or "
            f"reject request {reservation_id} by {deadline:%Y-%m-%d %H:%M} UTC"
        )
    else:
        inbox_text = (
            f"{requester} asks for {resource_name} in series {series[0]}: {series[1]} "
            f"requests from {describe_window(*window)} (the first, request {reservation_id}, "
            f"to decide by {deadline:%Y-%m-%d %H:%M} UTC)"
        )
    notify(
        connection,
        deciders,
        "request",
        inbox_text,
        now,
        reservation_id=reservation_id,
        deadline=deadline,
    )


def admin_ids(connection: Connection) -> list[int]:
    """Every active admin's id: who hears of requests no approver is named for."""
    return list(
        connection.scalars(
            select(User.id).where(User.role == "admin", User.active.is_(True)).order_by(User.id)
        )
    )


def user_ids(connection: Connection, usernames: Sequence[str]) -> list[int]:
    """The ids of the named users that exist and are active, in the order named."""
    if not usernames:
        return []
    found = dict(
        connection.execute(
            select(User.username, User.id).where(
                User.username.in_(list(usernames)), User.active.is_(True)
            )
        ).all()
    )
    return [found[name] for name in usernames if name in found]


def notices(connection: Connection, user_id: int, unread_only: bool = False) -> list[Notice]:
    """The user's newest notices first (at most `MAX_SHOWN`)."""
    query = select(NoticeRow).where(NoticeRow.user_id == user_id)
    if unread_only:
        query = query.where(NoticeRow.read_at.is_(None))
    rows = connection.execute(query.order_by(NoticeRow.id.desc()).limit(MAX_SHOWN))
    return [
        Notice(
            id=row.id,
            kind=row.kind,
            text=row.text,
            created_at=row.created_at,
            reservation_id=row.reservation_id,
            series_id=row.series_id,
            deadline=row.deadline,
            read_at=row.read_at,
        )
        for row in rows
    ]


def unread_count(connection: Connection, user_id: int) -> int:
    """How many of the user's notices are unread."""
    query = select(func.count()).where(NoticeRow.user_id == user_id, NoticeRow.read_at.is_(None))
    return int(connection.execute(query).scalar_one())


def mark_read(
    connection: Connection, user_id: int, notice_ids: Sequence[int] | None, now: datetime
) -> int:
    """Mark the user's notices read (all unread ones when `notice_ids` is None); returns how
    many changed. A notice id that is not the user's (or that no row can have) is a
    ValidationError."""
    query = update(NoticeRow).where(NoticeRow.user_id == user_id, NoticeRow.read_at.is_(None))
    if notice_ids is not None:
        wanted = list(dict.fromkeys(notice_ids))
        storable = [i for i in wanted if 1 <= i <= MAX_ID]
        owned = set(
            connection.scalars(
                select(NoticeRow.id).where(NoticeRow.user_id == user_id, NoticeRow.id.in_(storable))
            )
        )
        missing = [i for i in wanted if i not in owned]
        if missing:
            raise ValidationError(f"your inbox has no notice {missing[0]}", "id")
        query = query.where(NoticeRow.id.in_(wanted))
    result = connection.execute(query.values(read_at=now))
    return int(result.rowcount)
