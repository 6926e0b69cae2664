"""Resource rules and queries: names and tags, derived status, search.

Status is derived from the enable switch, the maintenance window and the
reservations at the moment of reading; it is never stored.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    and_,
    bindparam,
    exists,
    func,
    not_,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from reserver_core import paging
from reserver_core.clock import as_utc
from reserver_core.errors import (
    AlreadyExistsError,
    AmbiguousNameError,
    NotFoundError,
    ValidationError,
)
from reserver_core.models import (
    HOLDS_SLOT,
    Reservation,
    Resource,
    ResourceTag,
    UTCDateTime,
    row_by_id,
)
from reserver_core.schemas import Page, ResourceInfo, ResourceStatus, StatusFilter, Summary
from reserver_core.text import (
    check_printable,
    check_storable,
    check_unmisleading,
    check_visible,
    clean_free_text,
    normalized,
)

MAX_NAME_LENGTH = 200
MAX_TAG_LENGTH = 50
MAX_TAGS = 20
MAX_DESCRIPTION_LENGTH = 2000
MAX_SEARCH_LENGTH = 200
_TAG_PATTERN = re.compile(r"^[\w][\w .:/+#-]*$")

STATUS_FILTERS: tuple[str, ...] = (
    "available",
    "in_use",
    "unavailable",
    "maintenance",
    "disabled",
    "all",
)


MIN_RESET_HOURS = 1
DEFAULT_RESET_HOURS = 8
MAX_RESET_HOURS = 168


def check_auto_reset_hours(hours: int) -> int:
    """Maintenance lasts 1-168 hours before the resource returns to service by itself."""
    if not MIN_RESET_HOURS <= hours <= MAX_RESET_HOURS:
        raise ValidationError(
            f"maintenance must last between {MIN_RESET_HOURS} and {MAX_RESET_HOURS} hours",
            "auto_reset_hours",
        )
    return hours


def clean_name(name: str) -> str:
    """Trim a resource name, fold its white space and normalize it to NFC; refuse bidi
    controls, invisible characters and names with nothing visible; 1-200 characters."""
    check_unmisleading(check_storable(name, "name"), "name", "a resource name")
    # Line breaks and tabs are whitespace, folded to one space like any other.
    cleaned = " ".join(normalized(name).split())
    check_printable(cleaned, "name")
    if not cleaned:
        raise ValidationError("a resource name cannot be empty", "name")
    check_visible(cleaned, "name", "a resource name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"a resource name is at most {MAX_NAME_LENGTH} characters (got {len(cleaned)})", "name"
        )
    return cleaned


def name_key(name: str) -> str:
    """The folded form of a name that uniqueness is checked on, the same on every database.

    NFKC folds look-alike forms ("ﬁ" and "fi", NFC and NFD accents) together; case
    folding then joins "Straße" and "STRASSE".
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Trim, lower-case, normalize to NFC and de-duplicate tags, keeping their order;
    reject bad ones (bidi controls and invisible characters among them)."""
    cleaned: list[str] = []
    for raw in tags:
        tag = normalized(" ".join(raw.split()).lower())
        shown = repr(tag) if len(tag) <= MAX_TAG_LENGTH else f"{tag[:20]!r}..."
        check_unmisleading(tag, "tags", f"tag {shown}")
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
    return clean_free_text(description, "description", MAX_DESCRIPTION_LENGTH, "a description")


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
        HOLDS_SLOT,
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
    # One uncorrelated subquery (the few resources booked in the window, from the
    # covering index) beats a correlated NOT EXISTS per resource: ~18 ms against
    # ~42 ms over 10,000 resources on SQLite. resource_id is never NULL, so NOT IN
    # has no NULL trap.
    booked = select(Reservation.resource_id).where(active_overlap(start, end))
    return and_(
        Resource.enabled.is_(True),
        not_(maintenance_overlaps(start, end)),
        Resource.id.not_in(booked),
    )


def text_match(text: str) -> ColumnElement[bool]:
    """Resources whose name, description or a tag contains `text` (any case, literally:
    `%` and `_` are no wildcards); `text` is at most MAX_SEARCH_LENGTH characters."""
    term = check_storable(text, "text").strip()
    # Only a description could hold a longer term, and SQLite fails a LIKE pattern
    # over 50,000 bytes as an error of the database: a 503 instead of the caller's 422.
    if len(term) > MAX_SEARCH_LENGTH:
        raise ValidationError(
            f"a search term is at most {MAX_SEARCH_LENGTH} characters (got {len(term)})", "text"
        )
    needle = normalized(term.lower())
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
    return exists().where(
        ResourceTag.resource_id == Resource.id, ResourceTag.tag == normalized(tag.lower())
    )


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


def status_conditions(
    wanted: StatusFilter, now: datetime, has_window: bool = False
) -> list[ColumnElement[bool]]:
    """The conditions for resources whose status derived at `now` passes a status filter.

    They say in SQL what `derive_status` says in Python, so that a page of a search
    holds its full count of matches. With a search window, `available` means free
    for the whole window, which the window's own condition decides: a resource busy
    now may be free then.
    """
    if wanted == "all" or (wanted == "available" and has_window):
        return []
    if wanted == "disabled":
        return [Resource.enabled.is_(False)]
    maintenance = and_(
        Resource.unavailable_since.is_not(None),
        Resource.maintenance_until.is_not(None),
        Resource.unavailable_since <= now,
        Resource.maintenance_until > now,
    )
    if wanted == "unavailable":
        return [or_(Resource.enabled.is_(False), maintenance)]
    if wanted == "maintenance":
        return [Resource.enabled.is_(True), maintenance]
    covering = select(Reservation.resource_id).where(
        HOLDS_SLOT, Reservation.start_time <= now, Reservation.end_time > now
    )
    in_use = Resource.id.in_(covering) if wanted == "in_use" else Resource.id.not_in(covering)
    return [Resource.enabled.is_(True), not_(maintenance), in_use]


RESOURCE_COLUMNS = (
    Resource.id,
    Resource.name,
    Resource.description,
    Resource.enabled,
    Resource.created_at,
    Resource.unavailable_since,
    Resource.auto_reset_hours,
    Resource.maintenance_until,
    Resource.maintenance_reason,
)
"""What `resource_info` needs of a resource row."""

# Built once: the single-resource reads run on every booking.
_ONE_RESOURCE = select(*RESOURCE_COLUMNS).where(Resource.id == bindparam("resource_id"))
_ONE_RESOURCE_TAGS = (
    select(ResourceTag.tag)
    .where(ResourceTag.resource_id == bindparam("resource_id"))
    .order_by(ResourceTag.position)
)
_ONE_RESOURCE_AHEAD = (
    select(Reservation.start_time, Reservation.end_time)
    .where(
        Reservation.resource_id == bindparam("resource_id"),
        HOLDS_SLOT,
        Reservation.end_time > bindparam("now", type_=UTCDateTime()),
    )
    .order_by(Reservation.start_time)
)


_IDS: BindParameter[int] = bindparam("ids", expanding=True)
"""A list of ids given at execution: building the IN list into the statement would
coerce each id and make the statement's cache key, costing more than the query."""

