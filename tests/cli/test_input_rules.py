"""`reserver` in local mode on a fresh data directory: misleading names, weak
passwords and guessable server keys end with exit code 2 and say why."""

from __future__ import annotations

import stat
import unicodedata
from pathlib import Path

import pytest
from support.cli import Reserver
from support.servers import free_port

from reserver_cli.exit_codes import ExitCode
from reserver_core.settings import data_dir

NFC = unicodedata.normalize("NFC", "Café")
NFD = unicodedata.normalize("NFD", "Café")


@pytest.fixture(autouse=True)
def _runs_as_alice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The OS account of these tests is "alice", so she is a new store's first user: admin."""
    monkeypatch.setattr("reserver_core.users.local_username", lambda: "alice")


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Reserver:
    """`reserver` in local mode as alice, the admin: on SQLite, the default store in the
    (fresh) data directory; else a throwaway database named by RESERVER_DATABASE_URL."""
    env = {"RESERVER_BCRYPT_ROUNDS": "4"}
    if request.param != "sqlite":
        env["RESERVER_DATABASE_URL"] = str(request.getfixturevalue(f"{request.param}_url"))
    harness = Reserver("local", env, tmp_path)
    harness.ok("auth", "status")  # the first user of a store is its admin
    return harness


def test_nfc_and_nfd_are_one_name_and_accents_make_another(cli: Reserver) -> None:
    created = cli.data("resources", "create", NFD, "--tag", NFD)
    assert (created["name"], created["tags"]) == (NFC, [NFC.lower()])
    again = cli("resources", "create", NFC)
    assert again.exit_code == ExitCode.CONFLICT
    assert f"a resource named {NFC!r} already exists" in again.stderr
    assert cli.data("resources", "create", "cafe")["id"] != created["id"]
    assert [r["name"] for r in cli.data("resources", "list")] == ["cafe", NFC]
    assert cli.data("resources", "show", NFD.upper())["id"] == created["id"]
    if "RESERVER_DATABASE_URL" not in cli.env:
        store = data_dir() / "reserver.db"
        assert stat.S_IMODE(data_dir().stat().st_mode) == 0o700
        assert stat.S_IMODE(store.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (
            ["Room\u202eA"],
            "a resource name must not contain U+202E RIGHT-TO-LEFT OVERRIDE (at character 5): "
            "it changes how the text is shown",
        ),
        (
            ["Room\u200bA"],
            "a resource name must not contain U+200B ZERO WIDTH SPACE (at character 5): "
            "it is invisible",
        ),
        (
            ["\u3164"],
            "a resource name must not contain U+3164 HANGUL FILLER (at character 1): "
            "it is invisible",
        ),
        (
            ["\u2800"],
            "a resource name must have something to see: it holds only "
            "U+2800 BRAILLE PATTERN BLANK, which draw nothing of their own",
        ),
        (
            ["Room A", "--tag", "room,a\u2068b"],
            "must not contain U+2068 FIRST STRONG ISOLATE (at character 2)",
        ),
        (
            ["Room A", "-d", "see\u202bxyz"],
            "a description must not contain U+202B RIGHT-TO-LEFT EMBEDDING (at character 4)",
        ),
    ],
)
def test_misleading_input_exits_2_naming_the_character(
    tmp_path: Path, arguments: list[str], says: str
) -> None:
    cli = Reserver("local", {"RESERVER_BCRYPT_ROUNDS": "4"}, tmp_path)
    refused = cli("resources", "create", *arguments)
    assert refused.exit_code == ExitCode.INVALID_INPUT
    assert says in refused.stderr
    assert cli.data("resources", "list") == []


def test_an_import_names_each_bad_line(tmp_path: Path) -> None:
    cli = Reserver("local", {"RESERVER_BCRYPT_ROUNDS": "4"}, tmp_path)
    csv = tmp_path / "rooms.csv"
    csv.write_text(f"name,tags\nRoom A,room\nRoom\ufeffB,room\n{NFC},x\n{NFD},x\n", "utf-8")
    refused = cli("resources", "import", str(csv))
    assert refused.exit_code == ExitCode.INVALID_INPUT
    assert (
        "line 3: a resource name must not contain U+FEFF ZERO WIDTH NO-BREAK SPACE "
        "(at character 5): it is invisible"
    ) in refused.stderr
    assert f"line 5: {NFC!r} repeats line 4" in refused.stderr


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("password", "this password is among the most common ones, which are guessed first"),
        ("Qwerty123456", "this password is among the most common ones, which are guessed first"),
        (" " * 10, "a password cannot be only spaces"),
        ("kq7-vt2-x", "a password has at least 10 characters"),
    ],
)
def test_weak_passwords_exit_2(tmp_path: Path, password: str, says: str) -> None:
    cli = Reserver("local", {"RESERVER_BCRYPT_ROUNDS": "4"}, tmp_path)
    refused = cli("auth", "register", "dave", "--password-stdin", stdin=password + "\n")
    assert refused.exit_code == ExitCode.INVALID_INPUT
    assert says in refused.stderr
    made = cli("auth", "register", "dave", "--password-stdin", stdin="kq7-vt2-x-m\n")
    assert made.exit_code == 0, made.stderr


def test_serve_refuses_the_seeds_published_key(tmp_path: Path) -> None:
    env = {"RESERVER_SECRET_KEY": "your-secret-key-change-in-production"}
    cli = Reserver("local", env, tmp_path)
    refused = cli("serve", "--port", str(free_port()))
    assert refused.exit_code == ExitCode.INVALID_INPUT
    assert "RESERVER_SECRET_KEY is a key published in examples" in refused.stderr
    assert "secrets.token_urlsafe(48)" in refused.stderr
