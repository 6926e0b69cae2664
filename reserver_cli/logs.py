"""The CLI's log file: unexpected errors, and what reserver's libraries log during a command."""

from __future__ import annotations

import logging
from pathlib import Path

LOG_FILE_NAME = "reserver-cli.log"


def log_file() -> Path:
    """Where the CLI keeps its log, in the log directory."""
    from reserver_core.settings import log_dir

    return log_dir() / LOG_FILE_NAME


class LogFileHandler(logging.Handler):
    """Appends warnings and errors to the CLI's log file, opened only when one comes.

    Without a handler, Python prints warnings on stderr, tracebacks included:
    a database that fails would print one above the command's error message.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter("--- %(asctime)s %(levelname)s %(name)s\n%(message)s"))

    @classmethod
    def install(cls) -> LogFileHandler:
        """A new handler, attached to the root logger."""
        handler = cls()
        logging.getLogger().addHandler(handler)
        return handler

    def uninstall(self) -> None:
        """Detach this handler from the root logger."""
        logging.getLogger().removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        """Append one record; a log that cannot be written is skipped."""
        try:
            path = log_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as log:
                log.write(self.format(record) + "\n")
        except OSError:
            # The failure being logged still reaches the user as an error message.
            pass