_FEW_RESOURCES = 500
"""Up to this many resources, tags and use are read for their ids; beyond, for all."""


def load_resources(
    session: Session, now: datetime, conditions: Sequence[ColumnElement[bool]] = ()
) -> list[ResourceInfo]:
    """Resources matching every condition, ordered by name, with tags and derived status."""
    connection = session.connection()
    query = select(*RESOURCE_COLUMNS).where(*conditions).order_by(Resource.name_key)
    rows = connection.execute(query).all()
    # Reading everything and picking costs less than a long IN list (and than
    # evaluating the conditions again in a subquery).
    subset = [row[0] for row in rows] if conditions and len(rows) <= _FEW_RESOURCES else None
    return _infos(connection, now, rows, subset)


def page_resources(
    session: Session,
    now: datetime,
    conditions: Sequence[ColumnElement[bool]],
    limit: int,
    after: paging.ResourceKey | None,
) -> Page[ResourceInfo]:
    """At most `limit` resources matching every condition, by name, after the key `after`."""
    connection = session.connection()
    key = tuple_(Resource.name_key, Resource.id)
    query = select(*RESOURCE_COLUMNS, Resource.name_key).where(*conditions)
    if after is not None:
        query = query.where(key > after)
    # One row more than asked tells whether a next page exists.
    rows = connection.execute(query.order_by(Resource.name_key, Resource.id).limit(limit + 1)).all()
    shown = [row[:-1] for row in rows[:limit]]
    # A page's ids make a short IN list: the tags and use of the rest of a large
    # store are never read. A page that holds the whole store reads it all, as
    # a full listing does, which costs less than the list.
    whole_store = after is None and not conditions and len(rows) <= limit
    ids = [cast(int, row[0]) for row in shown]
    items = _infos(connection, now, shown, None if whole_store else ids)
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items, paging.resource_cursor(last[-1], last[0]) if last is not None else None)


