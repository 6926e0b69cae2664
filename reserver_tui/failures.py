"""How the TUI tells of a failure: a sentence for a domain error, a log file for a crash."""

from __future__ import annotations

import logging
import traceback
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from reserver_core import display
from reserver_core.errors import ReserverError
from reserver_core.settings import log_dir

log = logging.getLogger("reserver_tui")


def describe_error(error: ReserverError, tz: ZoneInfo, *, now: datetime) -> str:
    """A domain error as a sentence for people, its times in their own time zone."""
    message = display.describe_error(error, tz, now=now)
    return message[:1].upper() + message[1:]


def log_unexpected(group: str, error: BaseException | None) -> Path:
    """Append an unexpected error of worker `group` to the TUI's log file; its path."""
    path = log_dir() / "reserver-tui.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = traceback.format_exception(error) if error else ["(no exception)\n"]
        with path.open("a", encoding="utf-8") as out:
            out.write(f"--- {datetime.now().isoformat()} worker {group}\n")
            out.writelines(lines)
    except OSError:
        log.exception("cannot write the error log")
    return path
