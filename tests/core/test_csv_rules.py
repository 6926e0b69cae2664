"""CSV import and export (DESIGN.md section 7) through LocalBackend on a real SQLite file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.csv_io import MAX_IMPORT_BYTES
from reserver_core.errors import ForbiddenError, ImportRejectedError, ValidationError
from reserver_core.local import LocalBackend


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


def test_export_then_import_round_trips(
    local: LocalBackend, tmp_path: Path, clock: FixedClock
) -> None:
    local.import_csv(
        upload('name,tags,available\n"Lab, ""west""","lab,bio",true\nBeamer,,false\nVan,van,\n')
    )
    out = io.StringIO()
    assert local.export_csv(out) == 3
    exported = out.getvalue()
    assert exported.splitlines()[0] == "name,tags,available"
    assert "Beamer,,false" in exported
    fresh = LocalBackend.open(
        f"sqlite:///{tmp_path}/copy.db", fast_settings(), clock, username="alice"
    )
    try:
        assert fresh.import_csv(upload(exported)).created_count == 3
        copied = [(i.name, i.tags, i.available) for i in fresh.list_resources()]
        original = [(i.name, i.tags, i.available) for i in local.list_resources()]
        assert copied == original
        again = io.StringIO()
        fresh.export_csv(again)
        assert again.getvalue() == exported
    finally:
        fresh.close()


def test_progress_is_reported_up_to_the_total(local: LocalBackend) -> None:
    rows = "".join(f"Room {index},room\n" for index in range(2500))
    seen: list[tuple[int, int]] = []
    report = local.import_csv(
        upload("name,tags\n" + rows), progress=lambda done, total: seen.append((done, total))
    )
    assert report.created_count == 2500
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]
    exported: list[tuple[int, int]] = []
    local.export_csv(io.StringIO(), progress=lambda done, total: exported.append((done, total)))
    assert exported[-1] == (2500, 2500)


def test_only_admins_import(local: LocalBackend, sqlite_url: str, clock: FixedClock) -> None:
    member = LocalBackend.open(sqlite_url, fast_settings(), clock, username="bob")
    try:
        with pytest.raises(ForbiddenError):
            member.import_csv(upload("name,tags\nRoom,\n"))
    finally:
        member.close()
