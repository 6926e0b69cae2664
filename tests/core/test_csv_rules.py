"""CSV import and export (DESIGN.md section 7) through LocalBackend on a real SQLite file."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.csv_io import MAX_IMPORT_BYTES
from reserver_core.display import counted, describe_import
from reserver_core.errors import ForbiddenError, ImportRejectedError, ValidationError
from reserver_core.local import LocalBackend
from reserver_core.schemas import ImportReport


def upload(text: str | bytes) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text)


def names(backend: LocalBackend) -> list[str]:
    return [info.name for info in backend.list_resources()]


def test_a_good_file_imports_names_tags_and_availability(local: LocalBackend) -> None:
    report = local.import_csv(
        upload(
            'name,tags,available\nRoom A,"room, Big",true\nBeamer,,no\n'
            '"Lab, west","lab,bio-2",1\nVan,van,\n'
        )
    )
    assert (report.created_count, report.errors) == (4, [])
    found = {info.name: info for info in local.list_resources()}
    assert found["Room A"].tags == ["room", "big"]
    assert found["Beamer"].tags == [] and found["Beamer"].available is False
    assert found["Beamer"].status == "disabled"
    assert found["Lab, west"].tags == ["lab", "bio-2"]
    assert found["Van"].available is True


def test_the_two_column_header_crlf_and_a_bom_are_accepted(local: LocalBackend) -> None:
    report = local.import_csv(upload(b"\xef\xbb\xbfname,tags\r\nRoom A,room\r\n\r\nRoom B,\r\n"))
    assert report.created_count == 2
    assert names(local) == ["Room A", "Room B"]


def test_every_bad_line_is_reported_and_nothing_is_written(local: LocalBackend) -> None:
    local.create_resource("Existing")
    text = (
        "name,tags,available\n"
        "Good one,room,true\n"  # 2
        ",room,true\n"  # 3 missing name
        f"{'x' * 201},,true\n"  # 4 over-long name
        "good ONE,,true\n"  # 5 duplicate of line 2 (case-insensitive)
        "existing,,\n"  # 6 duplicate of the database
        "Beamer,,maybe\n"  # 7 bad available
        "Too many,a,true,extra\n"  # 8 too many fields
        "Bad tag,!!!,true\n"  # 9 bad tag
        "Fine too,,false\n"  # 10
    )
    with pytest.raises(ImportRejectedError) as rejected:
        local.import_csv(upload(text))
    errors = {error.line: error.message for error in rejected.value.errors}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9]
    assert "cannot be empty" in errors[3]
    assert "at most 200 characters" in errors[4]
    assert "repeats line 2" in errors[5]
    assert "already exists" in errors[6]
    assert "available must be true or false, not 'maybe'" in errors[7]
    assert "4 fields, expected at most 3" in errors[8]
    assert "'!!!'" in errors[9]
    assert "7 bad lines, nothing imported" in str(rejected.value)
    assert names(local) == ["Existing"]


def test_non_utf8_lines_are_named_by_number(local: LocalBackend) -> None:
    data = b"name,tags\nRoom A,room\nCaf\xe9,bar\nRoom C,\n"
    with pytest.raises(ImportRejectedError) as rejected:
        local.import_csv(upload(data))
    assert [(e.line, e.message) for e in rejected.value.errors] == [
        (3, "the line is not valid UTF-8")
    ]
    assert names(local) == []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "the file is empty"),
        (b"title,labels\nRoom,\n", "the header must be name,tags"),
        (b"name\nRoom\n", "the header must be name,tags"),
        (b"name,tags,tags\nRoom,,\n", "the header must be name,tags[,available][,description]"),
        (b"name,tags,notes\nRoom,,\n", "not 'name,tags,notes'"),
        (b"na\xffme,tags\nRoom,\n", "the file is not UTF-8 text"),
        ("name,tags\nRaum,\n".encode("utf-16"), "the file is not UTF-8 text"),
    ],
)
@pytest.mark.parametrize("skip_invalid", [False, True])
def test_a_bad_header_rejects_the_file_at_line_1(
    local: LocalBackend, data: bytes, words: str, skip_invalid: bool
) -> None:
    # Skipping bad lines cannot rescue a file whose header says what no line means.
    with pytest.raises(ImportRejectedError) as rejected:
        local.import_csv(upload(data), skip_invalid=skip_invalid)
    ((line, message),) = [(e.line, e.message) for e in rejected.value.errors]
    assert line == 1 and words in message
    assert names(local) == []


def test_malformed_quoting_is_a_line_error(local: LocalBackend) -> None:
    with pytest.raises(ImportRejectedError) as rejected:
        local.import_csv(upload('name,tags\nRoom A,room\n"Room "B",x\nRoom C,\n'))
    assert [e.line for e in rejected.value.errors] == [3]
    assert "malformed CSV" in rejected.value.errors[0].message


def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(local: LocalBackend) -> None:
    local.create_resource("Existing")
    report = local.import_csv(
        upload("name,tags\nRoom A,room\n,nameless\nexisting,\nRoom B,\nroom a,\n"),
        skip_invalid=True,
    )
    assert report.created_count == 2
    assert [e.line for e in report.errors] == [3, 4, 6]
    assert names(local) == ["Existing", "Room A", "Room B"]


def test_a_file_over_the_size_limit_is_refused_before_parsing(local: LocalBackend) -> None:
    with pytest.raises(ValidationError) as refused:
        local.import_csv(upload(b"name,tags\n" + b"x" * MAX_IMPORT_BYTES))
    assert refused.value.field == "file" and "at most 16 MiB" in str(refused.value)


TRICKY_DESCRIPTIONS = {
    'Lab, "west"': 'Bench 3, by the "good" window',
    "Beamer": "first line\nsecond line\r\nthird, with a comma",
    "Ünïcödé room 🙂": "Käse, Straße — naïve café 🙂\ttab",
    "Van": "",
}


def test_export_then_import_round_trips(
    local: LocalBackend, tmp_path: Path, clock: FixedClock
) -> None:
    tags = {'Lab, "west"': ["lab", "bio"], "Beamer": [], "Ünïcödé room 🙂": ["z", "a", "m"]}
    for name, description in TRICKY_DESCRIPTIONS.items():
        local.create_resource(
            name,
            tags=tags.get(name, ["van"]),
            description=description,
            available=name != "Beamer",
        )
    out = io.StringIO()
    assert local.export_csv(out) == 4
    exported = out.getvalue()
    assert exported.splitlines()[0] == "name,tags,available,description"
    assert "Beamer,,false," in exported
    fresh = LocalBackend.open(
        f"sqlite:///{tmp_path}/copy.db", fast_settings(), clock, username="alice"
    )
    try:
        assert fresh.import_csv(upload(exported)).created_count == 4
        copied = [(i.name, i.tags, i.available, i.description) for i in fresh.list_resources()]
        original = [(i.name, i.tags, i.available, i.description) for i in local.list_resources()]
        assert copied == original
        assert {i.name: i.description for i in fresh.list_resources()} == TRICKY_DESCRIPTIONS
        again = io.StringIO()
        fresh.export_csv(again)
        assert again.getvalue() == exported
    finally:
        fresh.close()


@pytest.mark.parametrize(
    "text",
    [
        'name,tags\nRoom A,"room,big"\n',
        'name,tags,available\nRoom A,"room,big",no\n',
        'name,tags,description\nRoom A,"room,big","Big, bright"\n',
        'Description,Available,Tags,Name\n"Big, bright",no,"room,big",Room A\n',
    ],
)
def test_older_and_reordered_headers_are_read_by_their_names(
    local: LocalBackend, text: str
) -> None:
    assert local.import_csv(upload(text)).created_count == 1
    (room,) = local.list_resources()
    assert (room.name, room.tags) == ("Room A", ["room", "big"])
    assert room.available is ("available" not in text.lower())
    assert room.description == ("Big, bright" if "description" in text.lower() else "")


@pytest.fixture
def any_store(any_url: str, clock: FixedClock) -> Iterator[LocalBackend]:
    """An admin's backend on a fresh store of each kind of database in turn."""
    backend = LocalBackend.open(any_url, fast_settings(), clock, username="alice")
    yield backend
    backend.close()


