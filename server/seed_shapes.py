"""The seed's answer shapes, built from reserver's own (v1) answers.

The seed's clients (its CLI and scripts written for its server) read these keys
on the unprefixed paths. Each function only renames and reshapes what the core
returned: no rule is decided here. The seed's status words differ from
reserver's: it calls maintenance `unavailable` and shows a disabled resource
with `available: false` beside the status it would otherwise have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reserver_core.resources import in_maintenance
from reserver_core.schemas import (
    EventInfo,
    ExpiryReport,
    Health,
    ImportReport,
    ReservationInfo,
    ResourceInfo,
    ResourceStatusDetail,
    Schedule,
)

SEED_STATUS = {"available": "available", "in_use": "in_use", "maintenance": "unavailable"}
"""The seed's word for each status of a resource that is switched on."""

SEED_STATUS_FILTERS = ("available", "in_use", "unavailable", "all")
"""The status filters the seed's search accepted (reserver accepts more)."""

HOURS = 3600.0


def seed_status(resource: ResourceInfo, now: datetime) -> str:
    """The seed's status word: `unavailable` for maintenance, and for a disabled
    resource the status it has apart from being disabled."""
    if resource.status != "disabled":
        return SEED_STATUS[resource.status]
    if in_maintenance(resource.unavailable_since, resource.maintenance_until, now):
        return "unavailable"
    return "in_use" if resource.busy_until is not None else "available"


def seed_resource(
    resource: ResourceInfo, now: datetime, free_in_window: bool = False
) -> dict[str, Any]:
    """The seed's resource: `current_availability` is whether it can be booked now
    (or, for a search with a window, in that window)."""
    status = seed_status(resource, now)
    return {
        "id": resource.id,
        "name": resource.name,
        "available": resource.available,
        "current_availability": free_in_window or (resource.available and status == "available"),
        "status": status,
        "tags": resource.tags,
    }


def seed_reservation(reservation: ReservationInfo, now: datetime) -> dict[str, Any]:
    """The seed's reservation, its resource nested."""
    return {
        "id": reservation.id,
        "user_id": reservation.user_id,
        "resource_id": reservation.resource_id,
        "resource": seed_resource(reservation.resource, now),
        "start_time": reservation.start_time,
        "end_time": reservation.end_time,
        "status": reservation.status,
        "created_at": reservation.created_at,
        "cancelled_at": reservation.cancelled_at,
        "cancellation_reason": reservation.cancellation_reason,
    }


def seed_my_reservations(
    found: list[ReservationInfo], include_cancelled: bool, now: datetime
) -> list[dict[str, Any]]:
    """The seed's list of a user's reservations: active ones only unless cancelled
    ones are asked for (then every one), latest start first."""
    kept = found if include_cancelled else [r for r in found if r.status == "active"]
    ordered = sorted(kept, key=lambda r: (r.start_time, r.id), reverse=True)
    return [seed_reservation(reservation, now) for reservation in ordered]


def seed_cancellation(reservation: ReservationInfo) -> dict[str, Any]:
    """The seed's answer to a cancellation."""
    return {
        "message": "Reservation cancelled successfully",
        "reservation_id": reservation.id,
        "cancelled_at": reservation.cancelled_at,
    }


def seed_event(event: EventInfo) -> dict[str, Any]:
    """The seed's history entry: the acting user by id (None for the system)."""
    return {
        "id": event.id,
        "reservation_id": event.reservation_id,
        "action": event.action,
        "user_id": event.actor_id,
        "timestamp": event.timestamp,
        "details": event.details,
    }


