"""`reserver auth ...`: accounts and sign-in on a reserver server.

Passwords are asked without echo, or read from stdin with --password-stdin;
neither a password nor a token is ever printed or logged. Tokens are kept per
server URL in the config directory with mode 0600.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from reserver_cli.command_group import command_group
from reserver_cli.context import CliContext
from reserver_core.errors import AuthError, ValidationError

app = command_group("auth", "Accounts and sign-in on a reserver server.")

UsernameArg = Annotated[
    str | None, typer.Argument(metavar="[USERNAME]", help="Asked for when left out.")
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin (for scripts)."
    ),
]


def _require_server(cli: CliContext, action: str) -> str:
    server = cli.settings.server
    if not server:
        raise ValidationError(
            f"{action} needs a server: give --server URL or set RESERVER_SERVER "
            "(local mode acts as your operating-system account)",
            "server",
        )
    return server


def _username(given: str | None) -> str:
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise ValidationError("give the USERNAME (there is no terminal to ask on)", "username")
    return str(typer.prompt("Username", err=True))


def _password(from_stdin: bool, confirm: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise ValidationError("--password-stdin found no password on stdin", "password")
        return password
    if not sys.stdin.isatty():
        raise ValidationError(
            "there is no terminal to ask for the password on; use --password-stdin", "password"
        )
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=confirm, err=True))


@app.command("register")
def register(
    ctx: typer.Context, username: UsernameArg = None, password_stdin: PasswordStdin = False
) -> None:
    """Create an account; the first account of an empty server becomes its admin.

    On a server you are logged in as the new account at once. Without
    --server this creates the account straight in a database: give
    --database-url to name the one a server runs on (reserver serve keeps
    server.db in the data directory unless told otherwise).

    \b
    Examples:
      reserver --server http://reserver.example:8000 auth register alice
      printf '%s\\n' "$PASSWORD" | reserver auth register alice --password-stdin
      reserver --database-url sqlite:////srv/reserver/server.db auth register admin
    """
    cli = CliContext.of(ctx)
    name = _username(username)
    password = _password(password_stdin, confirm=True)
    user = cli.backend.register(name, password)
    server = cli.settings.server
    if server:
        _keep_token(server, cli.backend.login(user.username, password).access_token)
    where = server or cli.backend.describe_store()

    def human() -> str:
        logged_in = " and logged in" if server else ""
        return f"Registered {user.username} ({user.role}) on {where}{logged_in}."

    cli.output.result(user, human)


@app.command("login")
def login(
    ctx: typer.Context, username: UsernameArg = None, password_stdin: PasswordStdin = False
) -> None:
    """Sign in to a server and keep its token for later commands.

    \b
    Examples:
      reserver --server http://reserver.example:8000 auth login alice
      printf '%s\\n' "$PASSWORD" | reserver auth login alice --password-stdin
    """
    cli = CliContext.of(ctx)
    server = _require_server(cli, "auth login")
    name = _username(username)
    password = _password(password_stdin, confirm=False)
    _keep_token(server, cli.backend.login(name, password).access_token)
    data = {"server": server, "username": name.strip().lower(), "logged_in": True}
    cli.output.result(data, lambda: f"Logged in to {server} as {data['username']}.")


def _keep_token(server: str, token: str) -> None:
    from reserver_core import credentials

    credentials.set_token(server, token)


@app.command("logout")
def logout(ctx: typer.Context) -> None:
    """Forget the token kept for a server.

    \b
    Example:
      reserver --server http://reserver.example:8000 auth logout
    """
    cli = CliContext.of(ctx)
    server = _require_server(cli, "auth logout")
    from reserver_core import credentials

    removed = credentials.remove_token(server)
    data = {"server": server, "logged_out": removed}
    cli.output.result(
        data,
        lambda: f"Logged out of {server}." if removed else f"You were not logged in to {server}.",
    )


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show who you are: the account on a server, or the local user.

    \b
    Examples:
      reserver auth status
      reserver --server http://reserver.example:8000 auth status --json
    """
    cli = CliContext.of(ctx)
    server = cli.settings.server
    rejected: str | None = None
    try:
        user = cli.backend.whoami()
    except AuthError as exc:
        user = None
        from reserver_core import credentials

        if server and credentials.get_token(server):
            rejected = exc.message
    data: dict[str, Any] = {
        "mode": "server" if cli.remote else "local",
        "server": server or None,
        "logged_in": user is not None,
        "user": user,
        "token_rejected": rejected,
    }

    def human() -> str:
        if not cli.remote and user is not None:
            store = cli.backend.describe_store()
            return f"Local mode on {store}, acting as {user.username} ({user.role})."
        if rejected is not None:
            return f"Not logged in to {server}: {rejected} (reserver auth login USERNAME)"
        if user is None:
            return f"Not logged in to {server}; use: reserver auth login USERNAME"
        return f"Logged in to {server} as {user.username} ({user.role})."

    cli.output.result(data, human)