def resources_by_id(session: Session, now: datetime, ids: Sequence[int]) -> dict[int, ResourceInfo]:
    """The resources of these ids by id, with tags and derived status."""
    if not ids:
        return {}
    connection = session.connection()
    rows = connection.execute(select(*RESOURCE_COLUMNS).where(Resource.id.in_(ids))).all()
    # Up to a page's worth of ids, their own tags and use are read, however large the
    # store; beyond, reading everything costs less than a long IN list.
    subset = list(ids) if len(ids) <= paging.MAX_LIMIT else None
    return {info.id: info for info in _infos(connection, now, rows, subset)}


def _infos(
    connection: Connection, now: datetime, rows: Sequence[Any], subset: list[int] | None
) -> list[ResourceInfo]:
    """The infos of resource rows, their tags and use read for the `subset` ids (None: all)."""
    if not rows:
        return []
    tags = _tags_by_resource(connection, subset)
    busy = _busy_until(connection, now, subset)
    return [_info(row, tags.get(row[0], []), busy.get(row[0]), now) for row in rows]


def load_resource(session: Session, now: datetime, resource_id: int) -> ResourceInfo:
    """One resource with its derived status; NotFoundError when absent."""
    connection = session.connection()
    row = connection.execute(_ONE_RESOURCE, {"resource_id": resource_id}).one_or_none()
    if row is None:
        raise NotFoundError(f"resource {resource_id} not found")
    return resource_info(connection, now, row)


def resource_info(connection: Connection, now: datetime, row: Any) -> ResourceInfo:
    """The info of one resource row (the `RESOURCE_COLUMNS`), reading its tags and use."""
    return _info(row, resource_tags(connection, row[0]), run_end(connection, row[0], now, now), now)


def resource_tags(connection: Connection, resource_id: int) -> list[str]:
    """The resource's tags, in order."""
    return list(connection.scalars(_ONE_RESOURCE_TAGS, {"resource_id": resource_id}))


def run_end(
    connection: Connection, resource_id: int, now: datetime, since: datetime
) -> datetime | None:
    """The end of the run of back-to-back active reservations covering `now`, if any.

    `since` may be `now`, or the end of the reservation known to cover now.
    """
    busy_until = None if since == now else since
    result = connection.execute(_ONE_RESOURCE_AHEAD, {"resource_id": resource_id, "now": since})
    for start, end in result:
        # Active reservations never overlap: the first one ending after now covers
        # now if it has started, and the run goes on while the next starts at its end.
        if busy_until is None and start > now:
            break
        if busy_until is not None and start != busy_until:
            break
        busy_until = end
    result.close()
    return busy_until


def info_from_row(
    row: Any, tags: list[str], busy_until: datetime | None, now: datetime
) -> ResourceInfo:
    """The info of a resource row (the `RESOURCE_COLUMNS`) whose tags and use are known."""
    return _info(row, tags, busy_until, now)


def _info(row: Any, tags: list[str], busy_until: datetime | None, now: datetime) -> ResourceInfo:
    # Unpacking a row is many times faster than reading its attributes by name,
    # which counts when listing thousands of resources.
    resource_id, name, description, enabled, created_at, since, hours, until, reason = row
    return ResourceInfo(
        resource_id,
        name,
        description,
        tags,
        enabled,
        derive_status(enabled, since, until, busy_until is not None, now),
        created_at,
        since,
        hours,
        until,
        busy_until,
        reason,
    )


def _tags_by_resource(connection: Connection, ids: list[int] | None) -> dict[int, list[str]]:
    query = select(ResourceTag.resource_id, ResourceTag.tag).order_by(
        ResourceTag.resource_id, ResourceTag.position
    )
    if ids is not None:
        query = query.where(ResourceTag.resource_id.in_(_IDS))
    tags: dict[int, list[str]] = {}
    for resource_id, tag in connection.execute(query, {"ids": ids}).all():
        found = tags.get(resource_id)
        if found is None:
            tags[resource_id] = [tag]
        else:
            found.append(tag)
    return tags