def test_update_takes_the_files_fields_and_keeps_the_columns_it_leaves_out(
    any_store: LocalBackend,
) -> None:
    local = any_store
    local.import_csv(
        upload(
            "name,tags,available,description\n"
            'Room A,"room,big",true,Big and bright\n'
            "Room B,room,false,Small\n"
            "Room C,room,true,\n"
        )
    )
    report = local.import_csv(
        upload('name,tags\nroom a,"big,room"\nRoom B,room\nRoom D,new\n'),
        update_existing=True,
    )
    counts = (report.created_count, report.updated_count, report.unchanged_count)
    assert counts == (1, 1, 1) and report.skipped_count == 0 and report.errors == []
    found = {i.name: (i.tags, i.available, i.description) for i in local.list_resources()}
    assert found == {
        "Room A": (["big", "room"], True, "Big and bright"),  # its own name, in its case
        "Room B": (["room"], False, "Small"),
        "Room C": (["room"], True, ""),
        "Room D": (["new"], True, ""),
    }
    described = local.import_csv(
        upload("name,tags,description,available\nRoom B,room,,yes\nRoom C,room,,\n"),
        update_existing=True,
    )
    assert (described.created_count, described.updated_count, described.unchanged_count) == (
        0,
        1,
        1,
    )
    room_b = next(i for i in local.list_resources() if i.name == "Room B")
    assert (room_b.available, room_b.description) == (True, "")