def seed_status_detail(detail: ResourceStatusDetail, now: datetime) -> dict[str, Any]:
    """The seed's flat status of one resource, with maintenance timing when under
    maintenance and the current reservation when there is one."""
    resource = detail.resource
    status = seed_status(resource, now)
    answer: dict[str, Any] = {
        "resource_id": resource.id,
        "resource_name": resource.name,
        "base_available": resource.available,
        "status": status,
        "is_available_for_reservation": resource.available and status != "unavailable",
        "is_currently_in_use": status == "in_use",
        "is_unavailable": status == "unavailable",
        "current_time": detail.timestamp,
    }
    since = resource.unavailable_since
    if status == "unavailable" and since is not None:
        until = detail.maintenance_reset_at or resource.maintenance_until
        left = max(0.0, (until - now).total_seconds() / HOURS) if until else 0.0
        answer |= {
            "unavailable_since": since,
            "auto_reset_hours": resource.auto_reset_hours,
            "hours_unavailable": round((now - since).total_seconds() / HOURS, 2),
            "hours_until_auto_reset": round(left, 2),
            "will_auto_reset": left > 0,
        }
    current = detail.current_reservation
    if current is not None:
        answer["current_reservation"] = {
            "id": current.id,
            "start_time": current.start_time,
            "end_time": current.end_time,
            "user_id": current.user_id,
        }
    return answer


def seed_schedule(grid: Schedule, now: datetime) -> dict[str, Any]:
    """The seed's availability: hourly slots per day (free or not) and the active
    reservations still to end; under `data` too, as the seed's server nested it."""
    resource = grid.resource
    days = [
        {
            "date": day.day.isoformat(),
            "time_slots": [
                {"time": f"{slot.start:%H:%M}", "available": slot.state == "free"}
                for slot in day.slots
            ],
        }
        for day in grid.days
    ]
    answer = {
        "resource_id": resource.id,
        "resource_name": resource.name,
        "current_time": now,
        "is_currently_available": seed_resource(resource, now)["current_availability"],
        "base_available": resource.available,
        "schedule": days,
        "reservations": [
            {
                "id": held.id,
                "start_time": held.start_time,
                "end_time": held.end_time,
                "user_id": held.user_id,
                "status": held.status,
            }
            for held in grid.reservations
            if held.end_time > now
        ],
    }
    return {**answer, "success": True, "data": answer}


def seed_import(report: ImportReport) -> dict[str, Any]:
    """The seed's import answer: each skipped line as a sentence."""
    return {
        "created_count": report.created_count,
        "errors": [f"Row {error.line}: {error.message}" for error in report.errors],
    }


def seed_health(health: Health) -> dict[str, Any]:
    """The seed's health report: `healthy` words and the cleanup task's state."""
    healthy = health.database == "ok"
    expiry = health.background_tasks.get("expiry", {})
    return {
        "status": "healthy" if healthy else "unhealthy",
        "timestamp": health.timestamp,
        "database": "healthy" if healthy else "unhealthy",
        "api": "healthy" if healthy else f"error: the database is {health.database}",
        "resources_count": health.resources_count or 0,
        "background_tasks": {"cleanup_task": "running" if expiry.get("running") else "not_started"},
    }


def seed_expiry(report: ExpiryReport) -> dict[str, Any]:
    """The seed's answer to a manual clean-up."""
    count = report.expired_count
    return {
        "message": f"Successfully cleaned up {count} expired reservations",
        "expired_count": count,
        "timestamp": report.timestamp,
    }


def seed_maintenance(resource: ResourceInfo, now: datetime, hours: int) -> dict[str, Any]:
    """The seed's answer to putting a resource under maintenance."""
    return {
        "message": f"Resource set to unavailable for maintenance (auto-reset in {hours} hours)",
        "resource": {
            **seed_resource(resource, now),
            "auto_reset_hours": resource.auto_reset_hours,
            "unavailable_since": resource.unavailable_since,
        },
    }


def seed_back_in_service(resource: ResourceInfo, now: datetime) -> dict[str, Any]:
    """The seed's answer to ending maintenance."""
    return {"message": "Resource reset to available", "resource": seed_resource(resource, now)}


def seed_switched(resource: ResourceInfo, now: datetime) -> dict[str, Any]:
    """The seed's answer to enabling or disabling a resource."""
    word = "available" if resource.available else "unavailable"
    return {
        "message": f"Resource availability updated to {word}",
        "resource": seed_resource(resource, now),
    }
