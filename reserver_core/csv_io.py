"""CSV import and export of resources: `name,tags[,available]`.

A file is validated in full before anything is written. Every bad line is
reported with its line number: a missing or over-long name, a duplicate name
(within the file or against the database), a bad tag, a bad `available`
value, bytes that are not UTF-8, too many fields. The valid rows are then
inserted in bulk, in the caller's transaction.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from reserver_core.backend import ProgressCallback
from reserver_core.errors import ImportRejectedError, LineError, ReserverError, ValidationError
from reserver_core.models import Resource, ResourceTag
from reserver_core.resources import DEFAULT_RESET_HOURS, clean_name, name_key, split_tags
from reserver_core.schemas import ImportReport, ResourceInfo

MAX_IMPORT_BYTES = 16 * 1024 * 1024
HEADER = ("name", "tags", "available")
_TRUE = {"true", "yes", "1", "y", "on"}
_FALSE = {"false", "no", "0", "n", "off"}
_BATCH = 1000
"""Rows inserted (and reported as progress) at a time."""
_LOOKUP_CHUNK = 5000


@dataclass(frozen=True)
class CsvResource:
    """One valid line of an import file."""

    line: int
    name: str
    tags: list[str]
    available: bool


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
            [LineError(1, "the file is empty; expected the header name,tags[,available]")]
        )
    if 1 in bad_utf8:
        raise ImportRejectedError(
            [LineError(1, "the file is not UTF-8 text; save it as a UTF-8 CSV file")]
        )
    columns = [cell.strip().lower() for cell in header]
    if columns not in (list(HEADER[:2]), list(HEADER)):
        found = ",".join(header)[:80]
        raise ImportRejectedError(
            [LineError(1, f"the header must be name,tags or name,tags,available, not {found!r}")]
        )
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
            row = _parse_row(first_line, record, len(columns))
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


def _parse_row(line: int, record: list[str], width: int) -> CsvResource:
    if len(record) > width:
        raise ValidationError(f"{len(record)} fields, expected at most {width}", "file")
    cells = record + [""] * (width - len(record))
    name = clean_name(cells[0])
    tags = split_tags(cells[1])
    available = parse_available(cells[2]) if width == 3 else True
    return CsvResource(line, name, tags, available)


def write_resources_csv(out: TextIO, rows: Iterable[tuple[str, list[str], bool]]) -> int:
    """Write the header and `(name, tags, available)` rows; returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    for name, tags, available in rows:
        writer.writerow([name, ",".join(tags), "true" if available else "false"])
        count += 1
    return count


def export_rows(
    found: Sequence[ResourceInfo], progress: ProgressCallback | None = None
) -> Iterator[tuple[str, list[str], bool]]:
    """The `(name, tags, available)` rows of resources, reporting progress per batch."""
    total = len(found)
    for index, info in enumerate(found, start=1):
        yield info.name, info.tags, info.available
        if progress and (index % _BATCH == 0 or index == total):
            progress(index, total)


def import_resources(
    session: Session,
    rows: list[CsvResource],
    errors: list[LineError],
    skip_invalid: bool,
    now: datetime,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Refuse names the store has, then insert the valid rows (or none if any is bad)."""
    taken = _existing_names(session, [name_key(row.name) for row in rows])
    line_errors = list(errors)
    valid = []
    for row in rows:
        if name_key(row.name) in taken:
            line_errors.append(LineError(row.line, f"a resource named {row.name!r} already exists"))
        else:
            valid.append(row)
    line_errors.sort(key=lambda e: e.line)
    if line_errors and not skip_invalid:
        raise ImportRejectedError(line_errors)
    _insert_resources(session, valid, now, progress)
    return ImportReport(created_count=len(valid), errors=line_errors)


def _existing_names(session: Session, keys: list[str]) -> set[str]:
    taken: set[str] = set()
    for index in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[index : index + _LOOKUP_CHUNK]
        taken.update(session.scalars(select(Resource.name_key).where(Resource.name_key.in_(chunk))))
    return taken


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
                    "description": "",
                    "enabled": row.available,
                    "auto_reset_hours": DEFAULT_RESET_HOURS,
                    "created_at": now,
                }
                for row in batch
            ],
        )
        keys = [name_key(row.name) for row in batch]
        query = select(Resource.name_key, Resource.id).where(Resource.name_key.in_(keys))
        ids = {key: resource_id for key, resource_id in session.execute(query)}
        tag_rows = [
            {"resource_id": ids[name_key(row.name)], "tag": tag, "position": position}
            for row in batch
            for position, tag in enumerate(row.tags)
        ]
        if tag_rows:
            session.execute(insert(ResourceTag), tag_rows)
        if progress:
            progress(min(index + _BATCH, total), total)
    if progress and total == 0:
        progress(0, 0)


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
