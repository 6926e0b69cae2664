"""The `reserver` command: global options, the command groups, and error handling.

Every error a user can cause ends here as a message on stderr and an exit
code from `exit_codes`, never as a traceback.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from reserver_cli.command_group import HELP_OPTIONS, CommandGroup
from reserver_cli.context import CliContext, GlobalOptions
from reserver_cli.exit_codes import EXIT_CODES_HELP, ExplainedError
from reserver_cli.output import Output
from reserver_core.errors import ReserverError, ValidationError


@dataclass(frozen=True)
class LazyCommand:
    """A top-level command, imported and built only when it runs or its help is asked for."""

    module: str
    attribute: str
    summary: str
    """Its line in `reserver --help`; a test keeps it equal to the command's own."""


COMMANDS = {
    "book": LazyCommand(
        "reserver_cli.reservations",
        "book_app",
        "Book a resource from START until --end, or --for a duration.",
    ),
    "move": LazyCommand(
        "reserver_cli.reservations",
        "move_app",
        "Move a reservation to another time (and length, if asked).",
    ),
    "note": LazyCommand(
        "reserver_cli.reservations",
        "note_app",
        "Set or clear the note of a reservation.",
    ),
    "cancel": LazyCommand(
        "reserver_cli.reservations",
        "cancel_app",
        "Cancel a reservation (yours, or anyone's as an admin).",
    ),
    "upcoming": LazyCommand(
        "reserver_cli.reservations",
        "upcoming_app",
        "List your coming reservations, soonest first.",
    ),
    "next-free": LazyCommand(
        "reserver_cli.reservations",
        "next_free_app",
        "Find the earliest free slot on a resource or a tag.",
    ),
    "resources": LazyCommand(
        "reserver_cli.resources",
        "app",
        "Browse, search and administer resources.",
    ),
    "reservations": LazyCommand(
        "reserver_cli.reservations",
        "app",
        "List reservations and look at their history.",
    ),
    "series": LazyCommand(
        "reserver_cli.series",
        "app",
        "Recurring bookings: list, show, cancel or retime a series.",
    ),
    "approvals": LazyCommand(
        "reserver_cli.approvals",
        "app",
        "Requests awaiting approval: list, approve or reject them.",
    ),
    "waitlist": LazyCommand(
        "reserver_cli.waitlist",
        "app",
        "Wait in line for a taken time; accept or decline offers.",
    ),
    "inbox": LazyCommand(
        "reserver_cli.inbox",
        "app",
        "Your notices, newest first: offers, decisions, cancels, moves.",
    ),
    "policy": LazyCommand(
        "reserver_cli.policies",
        "app",
        "Booking rules: hours, closures, limits, approval.",
    ),
    "system": LazyCommand(
        "reserver_cli.system", "app", "Health, counts, expiry and the settings in effect."
    ),
    "db": LazyCommand("reserver_cli.db", "app", "Look after the database itself (local mode)."),
    "auth": LazyCommand("reserver_cli.auth", "app", "Accounts and sign-in on a reserver server."),
    "serve": LazyCommand(
        "reserver_cli.serve",
        "app",
        "Run the reserver HTTP server on the database, until Ctrl-C.",
    ),
    "web": LazyCommand(
        "reserver_cli.web",
        "app",
        "Serve the full-screen app to web browsers, until Ctrl-C.",
    ),
}
"""Every top-level command, in the order `reserver --help` lists them."""


def load_command(name: str) -> Any:
    """Import a top-level command's module and build its Click command."""
    entry = COMMANDS[name]
    module = importlib.import_module(entry.module)
    command = typer.main.get_command(getattr(module, entry.attribute))
    command.name = name
    return command


CLICK_ERROR: type[Exception] = next(
    kind for kind in typer.BadParameter.__mro__ if kind.__name__ == "ClickException"
)
"""Click's ClickException: the base of its usage errors. Typer's own copy of Click
(typer._click) exports none of its exception classes but BadParameter."""

_VALUE_OPTIONS = frozenset({"--server", "--database-url", "--tz", "--user"})
_FLAG_OPTIONS = frozenset({"--json"})


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """Move the global options found after a command name to the front of `args`.

    So `reserver resources list --json` means `reserver --json resources list`.
    Nothing after `--` is touched; an option missing its value is a usage error.
    """
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg in _FLAG_OPTIONS or ("=" in arg and arg.split("=", 1)[0] in _VALUE_OPTIONS):
            front.append(arg)
        elif arg in _VALUE_OPTIONS:
            if index + 1 == len(args):
                raise typer.BadParameter("a value must follow it", param_hint=f"'{arg}'")
            front.extend(args[index : index + 2])
            index += 1
        else:
            rest.append(arg)
        index += 1
    return front + rest