def _busy_until(
    connection: Connection, now: datetime, ids: list[int] | None
) -> dict[int, datetime]:
    """For resources in use now: the end of the run of back-to-back bookings covering now."""
    covering = select(Reservation.resource_id, Reservation.end_time).where(
        HOLDS_SLOT,
        Reservation.end_time > now,
        Reservation.start_time <= now,
    )
    if ids is not None:
        covering = covering.where(Reservation.resource_id.in_(_IDS))
    busy = {resource_id: end for resource_id, end in connection.execute(covering, {"ids": ids})}
    # Follow each run: read the active reservations starting up to the latest
    # end so far, extend the runs they continue, and repeat past the new ends.
    open_runs = dict(busy)
    horizon = now
    while open_runs:
        bound = max(open_runs.values())
        following = (
            select(Reservation.resource_id, Reservation.start_time, Reservation.end_time)
            .where(
                HOLDS_SLOT,
                Reservation.end_time > horizon,
                Reservation.start_time > horizon,
                Reservation.start_time <= bound,
            )
            .order_by(Reservation.start_time)
        )
        if ids is not None:
            # Only the runs' own resources: the rest of the store's bookings in the
            # span would be read, and dropped, once per page of a listing.
            following = following.where(Reservation.resource_id.in_(_IDS))
        runs = {"ids": list(open_runs)}
        for resource_id, start, end in connection.execute(following, runs):
            if open_runs.get(resource_id) == start:
                open_runs[resource_id] = end
                busy[resource_id] = end
        horizon = bound
        open_runs = {rid: end for rid, end in open_runs.items() if end > bound}
    return busy


def resource_row(session: Session, resource_id: int, lock: bool = False) -> Resource:
    """The resource's ORM row, locked for update when asked; NotFoundError if absent."""
    return row_by_id(session, Resource, resource_id, "resource", lock)


def set_tags(resource: Resource, tags: list[str]) -> None:
    """Replace a resource's tags, keeping their order."""
    resource.tags = [ResourceTag(tag=tag, position=index) for index, tag in enumerate(tags)]


def name_taken(name: str) -> AlreadyExistsError:
    """The refusal of a name that another resource has (in any case)."""
    return AlreadyExistsError(f"a resource named {name!r} already exists", "name")


def check_name_free(session: Session, name: str, except_id: int | None = None) -> None:
    """Refuse `name` when a resource other than `except_id` has it (in any case)."""
    existing = session.scalar(select(Resource.id).where(Resource.name_key == name_key(name)))
    if existing is not None and existing != except_id:
        raise name_taken(name)


def create_resource(
    session: Session, name: str, tags: list[str], description: str, enabled: bool, now: datetime
) -> int:
    """Add a resource of checked fields under a free name; its id."""
    check_name_free(session, name)
    resource = Resource(
        name=name,
        name_key=name_key(name),
        description=description,
        enabled=enabled,
        auto_reset_hours=DEFAULT_RESET_HOURS,
        created_at=now,
    )
    set_tags(resource, tags)
    session.add(resource)
    session.flush()
    return resource.id


def update_resource(
    session: Session,
    resource_id: int,
    name: str | None,
    tags: list[str] | None,
    description: str | None,
) -> None:
    """Rename, retag or redescribe a resource with checked fields; None keeps a field."""
    resource = resource_row(session, resource_id, lock=True)
    if name is not None:
        check_name_free(session, name, except_id=resource_id)
        resource.name = name
        resource.name_key = name_key(name)
    if tags is not None:
        set_tags(resource, tags)
        session.flush()
    if description is not None:
        resource.description = description


def set_enabled(session: Session, resource_id: int, enabled: bool) -> None:
    """Enable or disable a resource; its bookings stay."""
    resource_row(session, resource_id, lock=True).enabled = enabled


def end_maintenance(session: Session, resource_id: int) -> None:
    """Back in service now: the window, current or ahead, and its reason are gone."""
    resource = resource_row(session, resource_id, lock=True)
    resource.unavailable_since = None
    resource.maintenance_until = None
    resource.maintenance_reason = ""


def named(name: str) -> ColumnElement[bool]:
    """The resource of exactly `name` (any case, white space folded)."""
    return Resource.name_key == name_key(" ".join(name.split()))


MIN_PREFIX = 3
"""The shortest beginning of a name that is taken to mean the one resource it begins."""
MAX_CANDIDATES = 5


