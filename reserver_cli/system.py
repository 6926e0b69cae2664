"""`reserver system ...`: health, counts, expiry and the settings in effect."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Annotated, Any

import typer

from reserver_cli.command_group import command_group
from reserver_cli.context import CliContext
from reserver_core.errors import AuthError

app = command_group("system", "Health, counts, expiry and the settings in effect.")

_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


def hide_password(url: str | None) -> str | None:
    """A URL with any password replaced by ***."""
    return _URL_PASSWORD.sub(r"\1***@", url) if url else url


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show where reserver works (database or server), who you are and whether it answers.

    \b
    Examples:
      reserver system status
      reserver --server http://reserver.example:8000 system status --json
    """
    cli = CliContext.of(ctx)
    backend = cli.backend
    health = backend.health()
    try:
        user = backend.whoami()
    except AuthError:
        user = None
    data: dict[str, Any] = {
        "mode": "server" if cli.remote else "local",
        "store": backend.describe_store(),
        "server": cli.settings.server or None,
        "user": user,
        "timezone": cli.zone.key,
        "health": health,
    }

    def human() -> Any:
        from reserver_cli.tables import facts

        who = f"{user.username} ({user.role})" if user else "not logged in"
        rows = [
            ("Mode", data["mode"]),
            ("Store", data["store"]),
            ("User", who),
            ("Time zone", cli.zone.key),
            ("Health", f"{health.status} (database {health.database})"),
            ("Checked", cli.show_time(health.timestamp)),
        ]
        expiry = health.background_tasks.get("expiry")
        if isinstance(expiry, dict) and expiry.get("last_run"):
            last_run = datetime.fromisoformat(str(expiry["last_run"]))
            rows.append(("Last expiry", cli.show_time(last_run)))
        return facts(rows)

    cli.output.result(data, human)


@app.command("summary")
def summary(ctx: typer.Context) -> None:
    """Count resources by status now.

    \b
    Example:
      reserver system summary
    """
    cli = CliContext.of(ctx)
    counts = cli.backend.summary()

    def human() -> Any:
        from reserver_cli.tables import facts

        return facts(
            [
                ("Resources", str(counts.total_resources)),
                ("Available now", str(counts.available_now)),
                ("In use now", str(counts.currently_in_use)),
                ("Unavailable now", str(counts.unavailable_now)),
                ("As of", cli.show_time(counts.timestamp)),
            ]
        )

    cli.output.result(counts, human)


@app.command("expire")
def expire(ctx: typer.Context) -> None:
    """Admin: mark finished reservations expired and end elapsed maintenance now.

    Requests and waitlist offers not answered in time lapse too, and the
    slots they held are offered to the next in line. This also runs by itself
    whenever a store is opened and on a timer in the app and the server.

    \b
    Example:
      reserver system expire
    """
    cli = CliContext.of(ctx)
    report = cli.backend.expire()
    cli.output.result(
        report,
        lambda: (
            f"Expired {report.expired_count} reservations; "
            f"{report.maintenance_reset_count} resources back from maintenance; "
            f"{report.lapsed_count} requests and offers lapsed; "
            f"{report.offers_made} offers made."
        ),
    )


@app.command("config")
def config(
    ctx: typer.Context,
    show_path: Annotated[
        bool, typer.Option("--path", help="Print only the settings file's path.")
    ] = False,
) -> None:
    """Show the settings in effect and where reserver keeps its files.

    Settings come from settings.toml in the config directory, then the
    environment (RESERVER_DATABASE_URL or DATABASE_URL, RESERVER_SERVER,
    RESERVER_TZ, RESERVER_EXPIRY_INTERVAL, RESERVER_SECRET_KEY, ...), then
    command-line flags, each overriding the one before.

    \b
    Examples:
      reserver system config
      reserver system config --path
    """
    from reserver_core import settings as settings_module

    cli = CliContext.of(ctx)
    settings_file = settings_module.config_dir() / "settings.toml"
    if show_path:
        cli.output.result({"settings_file": str(settings_file)}, lambda: str(settings_file))
        return
    settings = cli.settings
    values = {
        field.name: _shown(field.name, getattr(settings, field.name))
        for field in dataclasses.fields(settings)
    }
    values["database_url"] = hide_password(
        settings.database_url or settings_module.default_database_url()
    )
    data = {
        "settings_file": str(settings_file),
        "settings_file_exists": settings_file.exists(),
        "config_dir": str(settings_module.config_dir()),
        "data_dir": str(settings_module.data_dir()),
        "log_dir": str(settings_module.log_dir()),
        "timezone": cli.zone.key,
        "settings": values,
    }

    def human() -> Any:
        from reserver_cli.tables import facts

        exists = "" if data["settings_file_exists"] else " (absent: defaults apply)"
        places = facts(
            [
                ("Settings file", f"{settings_file}{exists}"),
                ("Config dir", str(data["config_dir"])),
                ("Data dir", str(data["data_dir"])),
                ("Log dir", str(data["log_dir"])),
                ("Time zone", cli.zone.key),
            ],
            title="Files",
        )
        knobs = facts([(name, str(value)) for name, value in values.items()], title="Settings")
        from rich.console import Group
        from rich.text import Text

        return Group(places, Text(""), knobs)

    cli.output.result(data, human)


def _shown(name: str, value: Any) -> Any:
    if name == "secret_key":
        return "(set)" if value else None
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="minutes")
    return value
