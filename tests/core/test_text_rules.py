"""Names, tags and free text that would mislead a reader: refused, or stored in one form.

Bidi controls reorder what a terminal shows, zero-width and other invisible
characters make two names that look the same, and "Café" typed in NFC or in
NFD must be one name on every database, while "cafe" and "café" are two.
"""

from __future__ import annotations

import io
import re
import sys
import unicodedata
from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import column, insert, select, table
from support.clock import NOW
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.db import HEAD_REVISION, Database
from reserver_core.errors import AlreadyExistsError, ImportRejectedError, ValidationError
from reserver_core.local import LocalBackend
from reserver_core.migrate import alembic_config
from reserver_core.models import Resource
from reserver_core.text import BIDI_CONTROLS, is_invisible

NFC = unicodedata.normalize("NFC", "Café")
NFD = unicodedata.normalize("NFD", "Café")

MISLEADING = [
    # (character, what the refusal says about it)
    ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE", "it changes how the text is shown"),
    ("\u202a", "U+202A LEFT-TO-RIGHT EMBEDDING", "it changes how the text is shown"),
    ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE", "it changes how the text is shown"),
    ("\u2069", "U+2069 POP DIRECTIONAL ISOLATE", "it changes how the text is shown"),
    ("\u200f", "U+200F RIGHT-TO-LEFT MARK", "it changes how the text is shown"),
    ("\u061c", "U+061C ARABIC LETTER MARK", "it changes how the text is shown"),
    ("\u200b", "U+200B ZERO WIDTH SPACE", "it is invisible"),
    ("\u200d", "U+200D ZERO WIDTH JOINER", "it is invisible"),
    ("\u2060", "U+2060 WORD JOINER", "it is invisible"),
    ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE", "it is invisible"),
    ("\u180e", "U+180E MONGOLIAN VOWEL SEPARATOR", "it is invisible"),
    ("\u00ad", "U+00AD SOFT HYPHEN", "it is invisible"),
    ("\u3164", "U+3164 HANGUL FILLER", "it is invisible"),
    ("\u115f", "U+115F HANGUL CHOSEONG FILLER", "it is invisible"),
    ("\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A", "it is invisible"),
]


def test_the_invisible_table_covers_every_format_character_of_this_python() -> None:
    """The table is written out (a regular expression scans faster than a loop asking
    unicodedata); it must still hold every Cf character the running Python knows."""
    missing = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) == "Cf" and not is_invisible(chr(code))
    ]
    assert missing == []
    assert all(is_invisible(character) for character in BIDI_CONTROLS)
    assert not any(is_invisible(character) for character in "aé ü\u2800\u3000\U0001f600")


@pytest.fixture
def store(any_url: str, clock: FixedClock) -> Iterator[LocalBackend]:
    """alice, the admin, on a fresh store of each kind."""
    backend = LocalBackend.open(any_url, fast_settings(), clock, username="alice")
    yield backend
    backend.close()


def test_one_name_in_nfc_and_nfd_and_two_with_and_without_an_accent(
    store: LocalBackend,
) -> None:
    created = store.create_resource(NFD)
    assert created.name == NFC  # stored composed, whatever was typed
    with pytest.raises(AlreadyExistsError, match="already exists"):
        store.create_resource(NFC)
    assert store.find_resource(NFD).id == created.id
    # Accents make another name on every database, MariaDB's default collation included.
    plain = store.create_resource("cafe")
    assert plain.id != created.id
    assert store.find_resource("CAFE").id == plain.id
    assert store.find_resource("CAFÉ").id == created.id
    assert [r.name for r in store.list_resources()] == ["cafe", NFC]
    with pytest.raises(AlreadyExistsError):
        store.update_resource(plain.id, name=NFD)
    assert store.update_resource(plain.id, tags=[NFD]).tags == [NFC.lower()]
    assert [r.id for r in store.search_resources(None, [NFD.upper()], "all")] == [plain.id]
    assert [r.id for r in store.search_resources(NFD.lower(), None, "all")] == [
        plain.id,
        created.id,
    ]
    # Tags too are one with and one without an accent, on every database.
    assert store.update_resource(created.id, tags=["cafe", NFD]).tags == ["cafe", NFC.lower()]
    assert [r.id for r in store.search_resources(None, ["cafe"], "all")] == [created.id]


