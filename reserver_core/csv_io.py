"""CSV import and export of resources: `name,tags[,available][,description]`.

A file is validated in full before anything is written. Every bad line is
reported with its line number: a missing or over-long name, a duplicate name
(within the file, or against the database unless existing resources are to be
updated), a bad tag, a bad `available` value, a bad description, bytes that are
not UTF-8, too many fields. The valid rows are then written in bulk, in the
caller's transaction.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from reserver_core.backend import ProgressCallback
from reserver_core.errors import ImportRejectedError, LineError, ReserverError, ValidationError
from reserver_core.models import Resource, ResourceTag
from reserver_core.resources import (
    DEFAULT_RESET_HOURS,
    clean_description,
    clean_name,
    name_key,
    split_tags,
)
from reserver_core.schemas import ImportReport, ResourceInfo

MAX_IMPORT_BYTES = 16 * 1024 * 1024
HEADER = ("name", "tags", "available", "description")
"""The columns an export writes, in this order."""
HEADER_HELP = "name,tags[,available][,description]"
"""The header as people are told it: name and tags, then either optional column."""
_REQUIRED = ("name", "tags")
_TRUE = {"true", "yes", "1", "y", "on"}
_FALSE = {"false", "no", "0", "n", "off"}
_EXISTS = "a resource named {!r} already exists"
_BATCH = 1000
"""Rows written (and reported as progress) at a time."""
_LOOKUP_CHUNK = 5000


@dataclass(frozen=True)
class CsvResource:
    """One valid line of an import file; None for a column the file does not have."""

    line: int
    name: str
    tags: list[str]
    available: bool | None
    description: str | None


@dataclass(frozen=True)
class _Stored:
    """What an import may change of a resource the store already has."""

    id: int
    tags: list[str]
    description: str
    enabled: bool


def parse_available(text: str) -> bool:
    """Read an `available` cell: true/false, yes/no, 1/0; empty means true."""
    value = text.strip().lower()
    if not value or value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(f"available must be true or false, not {text.strip()!r}", "available")


def _decoded_lines(data: bytes, bad_lines: set[int]) -> Iterator[str]:
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            bad_lines.add(number)
            yield raw.decode("utf-8", errors="replace")


def parse_resources_csv(data: bytes) -> tuple[list[CsvResource], list[LineError]]:
    """Split an import file into its valid rows and its bad lines (1-based numbers).

    ImportRejectedError when the header is missing or wrong: then no line means anything.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            f"the file is {len(data) // (1024 * 1024)} MiB; at most "
            f"{MAX_IMPORT_BYTES // (1024 * 1024)} MiB can be imported at once",
            "file",
        )
    bad_utf8: set[int] = set()
    reader = csv.reader(_decoded_lines(data, bad_utf8), strict=True)
    rows: list[CsvResource] = []
    errors: list[LineError] = []
    # Without a readable header no line can be read: the whole file is refused,
    # even when bad lines may be skipped.
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportRejectedError([LineError(1, f"unreadable header: {exc}")]) from exc
    if header is None:
        raise ImportRejectedError(
            [LineError(1, f"the file is empty; expected the header {HEADER_HELP}")]
        )
    if 1 in bad_utf8:
        raise ImportRejectedError(
            [LineError(1, "the file is not UTF-8 text; save it as a UTF-8 CSV file")]
        )
    columns = _columns(header)
    seen: dict[str, int] = {}
    last_line = 1
    while True:
        first_line = last_line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(reader.line_num, f"malformed CSV: {exc}"))
            last_line = reader.line_num
            continue
        last_line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        lines = range(first_line, last_line + 1)
        if any(number in bad_utf8 for number in lines):
            errors.append(LineError(first_line, "the line is not valid UTF-8"))
            continue
        try:
            row = _parse_row(first_line, record, columns)
        except ValidationError as exc:
            errors.append(LineError(first_line, str(exc)))
            continue
        key = name_key(row.name)
        if key in seen:
            errors.append(LineError(first_line, f"{row.name!r} repeats line {seen[key]}"))
            continue
        seen[key] = first_line
        rows.append(row)
    return rows, errors


