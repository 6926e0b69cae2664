"""Running `reserver` commands in-process the way a shell would, for the CLI suites."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from reserver_cli.root import app


@dataclass(frozen=True)
class Outcome:
    """How one command ended: its exit code and what it wrote where."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as the one JSON document it must be."""
        return json.loads(self.stdout)

    def error(self) -> dict[str, Any]:
        """The error object of the one JSON document a failed --json command wrote on
        stdout; it names the command's exit code and says what went wrong."""
        document = self.json()
        assert isinstance(document, dict) and list(document) == ["error"], self.stdout
        error = dict(document["error"])
        assert error["exit_code"] == self.exit_code != 0, (error, self.exit_code)
        assert isinstance(error["code"], str) and error["code"], error
        assert isinstance(error["message"], str) and error["message"], error
        return error


class Reserver:
    """`reserver` on one store, local or behind a live server, as any of its users.

    Local mode picks the acting user with `--user`; server mode keeps each
    user's token in their own config directory, as separate people would.
    """

    def __init__(self, mode: str, env: dict[str, str], home: Path) -> None:
        self.mode = mode
        self.env = env
        self.home = home
        self.runner = CliRunner()
        self.empty_store: Callable[[], None] = lambda: None
        """Start over on another empty store (set by the fixture that made this)."""

    @property
    def remote(self) -> bool:
        return self.mode == "remote"

    def user_env(self, user: str) -> dict[str, str]:
        """The environment `user` runs commands in."""
        return {**self.env, "RESERVER_CONFIG_DIR": str(self.home / f"config-{user}")}

    def __call__(self, *args: str, user: str = "alice", stdin: str | None = None) -> Outcome:
        """Run `reserver ARGS` as `user`; `stdin` is fed to the command."""
        prefix = [] if self.remote else ["--user", user]
        result = self.runner.invoke(
            app, [*prefix, *args], input=stdin, env=self.user_env(user), catch_exceptions=False
        )
        return Outcome(result.exit_code, result.stdout, result.stderr)

    def ok(self, *args: str, user: str = "alice", stdin: str | None = None) -> Outcome:
        """Run a command that must succeed."""
        outcome = self(*args, user=user, stdin=stdin)
        assert outcome.exit_code == 0, (outcome.exit_code, outcome.stdout, outcome.stderr)
        return outcome

    def data(self, *args: str, user: str = "alice", stdin: str | None = None) -> Any:
        """Run a command with --json that must succeed; its parsed output."""
        return self.ok(*args, "--json", user=user, stdin=stdin).json()
