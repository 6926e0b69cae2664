"""Approvals: a member's booking of a resource whose policy requires approval is made
`pending`, holding its slot, until an approver (or an admin) decides it, or until its
`decide_by` passes and it lapses. Deciding releases nothing twice: a rejection or a lapse
hands the slot to the waitlist (`waitlist.offer_next`) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from reserver_core import booking, inbox, policy, waitlist
from reserver_core.booking_statements import LOCK_RESOURCE, RESOURCE_TO_BOOK
from reserver_core.display import approvers_text, describe_window
from reserver_core.errors import ForbiddenError, NotFoundError, PolicyError, StateError
from reserver_core.models import Policy, Reservation, ResourceTag
from reserver_core.reservations import load_reservations
from reserver_core.schemas import ReservationInfo, UserInfo
from reserver_core.settings import Settings


def _request(connection: Connection, reservation_id: int) -> Any:
    """The reservation's row, locked (before the resource: as `booking.change` does)."""
    row = connection.execute(
        select(
            Reservation.id,
            Reservation.user_id,
            Reservation.resource_id,
            Reservation.status,
            Reservation.decide_by,
            Reservation.start_time,
            Reservation.end_time,
            Reservation.created_at,
        )
        .where(Reservation.id == reservation_id)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"reservation {reservation_id} not found")
    return row


def _decided(
    connection: Connection, user: UserInfo, reservation_id: int, now: datetime, settings: Settings
) -> tuple[Any, Any, policy.Rules]:
    """The pending request, its resource and rules, once `user` is found to decide it."""
    row = _request(connection, reservation_id)
    connection.execute(LOCK_RESOURCE, {"resource_id": row.resource_id})
    resource = connection.execute(
        RESOURCE_TO_BOOK,
        {"resource_id": row.resource_id, "now": now, "start": row.start_time, "end": row.end_time},
    ).one()
    tags = resource.tag_list.split(",") if resource.tag_list else []
    rules = policy.load_rules(connection, resource.id, resource.name, tags, settings)
    if not rules.may_approve(user):
        deciders = approvers_text(rules.approvers)
        raise ForbiddenError(
            f"access denied: requests on {resource.name} are decided by {deciders}"
        )
    if row.status != "pending":
        raise StateError(f"reservation {reservation_id} is not awaiting approval ({row.status})")
    if row.decide_by is not None and row.decide_by <= now:
        raise StateError(
            f"request {reservation_id} lapsed undecided at {row.decide_by:%Y-%m-%d %H:%M} UTC"
        )
    return row, resource, rules


def approve(
    connection: Connection, user: UserInfo, reservation_id: int, now: datetime, settings: Settings
) -> None:
    """Make a pending request `active`. Its slot was held, so nothing can clash; if a
    policy bearing on the resource changed since the request, its rules are checked
    again (PolicyError, and the request stays pending)."""
    row, resource, rules = _decided(connection, user, reservation_id, now, settings)
    if _policy_changed_since(connection, resource.id, row.created_at):
        owner = connection.execute(policy.LOCK_USER, {"user_id": row.user_id}).one()
        try:
            booking.check_bookable(resource, row.start_time, row.end_time)
            policy.check_window_rules(rules, row.start_time, row.end_time, row.created_at)
            if owner.role != "admin":
                policy.check_allowances(
                    connection, rules, row.user_id, row.start_time, row.end_time, now, row.id
                )
        except PolicyError as refusal:
            raise PolicyError(
                f"the policy changed since the request: {refusal}",
                refusal.rule,
                refusal.scope,
                refusal.field,
                refusal.limit,
                refusal.current,
                refusal.unit,
                refusal.resource,
                refusal.figures,
            ) from refusal
    connection.execute(
        update(Reservation)
        .where(Reservation.id == reservation_id)
        .values(status="active", decide_by=None)
    )
    window = describe_window(row.start_time, row.end_time)
    booking.write_event(connection, reservation_id, "approved", user.id, now, window)
    inbox.notify(
        connection,
        [row.user_id],
        "approved",
        f"{user.username} approved your request {reservation_id}: {resource.name} {window}",
        now,
        reservation_id=reservation_id,
    )


def reject(
    connection: Connection,
    user: UserInfo,
    reservation_id: int,
    reason: str | None,
    now: datetime,
    settings: Settings,
) -> list[waitlist.Offered]:
    """Refuse a pending request: it is `rejected` with the reason, and its slot goes to
    the waitlist (the offers made)."""
    cleaned = booking.clean_reason(reason)
    row, resource, _ = _decided(connection, user, reservation_id, now, settings)
    connection.execute(
        update(Reservation)
        .where(Reservation.id == reservation_id)
        .values(status="rejected", decide_by=None, cancelled_at=now, cancellation_reason=cleaned)
    )
    booking.write_event(connection, reservation_id, "rejected", user.id, now, cleaned or "")
    why = f": {cleaned}" if cleaned else ""
    inbox.notify(
        connection,
        [row.user_id],
        "rejected",
        f"{user.username} rejected your request {reservation_id} for {resource.name} "
        f"{describe_window(row.start_time, row.end_time)}{why}",
        now,
        reservation_id=reservation_id,
    )
    return waitlist.offer_next(connection, row.resource_id, now, settings, lock=False)


def _policy_changed_since(connection: Connection, resource_id: int, since: datetime) -> bool:
    """Whether a policy bearing on the resource was written since `since` (at the same
    instant counts: the request may have come first)."""
    tags = select(ResourceTag.tag).where(ResourceTag.resource_id == resource_id)
    found = connection.execute(
        select(Policy.id).where(
            Policy.updated_at >= since,
            (Policy.scope == "default")
            | ((Policy.scope == "resource") & (Policy.scope_key == str(resource_id)))
            | ((Policy.scope == "tag") & Policy.scope_key.in_(tags)),
        )
    ).first()
    return found is not None


def lapse_requests(connection: Connection, resource_id: int, now: datetime) -> int:
    """The resource's pending requests whose time to decide has passed lapse (`expired`);
    returns how many. The caller holds the resource's lock; rows another transaction
    holds (a decision under way) are skipped (SKIP LOCKED)."""
    due = waitlist.due(connection, "pending", resource_id, now)
    for row in due:
        connection.execute(
            update(Reservation)
            .where(Reservation.id == row.id)
            .values(status="expired", decide_by=None)
        )
        booking.write_event(connection, row.id, "request_expired", None, now, "not decided in time")
        inbox.notify(
            connection,
            [row.user_id],
            "request_expired",
            f"your request {row.id} ({describe_window(row.start_time, row.end_time)}) was not "
            "decided in time: its slot is released",
            now,
            reservation_id=row.id,
        )
    return len(due)


def requests(
    session: Session, user: UserInfo, now: datetime, settings: Settings
) -> list[ReservationInfo]:
    """The pending requests `user` may decide, soonest first (an admin: all of them)."""
    connection = session.connection()
    found = load_reservations(session, now, [Reservation.status == "pending"], newest_first=False)
    if user.is_admin:
        return found
    by_resource: dict[int, bool] = {}
    for reservation in found:
        if reservation.resource_id not in by_resource:
            info = reservation.resource
            rules = policy.load_rules(connection, info.id, info.name, info.tags, settings)
            by_resource[reservation.resource_id] = rules.may_approve(user)
    return [r for r in found if by_resource[r.resource_id]]
