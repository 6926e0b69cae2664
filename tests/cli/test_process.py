"""`reserver` as a real process: help everywhere, start-up imports, terminals and colours,
the hidden password prompt, exit codes, and `reserver serve`."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from support.clock import NOW
from support.servers import LiveServer, free_port, health_when_up
from typer.testing import CliRunner

from reserver_cli.exit_codes import ExitCode
from reserver_cli.root import COMMANDS, app, load_command

RESERVER = [sys.executable, "-c", "from reserver_cli import main; main()"]
HEAVY_FOR_HELP = {"rich", "sqlalchemy", "textual", "fastapi", "uvicorn", "alembic", "httpx"}
HEAVY_FOR_LOCAL_JSON = {"rich", "textual", "fastapi", "uvicorn", "alembic", "httpx", "jwt"}
HEAVY_EVERYWHERE = {"pydantic", "cryptography"}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`reserver ARGS` in a process of its own, stdout and stderr captured."""
    return subprocess.run(
        [*RESERVER, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def modules_loaded(*args: str, env: dict[str, str]) -> set[str]:
    """Top-level packages a `reserver ARGS` process imported by the time it exited."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('MODULES ' + ' '.join(sys.modules) + '\\n'))\n"
        "from reserver_cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith("MODULES "))
    return {name.split(".")[0] for name in line.split()[1:]}


def test_help_on_every_level_has_examples() -> None:
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    assert "Examples:" in top.stdout and "Exit codes:" in top.stdout
    for name, entry in COMMANDS.items():
        assert entry.summary in top.stdout
        command = load_command(name)
        assert command.get_short_help_str(200) == entry.summary, name
        subcommands = list(getattr(command, "commands", {}))
        if subcommands:
            assert runner.invoke(app, [name, "--help"]).exit_code == 0, name
        for path in [[name, sub] for sub in subcommands] or [[name]]:
            shown = runner.invoke(app, [*path, "-h"])
            assert shown.exit_code == 0, path
            assert "Example" in shown.stdout, path
            assert "Global options" in shown.stdout, path
            assert "exit codes" in " ".join(shown.stdout.split()), path


def test_the_full_screen_app_needs_a_terminal() -> None:
    outcome = CliRunner().invoke(app, [])
    assert outcome.exit_code == ExitCode.INVALID_INPUT
    assert "needs a terminal" in outcome.stderr


def test_version_and_shell_completion() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("reserver ")
    completion = run(
        env={"_RESERVER_COMPLETE": "complete_bash", "COMP_WORDS": "reserver res", "COMP_CWORD": "1"}
    )
    assert completion.stdout.split() == ["resources", "reservations"]


def create_room(env: dict[str, str]) -> None:
    """Make a resource in-process (which also migrates a new store)."""
    made = CliRunner().invoke(app, ["resources", "create", "Room A"], env=env)
    assert made.exit_code == 0, made.stderr


def test_help_and_local_json_start_without_heavy_imports(tmp_path: Path) -> None:
    env = {"RESERVER_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    for command in (
        ["--help"],
        ["series", "--help"],
        ["book", "--help"],
        ["approvals", "--help"],
        ["approvals", "approve", "--help"],
        ["waitlist", "--help"],
        ["waitlist", "join", "--help"],
        ["inbox", "--help"],
        ["inbox", "read", "--help"],
    ):
        help_modules = modules_loaded(*command, env=env)
        assert help_modules & (HEAVY_FOR_HELP | HEAVY_EVERYWHERE) == set(), command
        assert "typer" in help_modules
    create_room(env)
    json_modules = modules_loaded("resources", "list", "--json", env=env)
    assert "sqlalchemy" in json_modules
    assert json_modules & (HEAVY_FOR_LOCAL_JSON | HEAVY_EVERYWHERE) == set()


def test_exit_codes_and_streams_of_a_real_process(tmp_path: Path) -> None:
    env = {"RESERVER_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    create_room(env)
    missing = run("resources", "show", "Room Z", "--json", env=env)
    assert missing.returncode == ExitCode.NOT_FOUND
    assert json.loads(missing.stdout)["error"]["code"] == "not_found"
    assert missing.stderr == "error: no resource named 'Room Z'; did you mean 'Room A'?\n"
    listed = run("resources", "list", "--json", env=env)
    assert [r["name"] for r in json.loads(listed.stdout)] == ["Room A"]
    assert listed.stderr == ""


def test_a_failing_database_is_one_line_and_its_traceback_goes_to_the_log(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "a-folder"  # SQLite cannot open a folder as its file
    folder.mkdir()
    logs = tmp_path / "logs"
    env = {"RESERVER_DATABASE_URL": f"sqlite:///{folder}", "RESERVER_LOG_DIR": str(logs)}
    for args in (["resources", "list"], ["db", "upgrade"]):
        result = run(*args, env=env)
        assert result.returncode == ExitCode.STORE, args
        assert result.stderr.startswith("error: the database"), result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" in (logs / "reserver-cli.log").read_text(encoding="utf-8")


def test_serve_and_register_help_name_the_database_a_server_uses() -> None:
    from reserver_core.settings import Settings
    from server.app import server_database_url

    default = Path(server_database_url(Settings()).removeprefix("sqlite:///")).name
    runner = CliRunner()
    serve_help = runner.invoke(app, ["serve", "--help"]).stdout
    assert default in serve_help and "same database as local mode" not in serve_help
    register_help = " ".join(runner.invoke(app, ["auth", "register", "--help"]).stdout.split())
    assert "--database-url" in register_help and default in register_help


def test_unreachable_server() -> None:
    outcome = CliRunner().invoke(
        app, ["--server", f"http://127.0.0.1:{free_port()}", "resources", "list", "--user", "bob"]
    )
    assert outcome.exit_code == ExitCode.UNREACHABLE
    assert "cannot reach" in outcome.stderr and "Traceback" not in outcome.stderr
    assert "--user only picks the local user" in outcome.stderr


def in_terminal(
    args: list[str], env: dict[str, str], answers: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run `reserver ARGS` on a pseudo-terminal, answering prompts; exit code and screen text."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*RESERVER, *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", **env},
        start_new_session=True,
    )
    os.close(follower)
    pending = dict(answers or {})
    screen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
            for prompt in list(pending):
                if screen.decode(errors="replace").endswith(prompt):
                    os.write(leader, pending.pop(prompt).encode() + b"\n")
        elif process.poll() is not None:
            break
    os.close(leader)
    return process.wait(timeout=30), screen.decode(errors="replace")


def test_colours_on_a_terminal_only_and_never_with_no_color(tmp_path: Path) -> None:
    env = {"RESERVER_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    create_room(env)
    code, screen = in_terminal(["resources", "list"], env)
    assert code == 0 and "Room A" in screen
    assert "\x1b[" in screen  # the status colour
    code, plain = in_terminal(["resources", "list"], {**env, "NO_COLOR": "1"})
    assert code == 0 and "Room A" in plain
    assert "\x1b[3" not in plain and "\x1b[9" not in plain  # no foreground colours
    piped = run("resources", "list", env=env)
    assert "Room A" in piped.stdout and "\x1b[" not in piped.stdout


def test_password_prompt_is_hidden(clocked_server: LiveServer, tmp_path: Path) -> None:
    clocked_server.reset()
    clocked_server.set_now(NOW)
    env = {
        "RESERVER_SERVER": clocked_server.url,
        "RESERVER_CONFIG_DIR": str(tmp_path / "config"),
        "RESERVER_FAKE_NOW": NOW.isoformat(),
    }
    secret = "correct-horse-battery"
    code, screen = in_terminal(
        ["auth", "register", "erin"],
        env,
        # Hidden prompts end with the space getpass writes once echo is off.
        {"Password: ": secret, "Repeat for confirmation: ": secret},
    )
    assert code == 0, screen
    assert f"Registered erin (admin) on {clocked_server.url} and logged in." in screen
    assert secret not in screen
    assert run("auth", "logout", env=env).returncode == 0
    code, screen = in_terminal(["auth", "login"], env, {"Username: ": "erin", "Password: ": secret})
    assert code == 0, screen
    assert "Logged in to" in screen and secret not in screen
    code, screen = in_terminal(["auth", "login"], env, {"Username: ": "\x04"})  # Ctrl-D
    assert code == ExitCode.INTERRUPTED and "cancelled" in screen
    tokens = json.loads((tmp_path / "config" / "tokens.json").read_text(encoding="utf-8"))
    assert tokens[clocked_server.url] not in screen
    assert run("auth", "status", "--json", env=env).stdout.count('"logged_in": true') == 1


def test_serve_runs_the_server_until_interrupted(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "RESERVER_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "RESERVER_SECRET_KEY": "a-test-key-for-the-cli-serve-test-0123456789",
    }
    process = subprocess.Popen(
        [*RESERVER, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        health = health_when_up(port, process)
        assert health is not None and health.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode(errors="replace")
    assert process.returncode in (0, ExitCode.INTERRUPTED), output
    assert f"Serving on http://127.0.0.1:{port}" in output
    assert "Traceback" not in output
    refused = run("--server", "http://example.invalid", "serve")
    assert refused.returncode == ExitCode.INVALID_INPUT


def test_serve_on_a_port_in_use_is_a_clear_usage_error(tmp_path: Path) -> None:
    env = {"RESERVER_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), env=env)
    assert result.returncode == ExitCode.INVALID_INPUT, result.stderr
    assert result.stderr.strip() == (
        f"error: cannot listen on 127.0.0.1 port {port}: Address already in use"
    )


def test_maintenance_at_a_terminal_lists_the_overlapped_bookings_and_asks(
    tmp_path: Path,
) -> None:
    env = {
        "RESERVER_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
        "RESERVER_FAKE_NOW": NOW.isoformat(),
    }
    create_room(env)
    for start in ("2026-12-02 10:00", "2026-12-02 12:00"):
        booked = CliRunner().invoke(
            app, ["--user", "bob", "book", "Room A", start, "--for", "1h"], env=env
        )
        assert booked.exit_code == 0, booked.stderr
    window = ["resources", "maintenance", "Room A", "--from", "2026-12-02 09:00", "--for", "4h"]
    question = "[cancel/keep/abort]: "
    code, screen = in_terminal([*window, "--reason", "paint"], env, {question: "abort"})
    assert code == ExitCode.INTERRUPTED
    assert "overlaps 2 active bookings" in screen and screen.count("bob") == 2
    code, screen = in_terminal([*window, "--reason", "paint"], env, {question: "cancel"})
    assert code == 0, screen
    assert "Cancelled #1" in screen and "Cancelled #2" in screen
    history = run("--user", "bob", "reservations", "history", "1", "--json", env=env)
    assert json.loads(history.stdout)[0]["details"].endswith("UTC: paint")