class ReserverGroup(TyperGroup):
    """The root group: lazily loaded commands, global options anywhere, errors to exit codes."""

    def list_commands(self, ctx: Any) -> list[str]:
        """The top-level command names."""
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """Build a top-level command on first use; None for an unknown name."""
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """List the commands from their summaries, without importing any of them."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry.summary) for name, entry in COMMANDS.items()])

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Parse the command line after moving global options to the front."""
        return super().parse_args(ctx, hoist_global_options(args))

    def make_context(
        self, info_name: Any, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Parse the global options; with --json, a usage error among them is a document."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except CLICK_ERROR as exc:
            if not asks_for_json(args):
                raise
            raise typer.Exit(report_usage_error(Output(json_mode=True), exc)) from exc

    def invoke(self, ctx: Any) -> Any:
        """Run the command; report a domain error and exit with its code."""
        code: int
        try:
            return super().invoke(ctx)
        except ExplainedError as exc:
            code = _output(ctx).failure(exc.error, exc.lines, exc.fields, exc.message)
        except ReserverError as exc:
            code = _output(ctx).failure(exc, message=_for_people(ctx, exc))
        except KeyboardInterrupt:
            code = _output(ctx).interrupted("interrupted")
        except typer.Abort:
            # Ctrl-C or end of input at a prompt.
            code = _output(ctx).interrupted("\ncancelled")
        except CLICK_ERROR as exc:
            output = _output(ctx)
            if not output.json_mode:
                raise  # Click says a usage error in its own words, as every CLI does.
            code = report_usage_error(output, exc)
        except (typer.Exit, BrokenPipeError):
            raise
        except Exception as exc:
            code = _output(ctx).unexpected(_log_unexpected(exc))
        raise typer.Exit(int(code))


def asks_for_json(args: Sequence[str]) -> bool:
    """Whether a command line holds --json among its options (not after `--`)."""
    options = args[: list(args).index("--")] if "--" in args else args
    return "--json" in options


def report_usage_error(output: Output, error: Any) -> int:
    """Report a usage error Click found (a bad option value, a missing argument, an
    unknown command): Click's own words on stderr, with --json also the error document
    on stdout. Returns its exit code, the same with or without --json."""
    extra: dict[str, Any] = {}
    param = getattr(error, "param", None)
    if param is not None:
        # As the usage line names it: --limit, or RESOURCE.
        named = param.param_type_name == "option" and param.opts
        extra["parameter"] = param.opts[0] if named else param.human_readable_name
    message = error.format_message()
    if type(error).__name__ == "NoArgsIsHelpError":
        # Its message is the group's whole help text, which Click shows on stderr.
        path = error.ctx.command_path
        message = f"{path} needs a command; {path} --help lists them"
    if output.json_mode:
        output.error_document("usage", message, error.exit_code, extra)
    error.show()
    return int(error.exit_code)


def _output(ctx: Any) -> Output:
    found: CliContext | None = ctx.find_object(CliContext)
    if found is not None:
        return found.output
    # The command named is unknown, so the root command never ran: only its options know.
    return Output(json_mode=bool(ctx.params.get("json_output")))


def _for_people(ctx: Any, error: ReserverError) -> str | None:
    """The error with its times in the user's zone; None when the zone is unknown."""
    found = ctx.find_object(CliContext)
    if found is None:
        return None
    try:
        zone = found.zone
        now = found.now()
    except ReserverError:
        return None
    from reserver_core.display import describe_error

    return describe_error(error, zone, now=now)


def _log_unexpected(exc: Exception) -> str:
    from reserver_cli.logs import log_file

    summary = f"unexpected error ({type(exc).__name__}: {exc})"
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat()}\n{traceback.format_exc()}\n")
    except OSError:
        return summary
    return f"{summary}; details in {path}"


app = CommandGroup(
    name="reserver",
    cls=ReserverGroup,
    rich_markup_mode=None,
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    context_settings=HELP_OPTIONS,
    epilog=EXIT_CODES_HELP,
)


def _show_version(value: bool) -> None:
    if not value:
        return
    from importlib.metadata import version

    typer.echo(f"reserver {version('reserver')}")
    raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    server: Annotated[
        str | None,
        typer.Option("--server", metavar="URL", help="Use this reserver server [RESERVER_SERVER]."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            metavar="URL",
            help="Use this database (SQLAlchemy URL) [RESERVER_DATABASE_URL].",
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz", metavar="ZONE", help="Read and show times in this IANA zone [RESERVER_TZ]."
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print results as JSON on stdout, nothing else.")
    ] = False,
    user: Annotated[
        str | None,
        typer.Option("--user", metavar="NAME", help="Local mode: act as this user (default: you)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_show_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Book shared resources (rooms, instruments, machines) from the terminal.

    Without a command, opens the full-screen app. Works on a local database by
    default (nothing to set up); --server URL, or RESERVER_SERVER, uses a
    shared reserver server instead. Flags beat environment variables, which
    beat the settings file (see: reserver system config).

    Times are read and shown in your time zone: 2026-12-01 14:00, 14:00,
    tomorrow 9:30, mon 10:00, +45m; durations as 90m, 1h30m or 1:30.

    \b
    Examples:
      reserver                                    open the full-screen app
      reserver resources list
      reserver book "Room A" "tomorrow 14:00" --for 1h
      reserver upcoming --json
      reserver inbox --unread
      reserver --server http://reserver.example:8000 auth login alice
    """
    cli = CliContext(
        GlobalOptions(server=server, database_url=database_url, tz=tz, json=json_output, user=user)
    )
    ctx.obj = cli
    ctx.call_on_close(cli.close)
    if ctx.invoked_subcommand is None:
        _open_app(cli)


def _open_app(cli: CliContext) -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ValidationError(
            "the full-screen app needs a terminal; for scripts use the subcommands "
            "(reserver --help)",
            "command",
        )
    from reserver_tui.app import run_app

    code = run_app(cli.settings)
    if code:
        raise typer.Exit(code)