def match_key(name: str) -> str:
    """A name as a person's near miss is compared with it: any case, any accents,
    white space folded ("Café  A" and "cafe a" match)."""
    decomposed = unicodedata.normalize("NFKD", " ".join(name.split()).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def resolve_name(session: Session, reference: str) -> int:
    """The id of the resource `reference` names.

    The exact name (any case) wins; else the one name it equals without accents, or
    the one name it begins (at least MIN_PREFIX characters). Several such names are an
    AmbiguousNameError listing them; none is a NotFoundError with close matches.
    """
    exact = session.scalar(select(Resource.id).where(named(reference)))
    if exact is not None:
        return exact
    wanted = match_key(reference)
    rows = session.execute(select(Resource.id, Resource.name).order_by(Resource.name_key)).all()
    keyed = [(match_key(name), resource_id, name) for resource_id, name in rows]
    for matches in (
        [(i, n) for key, i, n in keyed if key == wanted],
        [(i, n) for key, i, n in keyed if len(wanted) >= MIN_PREFIX and key.startswith(wanted)],
    ):
        if len(matches) == 1:
            return matches[0][0]
        if matches:
            names = [name for _, name in matches]
            raise AmbiguousNameError(
                f"{reference!r} could be any of {len(names)} resources: "
                f"{_quoted(names)}; give more of the name",
                names,
            )
    suggestions = _close_matches(wanted, keyed)
    message = f"no resource named {reference!r}"
    if suggestions:
        message += f"; did you mean {_quoted(suggestions, 'or')}?"
    raise NotFoundError(message, suggestions)


def _close_matches(wanted: str, keyed: list[tuple[str, int, str]]) -> list[str]:
    """Names containing `wanted`, then names spelled like it, best first."""
    if not wanted:
        return []
    by_key: dict[str, str] = {}
    for key, _, name in keyed:
        by_key.setdefault(key, name)
    containing = [name for key, name in by_key.items() if wanted in key]
    spelled = difflib.get_close_matches(wanted, by_key, n=MAX_CANDIDATES, cutoff=0.6)
    # A near miss of a name's beginning ("Aurra" for "Aurora meeting room").
    begun = [
        name
        for key, name in by_key.items()
        if difflib.SequenceMatcher(None, wanted, key[: len(wanted) + 1]).ratio() >= 0.7
    ]
    found = dict.fromkeys(containing + [by_key[key] for key in spelled] + begun)
    return list(found)[:MAX_CANDIDATES]


def _quoted(names: list[str], last: str = "and") -> str:
    """'A', 'B' and 'C', with "and N more" past MAX_CANDIDATES."""
    shown = [repr(name) for name in names[:MAX_CANDIDATES]]
    rest = len(names) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + f" {last} " + shown[-1]


def search_conditions(
    text: str | None,
    tags: list[str],
    window: tuple[datetime, datetime] | None,
) -> list[ColumnElement[bool]]:
    """The conditions of a search: text anywhere, every tag, bookable for a checked window."""
    conditions: list[ColumnElement[bool]] = []
    if text and text.strip():
        conditions.append(text_match(text))
    conditions.extend(has_tag(tag) for tag in clean_tags(tags))
    if window is not None:
        conditions.append(bookable_during(*window))
    return conditions


def check_search_window(
    available_from: datetime | None, available_until: datetime | None, now: datetime
) -> tuple[datetime, datetime] | None:
    """A search's free window in UTC, both ends or neither, ending in the future."""
    if (available_from is None) != (available_until is None):
        raise ValidationError(
            "give both available_from and available_until, or neither", "available_until"
        )
    if available_from is None or available_until is None:
        return None
    start, end = as_utc(available_from), as_utc(available_until)
    if end <= start:
        raise ValidationError("the window's end must be after its start", "available_until")
    # Past reservations have expired, so a window that is over looks free everywhere.
    if end <= now:
        raise ValidationError(
            "that window is over: search one that ends in the future", "available_until"
        )
    return start, end


def count_resources(session: Session) -> int:
    """How many resources the store holds."""
    return session.scalar(select(func.count()).select_from(Resource)) or 0


def tagged(session: Session, tag: str) -> list[int]:
    """The ids of the resources carrying `tag`; NotFoundError when none does."""
    ids = list(
        session.scalars(
            select(ResourceTag.resource_id).where(ResourceTag.tag == normalized(tag.lower()))
        )
    )
    if not ids:
        raise NotFoundError(f"tag {tag!r} not found on any resource")
    return ids


def summarize(found: Sequence[ResourceInfo], now: datetime) -> Summary:
    """Counts of resources by derived status."""
    counts = dict.fromkeys(("available", "in_use", "maintenance", "disabled"), 0)
    for info in found:
        counts[info.status] += 1
    return Summary(
        total_resources=len(found),
        available_now=counts["available"],
        unavailable_now=counts["maintenance"] + counts["disabled"],
        currently_in_use=counts["in_use"],
        timestamp=now,
    )