def _columns(header: list[str]) -> list[str]:
    """The columns a header names, in its order: name and tags, and optionally available
    and description, each once, in any order."""
    columns = [cell.strip().lower() for cell in header]
    known = set(HEADER)
    if (
        any(column not in known for column in columns)
        or len(set(columns)) != len(columns)
        or not all(column in columns for column in _REQUIRED)
    ):
        found = ",".join(header)[:80]
        raise ImportRejectedError(
            [
                LineError(
                    1,
                    f"the header must be {HEADER_HELP} (the last two in any order, or left "
                    f"out), not {found!r}",
                )
            ]
        )
    return columns


def _parse_row(line: int, record: list[str], columns: list[str]) -> CsvResource:
    if len(record) > len(columns):
        raise ValidationError(f"{len(record)} fields, expected at most {len(columns)}", "file")
    cells = dict(zip(columns, record + [""] * (len(columns) - len(record)), strict=True))
    available = cells.get("available")
    description = cells.get("description")
    return CsvResource(
        line,
        clean_name(cells["name"]),
        split_tags(cells["tags"]),
        None if available is None else parse_available(available),
        None if description is None else clean_description(description),
    )


def write_resources_csv(out: TextIO, rows: Iterable[tuple[str, list[str], bool, str]]) -> int:
    """Write the header and `(name, tags, available, description)` rows; the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    for name, tags, available, description in rows:
        writer.writerow([name, ",".join(tags), "true" if available else "false", description])
        count += 1
    return count


def export_rows(
    found: Sequence[ResourceInfo], progress: ProgressCallback | None = None
) -> Iterator[tuple[str, list[str], bool, str]]:
    """The `(name, tags, available, description)` rows of resources, reporting progress
    per batch."""
    total = len(found)
    for index, info in enumerate(found, start=1):
        yield info.name, info.tags, info.available, info.description
        if progress and (index % _BATCH == 0 or index == total):
            progress(index, total)


def import_resources(
    session: Session,
    rows: list[CsvResource],
    errors: list[LineError],
    skip_invalid: bool,
    now: datetime,
    progress: ProgressCallback | None = None,
    update_existing: bool = False,
) -> ImportReport:
    """Create the rows' resources, or none if any line is bad (unless `skip_invalid`).

    A name the store has is a bad line, unless `update_existing`: then that resource
    takes the row's tags, and its description and availability where the file has
    those columns.
    """
    keys = [name_key(row.name) for row in rows]
    stored = _stored_resources(session, keys) if update_existing else {}
    taken = set(stored) if update_existing else _existing_names(session, keys)
    line_errors = list(errors)
    created: list[CsvResource] = []
    changed: list[tuple[_Stored, CsvResource]] = []
    unchanged = 0
    for key, row in zip(keys, rows, strict=True):
        if key not in taken:
            created.append(row)
        elif not update_existing:
            line_errors.append(LineError(row.line, _EXISTS.format(row.name)))
        elif _changes(stored[key], row):
            changed.append((stored[key], row))
        else:
            unchanged += 1
    line_errors.sort(key=lambda e: e.line)
    if line_errors and not skip_invalid:
        raise ImportRejectedError(line_errors)
    total = len(created) + len(changed)
    _insert_resources(session, created, now, _offset(progress, 0, total))
    _update_resources(session, changed, _offset(progress, len(created), total))
    if progress and total == 0:
        progress(0, 0)
    return ImportReport(
        created_count=len(created),
        updated_count=len(changed),
        unchanged_count=unchanged,
        skipped_count=len(line_errors),
        errors=line_errors,
    )


def _offset(progress: ProgressCallback | None, before: int, total: int) -> ProgressCallback | None:
    """`progress` for one part of an import that follows `before` rows of `total`."""
    if progress is None:
        return None
    return lambda done, _: progress(before + done, total)


def names_existing_resources(errors: Iterable[LineError]) -> bool:
    """Whether some of a refused import's lines name resources the store has: an import
    that updates existing resources would take them."""
    prefix, suffix = _EXISTS.split("{!r}")
    return any(e.message.startswith(prefix) and e.message.endswith(suffix) for e in errors)


def _existing_names(session: Session, keys: list[str]) -> set[str]:
    taken: set[str] = set()
    for index in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[index : index + _LOOKUP_CHUNK]
        taken.update(session.scalars(select(Resource.name_key).where(Resource.name_key.in_(chunk))))
    return taken


def _stored_resources(session: Session, keys: list[str]) -> dict[str, _Stored]:
    """What an update compares of the resources of these name keys, by key; their rows
    are locked until the transaction ends."""
    found: dict[str, _Stored] = {}
    # In name order, so that two imports lock the rows they share in the same order.
    ordered = sorted(set(keys))
    for index in range(0, len(ordered), _LOOKUP_CHUNK):
        chunk = ordered[index : index + _LOOKUP_CHUNK]
        rows = session.execute(
            select(Resource.name_key, Resource.id, Resource.description, Resource.enabled)
            .where(Resource.name_key.in_(chunk))
            .order_by(Resource.name_key)
            .with_for_update()
        ).all()
        tags: dict[int, list[str]] = {}
        tag_rows = session.execute(
            select(ResourceTag.resource_id, ResourceTag.tag)
            .where(ResourceTag.resource_id.in_([row.id for row in rows]))
            .order_by(ResourceTag.resource_id, ResourceTag.position)
        )
        for resource_id, tag in tag_rows:
            tags.setdefault(resource_id, []).append(tag)
        for key, resource_id, description, enabled in rows:
            found[key] = _Stored(resource_id, tags.get(resource_id, []), description, enabled)
    return found


def _changes(stored: _Stored, row: CsvResource) -> bool:
    """Whether a row would change the resource it names."""
    return (
        row.tags != stored.tags
        or (row.description is not None and row.description != stored.description)
        or (row.available is not None and row.available != stored.enabled)
    )


def _insert_resources(
    session: Session,
    rows: list[CsvResource],
    now: datetime,
    progress: ProgressCallback | None,
) -> None:
    total = len(rows)
    for index in range(0, total, _BATCH):
        batch = rows[index : index + _BATCH]
        session.execute(
            insert(Resource),
            [
                {
                    "name": row.name,
                    "name_key": name_key(row.name),
                    "description": row.description or "",
                    "enabled": True if row.available is None else row.available,
                    "auto_reset_hours": DEFAULT_RESET_HOURS,
                    "created_at": now,
                }
                for row in batch
            ],
        )
        keys = [name_key(row.name) for row in batch]
        query = select(Resource.name_key, Resource.id).where(Resource.name_key.in_(keys))
        ids = {key: resource_id for key, resource_id in session.execute(query)}
        _insert_tags(session, [(ids[name_key(row.name)], row.tags) for row in batch])
        if progress:
            progress(min(index + _BATCH, total), total)


def _update_resources(
    session: Session,
    changed: list[tuple[_Stored, CsvResource]],
    progress: ProgressCallback | None,
) -> None:
    total = len(changed)
    for index in range(0, total, _BATCH):
        batch = changed[index : index + _BATCH]
        session.execute(
            update(Resource),
            [
                {
                    "id": stored.id,
                    "description": stored.description
                    if row.description is None
                    else row.description,
                    "enabled": stored.enabled if row.available is None else row.available,
                }
                for stored, row in batch
            ],
        )
        retagged = [(stored.id, row.tags) for stored, row in batch if row.tags != stored.tags]
        if retagged:
            ids = [resource_id for resource_id, _ in retagged]
            session.execute(delete(ResourceTag).where(ResourceTag.resource_id.in_(ids)))
            _insert_tags(session, retagged)
        if progress:
            progress(min(index + _BATCH, total), total)


def _insert_tags(session: Session, tagged: list[tuple[int, list[str]]]) -> None:
    """Give each resource id its tags, in order."""
    tag_rows = [
        {"resource_id": resource_id, "tag": tag, "position": position}
        for resource_id, tags in tagged
        for position, tag in enumerate(tags)
    ]
    if tag_rows:
        session.execute(insert(ResourceTag), tag_rows)


def export_to_path(
    export: Callable[[TextIO, ProgressCallback | None], int],
    path: Path,
    progress: ProgressCallback | None = None,
    field: str = "path",
) -> int:
    """Write an export (a backend's `export_csv`) to `path`; returns the row count.

    The CSV is written beside the target and renamed over it, so a failed export
    never leaves half a file where a good one was.
    """
    draft = path.with_name(f".{path.name}.partial")
    try:
        with draft.open("w", encoding="utf-8", newline="") as handle:
            count = export(handle, progress)
        draft.replace(path)
    except OSError as exc:
        draft.unlink(missing_ok=True)
        raise ValidationError(f"cannot write {path}: {exc.strerror}", field) from exc
    except (ReserverError, KeyboardInterrupt):
        draft.unlink(missing_ok=True)
        raise
    return count