def test_update_with_a_bad_line_changes_nothing_unless_bad_lines_are_skipped(
    local: LocalBackend,
) -> None:
    local.import_csv(upload("name,tags,description\nRoom A,room,Old\n"))
    before = io.StringIO()
    local.export_csv(before)
    text = 'name,tags,description\nRoom A,room,New\nRoom B,room,\nRoom C,"bad!",\n'
    with pytest.raises(ImportRejectedError) as rejected:
        local.import_csv(upload(text), update_existing=True)
    assert [e.line for e in rejected.value.errors] == [4]
    after = io.StringIO()
    local.export_csv(after)
    assert after.getvalue() == before.getvalue()
    skipped = local.import_csv(upload(text), update_existing=True, skip_invalid=True)
    assert (skipped.created_count, skipped.updated_count, skipped.skipped_count) == (1, 1, 1)
    assert {i.name: i.description for i in local.list_resources()} == {
        "Room A": "New",
        "Room B": "",
    }


def test_a_description_is_checked_like_one_typed(local: LocalBackend) -> None:
    text = f'name,tags,description\nRoom A,,{"x" * 2001}\nRoom B,,"a\u202eb"\n'
    with pytest.raises(ImportRejectedError) as rejected:
        local.import_csv(upload(text))
    errors = [(e.line, e.message) for e in rejected.value.errors]
    assert [line for line, _ in errors] == [2, 3]
    assert "at most 2000 characters" in errors[0][1]


def test_progress_is_reported_up_to_the_total(local: LocalBackend) -> None:
    rows = "".join(f"Room {index},room\n" for index in range(2500))
    seen: list[tuple[int, int]] = []
    report = local.import_csv(
        upload("name,tags\n" + rows), progress=lambda done, total: seen.append((done, total))
    )
    assert report.created_count == 2500
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]
    seen.clear()
    changed = "".join(
        f"Room {index},{'hall' if index < 1500 else 'room'}\n" for index in range(3000)
    )
    local.import_csv(
        upload("name,tags\n" + changed),
        progress=lambda done, total: seen.append((done, total)),
        update_existing=True,
    )
    # 500 new, then 1500 updated; the 1000 unchanged are not written.
    assert seen == [(500, 2000), (1500, 2000), (2000, 2000)]
    exported: list[tuple[int, int]] = []
    local.export_csv(io.StringIO(), progress=lambda done, total: exported.append((done, total)))
    assert exported[-1] == (3000, 3000)


def test_only_admins_import(local: LocalBackend, sqlite_url: str, clock: FixedClock) -> None:
    member = LocalBackend.open(sqlite_url, fast_settings(), clock, username="bob")
    try:
        with pytest.raises(ForbiddenError):
            member.import_csv(upload("name,tags\nRoom,\n"))
    finally:
        member.close()


def test_two_updating_imports_of_one_file_at_once(any_url: str, clock: FixedClock) -> None:
    rows = "".join(f"Rack {index},lab,true,Shelf {index}\n" for index in range(500))
    data = ("name,tags,available,description\n" + rows).encode()
    first = LocalBackend.open(any_url, fast_settings(), clock, username="alice")
    barrier = threading.Barrier(2)

    def run() -> ImportReport:
        # Its own backend, as a second terminal would have.
        backend = LocalBackend.open(any_url, fast_settings(), clock, username="alice")
        try:
            barrier.wait()
            return backend.import_csv(upload(data), update_existing=True)
        finally:
            backend.close()

    try:
        with ThreadPoolExecutor(2) as pool:
            reports = list(pool.map(lambda _: run(), range(2)))
        counts = sorted((r.created_count, r.unchanged_count) for r in reports)
        assert counts == [(0, 500), (500, 0)]
        assert len(names(first)) == len(set(names(first))) == 500
    finally:
        first.close()


@pytest.mark.parametrize(
    ("report", "said"),
    [
        (ImportReport(created_count=1), "Imported 1 resource"),
        (ImportReport(created_count=0), "Imported 0 resources"),
        (
            ImportReport(created_count=2, skipped_count=1),
            "Imported 2 resources; skipped 1 bad line",
        ),
        (
            ImportReport(created_count=1, updated_count=1, unchanged_count=0, skipped_count=3),
            "Imported 2 resources: 1 new, 1 updated, 0 unchanged; skipped 3 bad lines",
        ),
        (
            ImportReport(created_count=0, unchanged_count=1),
            "Imported 1 resource: 0 new, 0 updated, 1 unchanged",
        ),
    ],
)
def test_an_import_is_said_with_its_counts_in_the_right_number(
    report: ImportReport, said: str
) -> None:
    assert describe_import(report) == said


def test_a_count_takes_the_singular_for_one_only() -> None:
    assert [counted(n, "resource") for n in (0, 1, 2)] == [
        "0 resources",
        "1 resource",
        "2 resources",
    ]
    assert (
        counted(1, "entry", "entries") == "1 entry"
        and counted(3, "entry", "entries") == "3 entries"
    )
