"""`reserver db ...`: look after the database itself."""

from __future__ import annotations

import typer

from reserver_cli.command_group import command_group
from reserver_cli.context import CliContext
from reserver_cli.system import hide_password
from reserver_core.errors import ValidationError

app = command_group("db", "Look after the database itself (local mode).")


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Bring the database's schema up to date.

    This also happens by itself whenever reserver opens a database; run it to
    upgrade a shared database (PostgreSQL, MySQL) at a moment you choose.

    \b
    Examples:
      reserver db upgrade
      reserver --database-url postgresql://reserver@db.example/reserver db upgrade
    """
    cli = CliContext.of(ctx)
    if cli.remote:
        raise ValidationError(
            "db upgrade works on a database, not a server (a server upgrades its own); "
            "drop --server or RESERVER_SERVER",
            "server",
        )
    from reserver_core.db import Database
    from reserver_core.settings import default_database_url

    settings = cli.settings
    cli.log_to_file()
    database = Database(settings.database_url or default_database_url(), settings)
    try:
        upgraded = database.upgrade()
        revision = database.current_revision()
        where = database.describe()
    finally:
        database.close()
    data = {"database": hide_password(where), "upgraded": upgraded, "revision": revision}
    done = "upgraded to" if upgraded else "already at"
    cli.output.result(data, lambda: f"{data['database']}: {done} schema revision {revision}.")
