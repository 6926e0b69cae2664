"""`reserver system ...`, `db upgrade` and `auth ...` end to end."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

from support.cli import Reserver
from support.clock import NOW
from support.servers import LiveServer

from reserver_cli.exit_codes import ExitCode

PASSWORD = "correct-horse-battery"


def test_status_summary_expire_and_config(reserver: Reserver, rooms: dict[str, int]) -> None:
    status = reserver.data("system", "status")
    assert status["mode"] == ("server" if reserver.remote else "local")
    assert status["user"]["username"] == "alice" and status["user"]["role"] == "admin"
    assert status["health"]["status"] == "ok"
    assert reserver.data("system", "status", user="bob")["user"]["role"] == "member"
    assert "alice (admin)" in reserver.ok("system", "status").stdout

    reserver.ok("resources", "disable", "Beamer")
    summary = reserver.data("system", "summary")
    assert (summary["total_resources"], summary["available_now"], summary["unavailable_now"]) == (
        3,
        2,
        1,
    )
    report = reserver.data("system", "expire")
    assert report["expired_count"] == 0

    config = reserver.data("--tz", "Asia/Tokyo", "system", "config")
    assert config["timezone"] == "Asia/Tokyo"
    assert config["settings"]["tz"] == "Asia/Tokyo"
    assert config["settings"]["bcrypt_rounds"] == 4  # from the environment
    assert config["settings"]["secret_key"] is None
    assert reserver.ok("system", "config", "--path").stdout.strip().endswith("settings.toml")


def test_flags_beat_environment_beat_settings_file(reserver: Reserver, tmp_path: Path) -> None:
    config_dir = Path(reserver.user_env("alice")["RESERVER_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "settings.toml").write_text(
        'tz = "America/New_York"\nslot_minutes = 60\n', encoding="utf-8"
    )
    from_file = reserver.data("system", "config")
    assert (from_file["timezone"], from_file["settings"]["slot_minutes"]) == (
        "America/New_York",
        60,
    )
    reserver.env["RESERVER_TZ"] = "Europe/Berlin"
    assert reserver.data("system", "config")["timezone"] == "Europe/Berlin"
    assert reserver.data("--tz", "UTC", "system", "config")["timezone"] == "UTC"

    (config_dir / "settings.toml").write_text("colour = 'blue'\n", encoding="utf-8")
    broken = reserver("system", "config")
    assert broken.exit_code == ExitCode.INVALID_INPUT and "colour" in broken.stderr


def test_a_bad_time_zone_fails_commands_that_show_no_time(reserver: Reserver) -> None:
    for args in (("--tz", "Mars/Olympus", "upcoming"), ("resources", "list", "--tz", "Nope")):
        outcome = reserver(*args)
        assert outcome.exit_code == ExitCode.INVALID_INPUT, args
        assert "unknown time zone" in outcome.stderr and outcome.stdout == ""
    reserver.env["RESERVER_TZ"] = "Europe/Nowhere"
    from_environment = reserver("reservations", "list", "--json")
    assert from_environment.exit_code == ExitCode.INVALID_INPUT
    assert from_environment.error()["field"] == "tz"


def test_db_upgrade(reserver: Reserver) -> None:
    if reserver.remote:
        refused = reserver("db", "upgrade")
        assert refused.exit_code == ExitCode.INVALID_INPUT and "server" in refused.stderr
        return
    done = reserver.data("db", "upgrade")
    assert done["upgraded"] is False and done["revision"]
    fresh = reserver.data(
        "--database-url", f"sqlite:///{reserver.home / 'new.db'}", "db", "upgrade"
    )
    assert fresh["upgraded"] is True and fresh["revision"] == done["revision"]


def test_store_errors_and_a_bad_fake_clock(reserver: Reserver, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    unusable = reserver("--database-url", f"sqlite:///{blocker}/r.db", "resources", "list")
    assert unusable.exit_code == ExitCode.STORE and "Traceback" not in unusable.stderr
    unknown = reserver("--database-url", "oracle://somewhere/db", "resources", "list")
    assert unknown.exit_code == ExitCode.STORE
    # The local user's own file: the message says which one failed, and why.
    notes = tmp_path / "notes.db"
    notes.write_text("name,tags\n" * 500, encoding="utf-8")
    not_a_store = reserver("--database-url", f"sqlite:///{notes}", "resources", "list")
    assert not_a_store.exit_code == ExitCode.STORE
    assert f"the database is unavailable: {notes} failed: file is not a database" in (
        not_a_store.stderr
    )

    both = reserver(
        "--server", "http://127.0.0.1:1", "--database-url", "sqlite:///x.db", "upcoming"
    )
    assert both.exit_code == ExitCode.INVALID_INPUT and "not both" in both.stderr

    reserver.env["RESERVER_FAKE_NOW"] = "last tuesday"
    bad_clock = reserver("resources", "list")
    assert bad_clock.exit_code == ExitCode.INVALID_INPUT
    assert "RESERVER_FAKE_NOW" in bad_clock.stderr


def test_login_and_logout_need_a_server(reserver: Reserver) -> None:
    if reserver.remote:
        return
    for args in (("auth", "login", "alice", "--password-stdin"), ("auth", "logout")):
        outcome = reserver(*args, stdin=PASSWORD + "\n")
        assert outcome.exit_code == ExitCode.INVALID_INPUT
        assert "needs a server" in outcome.stderr
    local = reserver.data("auth", "status")
    assert local == {
        "mode": "local",
        "server": None,
        "logged_in": True,
        "user": local["user"],
        "token_rejected": None,
    }
    assert local["user"]["username"] == "alice"
    made = reserver.data("auth", "register", "carol", "--password-stdin", stdin=PASSWORD + "\n")
    assert made["username"] == "carol" and made["role"] == "member"


def test_status_tells_a_rejected_login_from_none(
    reserver: Reserver, clocked_server: LiveServer
) -> None:
    if not reserver.remote:
        return
    clocked_server.set_now(NOW + timedelta(days=30))  # past the tokens' lifetime
    expired = reserver.data("auth", "status")
    assert expired["logged_in"] is False and "expired" in expired["token_rejected"]
    shown = reserver.ok("auth", "status").stdout
    assert "expired" in shown and "auth login" in shown
    never = reserver.data("auth", "status", user="carol")
    assert never["logged_in"] is False and never["token_rejected"] is None


def test_register_login_status_logout_on_a_server(reserver: Reserver) -> None:
    if not reserver.remote:
        return
    server = reserver.env["RESERVER_SERVER"]
    made = reserver.ok(
        "auth", "register", "Carol", "--password-stdin", "--json", user="carol", stdin=PASSWORD
    )
    assert made.json()["username"] == "carol" and made.json()["role"] == "member"
    registered = reserver("auth", "status", "--json", user="carol").json()
    assert registered["logged_in"] is True and registered["user"]["username"] == "carol"
    assert reserver.data("upcoming", user="carol") == []
    assert reserver.data("auth", "logout", user="carol")["logged_out"] is True
    assert reserver("auth", "status", "--json", user="carol").json()["logged_in"] is False
    before_login = reserver("upcoming", user="carol")
    assert before_login.exit_code == ExitCode.DENIED and "log in" in before_login.stderr

    wrong = reserver(
        "auth", "login", "carol", "--password-stdin", user="carol", stdin="not-the-password\n"
    )
    assert wrong.exit_code == ExitCode.DENIED
    assert "not-the-password" not in wrong.stdout + wrong.stderr

    login = reserver.ok(
        "auth", "login", "carol", "--password-stdin", user="carol", stdin=PASSWORD + "\n"
    )
    assert login.stdout.strip() == f"Logged in to {server} as carol."
    tokens = Path(reserver.user_env("carol")["RESERVER_CONFIG_DIR"]) / "tokens.json"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    token = json.loads(tokens.read_text(encoding="utf-8"))[server]
    assert token not in login.stdout + login.stderr and PASSWORD not in login.stdout

    status = reserver.data("auth", "status", user="carol")
    assert status["logged_in"] is True and status["user"]["username"] == "carol"
    assert reserver.data("upcoming", user="carol") == []

    assert reserver.data("auth", "logout", user="carol") == {"server": server, "logged_out": True}
    assert reserver.data("auth", "logout", user="carol")["logged_out"] is False
    assert reserver("upcoming", user="carol").exit_code == ExitCode.DENIED

    short = reserver("auth", "register", "dave", "--password-stdin", user="dave", stdin="short\n")
    assert short.exit_code == ExitCode.INVALID_INPUT and "10 characters" in short.stderr
    taken = reserver("auth", "register", "alice", "--password-stdin", user="x", stdin=PASSWORD)
    assert taken.exit_code == ExitCode.CONFLICT
    no_password = reserver("auth", "login", "carol", user="carol")
    assert (
        no_password.exit_code == ExitCode.INVALID_INPUT and "--password-stdin" in no_password.stderr
    )
