"""Resource rules and queries: names and tags, derived status, search.

Status is derived from the enable switch, the maintenance window and the
reservations at the moment of reading; it is never stored.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from reserver_core.errors import NotFoundError, ValidationError
from reserver_core.models import Reservation, Resource, ResourceTag
from reserver_core.schemas import ResourceInfo, ResourceStatus, StatusFilter

MAX_NAME_LENGTH = 200
MAX_TAG_LENGTH = 50
MAX_TAGS = 20
MAX_DESCRIPTION_LENGTH = 2000
_TAG_PATTERN = re.compile(r"^[\w][\w .:/+#-]*$")

STATUS_FILTERS: tuple[str, ...] = (
    "available",
    "in_use",
    "unavailable",
    "maintenance",
    "disabled",
    "all",
)


def clean_name(name: str) -> str:
    """Trim a resource name and check its length (1-200 characters)."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError("a resource name cannot be empty", "name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"a resource name is at most {MAX_NAME_LENGTH} characters (got {len(cleaned)})", "name"
        )
    return cleaned


def name_key(name: str) -> str:
    """The folded form of a name that uniqueness is checked on."""
    return name.casefold()


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Trim, lower-case and de-duplicate tags, keeping their order; reject bad ones."""
    cleaned: list[str] = []
    for raw in tags:
        tag = " ".join(raw.split()).lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                f"tag {tag[:20]!r}... is over {MAX_TAG_LENGTH} characters", "tags"
            )
        if not _TAG_PATTERN.match(tag):
            raise ValidationError(
                f"tag {tag!r} may hold letters, digits, spaces and . : / + # - _ only", "tags"
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(f"a resource has at most {MAX_TAGS} tags", "tags")
    return cleaned


def split_tags(text: str) -> list[str]:
    """Split a comma-separated tag field, as in CSV files and command lines."""
    return clean_tags(text.split(","))


def clean_description(description: str) -> str:
    """Trim a description and check its length."""
    cleaned = description.strip()
    if len(cleaned) > MAX_DESCRIPTION_LENGTH:
        raise ValidationError(
            f"a description is at most {MAX_DESCRIPTION_LENGTH} characters", "description"
        )
    return cleaned


def check_status_filter(status: str) -> StatusFilter:
    """Return `status` if it is a known status filter, else raise ValidationError."""
    if status not in STATUS_FILTERS:
        raise ValidationError(
            f"unknown status {status!r}; use one of {', '.join(STATUS_FILTERS)}", "status"
        )
    return status  # type: ignore[return-value]


def active_overlap(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Active reservations overlapping the half-open window `[start, end)`."""
    return and_(
        Reservation.status == "active",
        Reservation.start_time < end,
        Reservation.end_time > start,
    )


