"""Local mode's identity: the OS account the process runs as, and --user an admin's right."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reserver_cli.exit_codes import ExitCode
from reserver_core.db import Database
from reserver_core.settings import Settings
from reserver_core.users import create_user

RESERVER = [sys.executable, "-c", "from reserver_cli import main; main()"]
ME = pwd.getpwuid(os.getuid()).pw_name
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).replace(hour=10, minute=0, microsecond=0)


def run(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RESERVER, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "RESERVER_DATABASE_URL": url, **env},
        timeout=60,
    )


def store_whose_admin_is_someone_else(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    database = Database.open(url, Settings())
    database.write(lambda s: create_user(s, "lab-admin", "", datetime.now(UTC)))
    database.close()
    return url


def test_the_environment_cannot_change_who_you_are(tmp_path: Path) -> None:
    url = store_whose_admin_is_someone_else(tmp_path)
    posing = run(url, "auth", "status", "--json", USER="lab-admin", LOGNAME="lab-admin")
    assert posing.returncode == 0, posing.stderr
    assert json.loads(posing.stdout)["user"]["username"] == ME
    assert json.loads(posing.stdout)["user"]["role"] == "member"


def test_a_member_may_not_act_as_someone_else(tmp_path: Path) -> None:
    url = store_whose_admin_is_someone_else(tmp_path)
    for args in (("resources", "create", "Room A"), ("auth", "status")):
        refused = run(url, "--user", "lab-admin", *args)
        assert refused.returncode == ExitCode.DENIED
        assert "only an admin may act as another user" in refused.stderr
        assert "Traceback" not in refused.stderr
    # Naming oneself is no acting for someone else.
    assert run(url, "--user", ME, "auth", "status").returncode == 0


def test_an_admin_acting_for_someone_is_named_in_the_history(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mine.db'}"
    assert run(url, "resources", "create", "Room A").returncode == 0  # first user: admin
    booked = run(
        url, "--user", "bob", "book", "Room A", TOMORROW.isoformat(), "--for", "1h", "--json"
    )
    assert booked.returncode == 0, booked.stderr
    reservation = json.loads(booked.stdout)
    assert reservation["username"] == "bob"
    history = run(url, "reservations", "history", str(reservation["id"]), "--json")
    assert history.returncode == 0, history.stderr
    (created,) = json.loads(history.stdout)
    assert (created["action"], created["actor"]) == ("created", ME)
    cancelled = run(url, "--user", "bob", "cancel", str(reservation["id"]), "--json")
    assert cancelled.returncode == 0, cancelled.stderr
    actors = [
        e["actor"]
        for e in json.loads(
            run(url, "reservations", "history", str(reservation["id"]), "--json").stdout
        )
    ]
    assert actors == [ME, ME]
