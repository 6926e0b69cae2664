"""Where a command's output goes: data to stdout, diagnostics to stderr.

In human mode results are Rich renderables (colours only on a terminal and
never with NO_COLOR); with `--json` stdout carries exactly one JSON document
and Rich is not even imported, so scripts start fast and parse cleanly. That
document is the result, or on failure `{"error": {"code", "message",
"exit_code", ...}}`; stderr then still says the error in words for people.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from reserver_cli.exit_codes import ExitCode, exit_code_for
from reserver_core.errors import (
    AmbiguousNameError,
    ImportRejectedError,
    NotFoundError,
    PolicyError,
    ReserverError,
    SeriesRefusedError,
    StoreError,
    ThrottledError,
    UnavailableError,
    ValidationError,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from reserver_core.schemas import Page


class Output:
    """The single writer of a command's results and diagnostics."""

    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode

    @cached_property
    def console(self) -> Console:
        """Rich console on stdout (human mode only)."""
        from rich.console import Console

        # No markup: names, reasons and paths are user text, and one holding
        # "[/]" or "[bold]" must print as typed, not fail or lose characters.
        return Console(highlight=False, soft_wrap=True, markup=False)

    @cached_property
    def stderr(self) -> Console:
        """Rich console on stderr, for progress bars and messages."""
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

    def result(self, data: Any, human: Callable[[], RenderableType | None]) -> None:
        """Print a command's result: `data` as JSON, or what `human()` renders."""
        if self.json_mode:
            self.json(data)
            return
        rendered = human()
        if rendered is not None:
            self.console.print(rendered)

    def page(self, page: Page[Any], human: Callable[[], RenderableType | None]) -> None:
        """Print one page of a listing: `{"items": [...], "next": cursor}` as JSON, or what
        `human()` renders and, when more follow, the cursor of the next page on stderr."""
        if self.json_mode:
            self.json(page)
            return
        self.result(page.items, human)
        if page.next is not None:
            self.note(f"more follow: add --after {page.next}")

    def json(self, data: Any) -> None:
        """Write one JSON document to stdout; schema objects go through `to_json`."""
        from reserver_core.schemas import to_json

        sys.stdout.write(json.dumps(to_json(data), indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def note(self, message: str) -> None:
        """A diagnostic for people on stderr (also in --json mode, where stdout is data)."""
        if self.json_mode:
            sys.stderr.write(message + "\n")
        else:
            self.stderr.print(message, markup=False, style="dim")

    def warning(self, message: str) -> None:
        """A warning on stderr."""
        if self.json_mode:
            sys.stderr.write(f"warning: {message}\n")
        else:
            self.stderr.print(f"warning: {message}", markup=False, style="yellow")

    def failure(
        self,
        error: ReserverError,
        lines: list[str] | None = None,
        fields: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> ExitCode:
        """Report a domain error on stderr (and with --json as the error document on
        stdout); return the exit code it maps to.

        `message` replaces the error's own for people; the document keeps the original.
        """
        code = exit_code_for(error)
        details = list(lines or [])
        extra: dict[str, Any] = dict(fields or {})
        if isinstance(error, ImportRejectedError):
            details = [f"line {e.line}: {e.message}" for e in error.errors] + details
            extra["errors"] = [{"line": e.line, "message": e.message} for e in error.errors]
        if isinstance(error, ThrottledError):
            extra["retry_after"] = error.retry_after
        if isinstance(error, ValidationError) and error.field:
            extra["field"] = error.field
        if isinstance(error, PolicyError):
            extra |= error.details()
        if isinstance(error, SeriesRefusedError):
            extra |= {"resource": error.resource, "occurrences": error.occurrences}
        if isinstance(error, UnavailableError) and error.until is not None:
            extra["until"] = error.until.isoformat()
        if isinstance(error, NotFoundError | AmbiguousNameError) and error.candidates:
            extra["candidates"] = error.candidates
        if isinstance(error, StoreError):
            # The driver's traceback goes to the log file, for whoever looks into it.
            logging.getLogger("reserver.cli").warning("database error", exc_info=error)
            if error.details:
                # Only a store of the user's own has details; a server keeps its to itself.
                extra["details"] = error.details
        if self.json_mode:
            self.error_document(error.code, error.message, code, extra)
        self.error_lines(message or error.message, details)
        return code

    def unexpected(self, message: str) -> ExitCode:
        """Report a failure that is reserver's fault, not the user's."""
        if self.json_mode:
            self.error_document("unexpected", message, ExitCode.UNEXPECTED)
        self.error_lines(message)
        return ExitCode.UNEXPECTED

    def interrupted(self, message: str) -> ExitCode:
        """Report a command stopped by Ctrl-C or a prompt left unanswered."""
        if self.json_mode:
            self.error_document("interrupted", message.strip(), ExitCode.INTERRUPTED)
        self.note(message)
        return ExitCode.INTERRUPTED

    def error_document(
        self, code: str, message: str, exit_code: int, extra: dict[str, Any] | None = None
    ) -> None:
        """Write the --json error document to stdout: the one document of a failed command."""
        payload = {"code": code, "message": message, "exit_code": int(exit_code)}
        self.json({"error": payload | dict(extra or {})})

    def error_lines(self, message: str, details: list[str] | None = None) -> None:
        """Say an error for people on stderr: `error: ...`, then its detail lines."""
        lines = [f"  {line}" for line in details or []]
        if self.json_mode:
            sys.stderr.write("".join(f"{line}\n" for line in [f"error: {message}", *lines]))
            return
        self.stderr.print(f"error: {message}", markup=False, style="bold red")
        for line in lines:
            self.stderr.print(line, markup=False)