def maintenance_overlaps(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Resources whose maintenance window overlaps `[start, end)`."""
    return and_(
        Resource.unavailable_since.is_not(None),
        Resource.unavailable_since < end,
        Resource.maintenance_until > start,
    )


def bookable_during(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Resources enabled, out of maintenance and free for the whole of `[start, end)`."""
    clash = exists().where(Reservation.resource_id == Resource.id, active_overlap(start, end))
    return and_(Resource.enabled.is_(True), not_(maintenance_overlaps(start, end)), not_(clash))


def text_match(text: str) -> ColumnElement[bool]:
    """Resources whose name, description or a tag contains `text` (any case)."""
    needle = text.strip().lower()
    tag_hit = exists().where(
        ResourceTag.resource_id == Resource.id,
        ResourceTag.tag.contains(needle, autoescape=True),
    )
    return or_(
        func.lower(Resource.name).contains(needle, autoescape=True),
        func.lower(Resource.description).contains(needle, autoescape=True),
        tag_hit,
    )


def has_tag(tag: str) -> ColumnElement[bool]:
    """Resources carrying exactly `tag`."""
    return exists().where(ResourceTag.resource_id == Resource.id, ResourceTag.tag == tag.lower())


def derive_status(
    enabled: bool,
    unavailable_since: datetime | None,
    maintenance_until: datetime | None,
    in_use: bool,
    now: datetime,
) -> ResourceStatus:
    """The displayed status: disabled, then maintenance, then in use, else available."""
    if not enabled:
        return "disabled"
    if in_maintenance(unavailable_since, maintenance_until, now):
        return "maintenance"
    return "in_use" if in_use else "available"


def in_maintenance(
    unavailable_since: datetime | None, maintenance_until: datetime | None, now: datetime
) -> bool:
    """Whether a maintenance window covers `now`."""
    return (
        unavailable_since is not None
        and maintenance_until is not None
        and unavailable_since <= now < maintenance_until
    )


def matches_status(status: ResourceStatus, wanted: StatusFilter) -> bool:
    """Whether a derived status passes a status filter."""
    if wanted == "all":
        return True
    if wanted == "unavailable":
        return status in ("maintenance", "disabled")
    return status == wanted


_RESOURCE_COLUMNS = (
    Resource.id,
    Resource.name,
    Resource.description,
    Resource.enabled,
    Resource.created_at,
    Resource.unavailable_since,
    Resource.auto_reset_hours,
    Resource.maintenance_until,
)


def load_resources(
    session: Session, now: datetime, conditions: Sequence[ColumnElement[bool]] = ()
) -> list[ResourceInfo]:
    """Resources matching every condition, ordered by name, with tags and derived status."""
    query = select(*_RESOURCE_COLUMNS).where(*conditions).order_by(Resource.name_key)
    rows = session.execute(query).all()
    if not rows:
        return []
    subset = None if not conditions else [row.id for row in rows]
    tags = _tags_by_resource(session, subset)
    busy = _busy_until(session, now, subset)
    return [_info(row, tags.get(row.id, []), busy.get(row.id), now) for row in rows]


def load_resource(session: Session, now: datetime, resource_id: int) -> ResourceInfo:
    """One resource with its derived status; NotFoundError when absent."""
    found = load_resources(session, now, [Resource.id == resource_id])
    if not found:
        raise NotFoundError(f"no resource with id {resource_id}")
    return found[0]


def _info(row: Any, tags: list[str], busy_until: datetime | None, now: datetime) -> ResourceInfo:
    status = derive_status(
        row.enabled, row.unavailable_since, row.maintenance_until, busy_until is not None, now
    )
    return ResourceInfo(
        id=row.id,
        name=row.name,
        description=row.description,
        tags=tags,
        available=row.enabled,
        status=status,
        created_at=row.created_at,
        unavailable_since=row.unavailable_since,
        auto_reset_hours=row.auto_reset_hours,
        maintenance_until=row.maintenance_until,
        busy_until=busy_until,
    )


def _in_ids(column: Any, ids: list[int] | None) -> list[ColumnElement[bool]]:
    # Large id lists go through a temporary-free IN; SQLite handles 32k parameters.
    if ids is None:
        return []
    return [column.in_(ids)]


def _tags_by_resource(session: Session, ids: list[int] | None) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(ids):
        query = (
            select(ResourceTag.resource_id, ResourceTag.tag)
            .where(*_in_ids(ResourceTag.resource_id, chunk))
            .order_by(ResourceTag.resource_id, ResourceTag.position)
        )
        for resource_id, tag in session.execute(query):
            tags[resource_id].append(tag)
    return tags


def _busy_until(session: Session, now: datetime, ids: list[int] | None) -> dict[int, datetime]:
    """For resources in use now: the end of the run of back-to-back bookings covering now."""
    current: dict[int, datetime] = {}
    for chunk in _chunks(ids):
        query = select(Reservation.resource_id, Reservation.end_time).where(
            Reservation.status == "active",
            Reservation.end_time > now,
            Reservation.start_time <= now,
            *_in_ids(Reservation.resource_id, chunk),
        )
        current.update({rid: end for rid, end in session.execute(query)})
    if not current:
        return current
    in_use = list(current)
    for chunk in _chunks(in_use):
        following = (
            select(Reservation.resource_id, Reservation.start_time, Reservation.end_time)
            .where(
                Reservation.status == "active",
                Reservation.start_time > now,
                Reservation.resource_id.in_(chunk),
            )
            .order_by(Reservation.resource_id, Reservation.start_time)
        )
        for resource_id, start, end in session.execute(following):
            if start == current[resource_id]:
                current[resource_id] = end
    return current


def _chunks(ids: list[int] | None, size: int = 20_000) -> Iterable[list[int] | None]:
    if ids is None:
        yield None
        return
    for index in range(0, len(ids), size):
        yield ids[index : index + size]


def resource_row(session: Session, resource_id: int, lock: bool = False) -> Resource:
    """The resource's ORM row, locked for update when asked; NotFoundError if absent."""
    query = select(Resource).where(Resource.id == resource_id)
    if lock:
        query = query.with_for_update()
    resource = session.scalars(query).one_or_none()
    if resource is None:
        raise NotFoundError(f"no resource with id {resource_id}")
    return resource


def set_tags(resource: Resource, tags: list[str]) -> None:
    """Replace a resource's tags, keeping their order."""
    resource.tags = [ResourceTag(tag=tag, position=index) for index, tag in enumerate(tags)]