@pytest.mark.parametrize(("character", "named", "reason"), MISLEADING)
def test_misleading_characters_are_refused_by_name_and_position(
    local: LocalBackend, character: str, named: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        local.create_resource(f"Room{character}A")
    assert str(refused.value) == (
        f"a resource name must not contain {named} (at character 5): {reason}"
    )
    assert refused.value.field == "name"
    at_three = re.escape(f"must not contain {named} (at character 3)")
    with pytest.raises(ValidationError, match=at_three):
        local.create_resource("Room B", tags=["ok", f"la{character}b"])
    room = local.create_resource("Room C")
    with pytest.raises(ValidationError, match=f"tag 'x.*' must not contain {re.escape(named)}"):
        local.update_resource(room.id, tags=[f"x{character}"])
    assert [r.name for r in local.list_resources()] == ["Room C"]


def test_free_text_refuses_bidi_controls_but_keeps_line_breaks_and_joiners(
    local: LocalBackend,
) -> None:
    with pytest.raises(ValidationError) as refused:
        local.create_resource("Room", description="see \u202egnp.exe")
    assert str(refused.value) == (
        "a description must not contain U+202E RIGHT-TO-LEFT OVERRIDE (at character 5): "
        "it changes how the text is shown"
    )
    # Joiners build emoji and are needed in Persian; in free text they stay.
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    room = local.create_resource("Room", description=f"Line one\n\tfor the {family}\n{NFD}")
    assert room.description == f"Line one\n\tfor the {family}\n{NFC}"
    start = NOW + timedelta(hours=1)
    booked = local.book(room.id, start, start + timedelta(hours=1))
    with pytest.raises(ValidationError, match="a reason must not contain U\\+2067 RIGHT-TO-LEFT"):
        local.cancel(booked.id, "moved \u2067x")
    assert local.cancel(booked.id, "moved\nto 3B").cancellation_reason == "moved\nto 3B"


@pytest.mark.parametrize(
    "name", ["\u3164", "\u115f\u1160", "\u2800", "\u2800 \u2800", "\u0301", " \u034f "]
)
def test_names_that_show_nothing_are_refused(local: LocalBackend, name: str) -> None:
    with pytest.raises(ValidationError, match="a resource name must") as refused:
        local.create_resource(name)
    assert "U+" in str(refused.value)
    assert local.list_resources() == []


def test_a_csv_import_names_the_line_and_the_character(local: LocalBackend) -> None:
    data = (
        "name,tags\n"
        "Room A,room\n"
        "Room\u200bB,room\n"
        f"{NFC},room\n"
        f"{NFD},room\n"
        "\u2800,room\n"
        "Room C,ro\u202eom\n"
    ).encode()
    with pytest.raises(ImportRejectedError) as rejected:
        local.import_csv(io.BytesIO(data))
    assert [(e.line, e.message) for e in rejected.value.errors] == [
        (
            3,
            "a resource name must not contain U+200B ZERO WIDTH SPACE (at character 5): "
            "it is invisible",
        ),
        (5, f"{NFC!r} repeats line 4"),
        (
            6,
            "a resource name must have something to see: it holds only "
            "U+2800 BRAILLE PATTERN BLANK, which draw nothing of their own",
        ),
        (
            7,
            "tag 'ro\\u202eom' must not contain U+202E RIGHT-TO-LEFT OVERRIDE "
            "(at character 3): it changes how the text is shown",
        ),
    ]
    assert local.list_resources() == []
    report = local.import_csv(io.BytesIO(data), skip_invalid=True)
    assert report.created_count == 2
    assert [r.name for r in local.list_resources()] == [NFC, "Room A"]


def test_a_store_with_names_that_now_collide_upgrades(any_url: str, clock: FixedClock) -> None:
    """Before 0005, NFC and NFD "Café" had two keys; after it, the later one keeps its
    own key, so the upgrade neither fails nor loses a resource."""
    old = Database(any_url, fast_settings())
    try:
        command.upgrade(alembic_config(old.write_engine), "0004")
        rows = [
            {"name": NFC, "name_key": NFC.casefold()},
            {"name": NFD, "name_key": NFD.casefold()},
            {"name": "Ｒｏｏｍ", "name_key": "ｒｏｏｍ"},
            {"name": "room", "name_key": "room"},
        ]
        with old.write_engine.begin() as connection:
            connection.execute(
                # The table as revision 0004 has it, not as today's model does.
                insert(
                    table(
                        "resources",
                        *(
                            column(name)
                            for name in (
                                "name",
                                "name_key",
                                "description",
                                "enabled",
                                "auto_reset_hours",
                                "created_at",
                            )
                        ),
                    )
                ),
                [
                    {
                        **r,
                        "description": "",
                        "enabled": True,
                        "auto_reset_hours": 8,
                        "created_at": NOW,
                    }
                    for r in rows
                ],
            )
    finally:
        old.close()
    upgraded = LocalBackend.open(any_url, fast_settings(), clock, username="alice")
    try:
        assert upgraded.database.current_revision() == HEAD_REVISION
        found = upgraded.database.read(
            lambda s: s.execute(
                select(Resource.name, Resource.name_key).order_by(Resource.id)
            ).all()
        )
        assert [tuple(row) for row in found] == [
            (NFC, "café"),
            (NFD, "café #2"),
            ("Ｒｏｏｍ", "room"),
            ("room", "room #4"),
        ]
        assert upgraded.find_resource(NFD).name == NFC
        with pytest.raises(AlreadyExistsError):
            upgraded.create_resource("ROOM")
    finally:
        upgraded.close()
