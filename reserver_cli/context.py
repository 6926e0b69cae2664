"""What one `reserver` invocation knows: its options, settings, clock, zone and backend.

Everything is built on first use, so `--help` and `--json` paths import only
what they need.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import typer

from reserver_cli.output import Output

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from reserver_cli.logs import LogFileHandler
    from reserver_core.backend import Backend
    from reserver_core.clock import Clock
    from reserver_core.settings import Settings

FAKE_NOW_VARIABLE = "RESERVER_FAKE_NOW"
"""Testing aid: an ISO 8601 instant the CLI takes as "now" instead of the real clock."""


@dataclass
class GlobalOptions:
    """The options every command accepts, before or after its name."""

    server: str | None = None
    database_url: str | None = None
    tz: str | None = None
    json: bool = False
    user: str | None = None


class CliContext:
    """The state of one invocation, shared by the command that runs."""

    def __init__(self, options: GlobalOptions) -> None:
        self.options = options
        self.output = Output(options.json)
        self._backend: Backend | None = None
        self._log_handler: LogFileHandler | None = None

    @staticmethod
    def of(ctx: typer.Context) -> CliContext:
        """The invocation's context, set up by the root command."""
        found = ctx.find_object(CliContext)
        if found is None:
            raise RuntimeError("the reserver root command did not run")
        return found

    @cached_property
    def settings(self) -> Settings:
        """Settings file, then environment, then these flags."""
        from reserver_core.errors import ValidationError
        from reserver_core.settings import load_settings

        server = self.options.server
        if server and self.options.database_url:
            raise ValidationError(
                "give --server (use a reserver server) or --database-url (use a database), "
                "not both",
                "server",
            )
        if server is None and self.options.database_url is not None:
            # A database named on the command line means "work locally", even
            # when the environment or settings file name a server.
            server = ""
        return load_settings(
            server=server, database_url=self.options.database_url, tz=self.options.tz
        )

    @cached_property
    def clock(self) -> Clock:
        """The real clock, or a frozen one when RESERVER_FAKE_NOW is set (for tests)."""
        from reserver_core.clock import FixedClock, SystemClock

        fake = os.environ.get(FAKE_NOW_VARIABLE)
        if not fake:
            return SystemClock()
        from reserver_core.errors import ValidationError
        from reserver_core.timeparse import parse_instant

        try:
            return FixedClock(parse_instant(fake, field=FAKE_NOW_VARIABLE))
        except ValidationError as exc:
            raise ValidationError(f"{FAKE_NOW_VARIABLE}: {exc}", FAKE_NOW_VARIABLE) from exc

    def now(self) -> datetime:
        """The current instant, from this invocation's clock."""
        return self.clock.now()

    @cached_property
    def zone(self) -> ZoneInfo:
        """The zone times are read and shown in: --tz, RESERVER_TZ, settings or the system's."""
        from reserver_core.timeparse import resolve_zone

        return resolve_zone(self.settings.tz)

    @property
    def remote(self) -> bool:
        """Whether this invocation talks to a server."""
        return bool(self.settings.server)

    def log_to_file(self) -> None:
        """Send what reserver's libraries log to the CLI's log file, not to stderr."""
        if self._log_handler is None:
            from reserver_cli.logs import LogFileHandler

            self._log_handler = LogFileHandler.install()

    @property
    def backend(self) -> Backend:
        """The backend for these settings, opened on first use and closed at exit."""
        if self._backend is None:
            from reserver_core.connect import open_backend

            if self.settings.tz is not None:
                # Resolved now so that a bad zone fails every command, not only
                # those that happen to show or read a time.
                _ = self.zone
            self.log_to_file()
            if self.remote and self.options.user:
                self.output.warning(
                    "--user only picks the local user; on a server you act as the account "
                    "you logged in with"
                )
            self._backend = open_backend(self.settings, self.clock, act_as=self.options.user)
            # What start-up imported and built lives until exit: frozen, the collector's
            # full passes no longer walk it while a command reads thousands of rows.
            gc.freeze()
        return self._backend

    def close(self) -> None:
        """Release the backend, if one was opened, then stop logging to the file."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        if self._log_handler is not None:
            self._log_handler.uninstall()
            self._log_handler = None

    # -- times in the user's zone ------------------------------------------------
    def parse_when(self, text: str, field: str = "start") -> datetime:
        """A point in time typed by the user, read in the local zone."""
        from reserver_core.timeparse import parse_when

        return parse_when(text, self.now(), self.zone, field=field)

    def parse_duration(self, text: str, field: str = "duration") -> timedelta:
        """A duration typed by the user (90m, 1h30m, 1:30)."""
        from reserver_core.timeparse import parse_duration

        return parse_duration(text, field=field)

    def end_after(self, start: datetime, length: str, field: str) -> datetime:
        """`start` plus a duration typed by the user; refused past the supported dates."""
        from reserver_core.timeparse import add_length

        return add_length(start, self.parse_duration(length, field), length, field)

    def parse_end(self, start: datetime, text: str, field: str) -> datetime:
        """The end of a window from `start` typed by the user: a bare 01:00 after 23:00
        is the next day; whatever it is, it must come after the start."""
        from reserver_core.timeparse import parse_end

        return parse_end(text, start, self.now(), self.zone, field=field)

    def show_time(self, value: datetime | None) -> str:
        """An instant for people, in the local zone ("Tue 1 Dec 14:00 CET", a year when
        it is not this one)."""
        if value is None:
            return "-"
        from reserver_core.display import format_time

        return format_time(value, self.zone, now=self.now())

    def show_window(self, start: datetime, end: datetime) -> str:
        """A window for people, in the local zone ("Tue 1 Dec 14:00-15:30 CET")."""
        from reserver_core.display import format_window

        return format_window(start, end, self.zone, now=self.now())

    def show_duration(self, delta: timedelta) -> str:
        """A duration for people ("1h30m")."""
        from reserver_core.display import format_duration

        return format_duration(delta)
