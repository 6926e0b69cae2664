"""`reserver web`: the full-screen app served to browsers, one app process per tab.

textual-serve (aiohttp) does the serving; it is imported only when the command
runs, so `reserver --help` stays light.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import typer

from reserver_cli.command_group import single_command
from reserver_cli.context import CliContext
from reserver_cli.serve import check_can_listen
from reserver_core.errors import ValidationError

if TYPE_CHECKING:
    from reserver_core.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
TEMPLATES = Path(__file__).with_name("web_templates")


def web(
    ctx: typer.Context,
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on; only loopback ones in local mode."),
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="TCP port.")] = (
        DEFAULT_PORT
    ),
) -> None:
    """Serve the full-screen app to web browsers, until Ctrl-C.

    Each browser tab gets an app process of its own, ended when the tab
    closes. Who a tab acts as:

    \b
    - With --server URL (or RESERVER_SERVER), every tab starts at the app's
      login screen and acts as the account that logs in there; your own
      saved login is never used, and each tab forgets its login when it
      closes.
    - Without a server (local mode), every tab acts as you, the local user,
      on your database; so local mode serves only to this machine
      (loopback), and says so in the page title.

    Anyone who can open the page gets what the app can do: binding to
    another address than loopback prints a warning.

    \b
    Examples:
      reserver web
      reserver web --server http://reserver.example:8000
      reserver web --server http://reserver.example:8000 --host 0.0.0.0
    """
    cli = CliContext.of(ctx)
    settings = cli.settings
    if cli.options.user:
        raise ValidationError(
            "reserver web acts as you in local mode and as each tab's login on a server; "
            "drop --user",
            "user",
        )
    loopback = is_loopback(host)
    if not settings.server and not loopback:
        raise ValidationError(
            f"local mode acts as you, so it serves only to this machine: drop --host {host} "
            "(or use 127.0.0.1), or give --server URL to have each browser log in",
            "host",
        )
    check_can_listen(host, port)
    if not loopback:
        cli.output.note(
            f"Warning: listening on {host}; anyone who can reach this address gets the "
            "page, and with it whatever access the app has."
        )
    title = page_title(settings)
    with tempfile.TemporaryDirectory(prefix="reserver-web-") as sessions_dir:
        command = session_command(settings, sessions_dir)
        shown = f"[{host}]" if ":" in host else host
        cli.output.note(f"Serving reserver on http://{shown}:{port} (Ctrl-C to stop): {title}")
        _serve(command, host, port, title)
        # Sessions killed outright leave their config directories behind.
        shutil.rmtree(sessions_dir, ignore_errors=True)


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def page_title(settings: Settings) -> str:
    """The browser tab's title: reserver, and who the tab acts as."""
    if settings.server:
        return f"reserver · {settings.server} · log in to act as your account"
    from reserver_core.users import local_username

    return f"reserver · local mode · acting as {local_username()}"


def session_command(settings: Settings, sessions_dir: str) -> str:
    """The shell command textual-serve runs for each browser tab."""
    arguments = [sys.executable, "-m", "reserver_cli.web_session", "--sessions-dir", sessions_dir]
    if settings.server:
        arguments += ["--server", settings.server]
    elif settings.database_url:
        arguments += ["--database-url", settings.database_url]
    if settings.tz:
        arguments += ["--tz", settings.tz]
    # exec: the app process replaces the shell, so ending it ends the tab's only process.
    return "exec " + shlex.join(arguments)


def _serve(command: str, host: str, port: int, title: str) -> None:
    from textual_serve.server import Server

    class ReserverWebServer(Server):
        """textual-serve with reserver's page, its own start-up line, the URL the browser
        used (so binding to 0.0.0.0 still gives working links), and tabs ended on exit."""

        tabs: ClassVar[set[asyncio.Task[Any]]] = set()

        async def on_startup(self, app: Any) -> None:
            return None

        def initialize_logging(self) -> None:
            super().initialize_logging()
            # One line per request (page, fonts, websocket) buries the warnings that matter.
            logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

        async def on_shutdown(self, app: Any) -> None:
            # Left alone, open tabs hold the shutdown for aiohttp's minute of grace; a
            # cancelled tab stops its app process on the way out.
            for task in self.tabs:
                task.cancel()

        async def handle_index(self, request: Any) -> Any:
            self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def handle_websocket(self, request: Any) -> Any:
            task = asyncio.current_task()
            assert task is not None
            self.tabs.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                self.tabs.discard(task)

    server = ReserverWebServer(command, host=host, port=port, title=title, templates_path=TEMPLATES)
    server.serve()


app = single_command("web", web)
