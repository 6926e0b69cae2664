"""Settings in one place: the settings file, then the environment, then flags.

Command-line flags beat the environment, which beats the settings file
(`settings.toml` in the user config directory).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path
from typing import Any

from reserver_core.errors import ValidationError

APP_NAME = "reserver"


@dataclass(frozen=True)
class Settings:
    """Every knob reserver has, with its default."""

    database_url: str | None = None
    """SQLAlchemy URL of the store; None means the SQLite file in the data dir."""
    server: str | None = None
    """URL of a reserver server; when set, front ends use it instead of a database."""
    tz: str | None = None
    """IANA zone to show and read local times in; None means the system's zone."""
    expiry_interval: int = 300
    """Seconds between background expiry runs (TUI in local mode, server)."""
    min_booking_minutes: int = 15
    """Shortest booking allowed."""
    max_booking_hours: int = 24
    """Longest booking allowed."""
    sqlite_synchronous: str = "FULL"
    """SQLite `synchronous` pragma. FULL survives a power cut; NORMAL is faster but
    may lose the last commits (never corrupts) on power loss."""
    bcrypt_rounds: int = 12
    """bcrypt cost factor for password hashes."""
    token_ttl_minutes: int = 60 * 24
    """Lifetime of a server's bearer tokens."""
    allow_registration: bool = True
    """Whether a server accepts new accounts through POST /register."""
    login_max_failures: int = 5
    """Failed logins of one username tolerated within the throttle window."""
    login_window_minutes: int = 15
    """Length of the window in which failed logins are counted."""
    slot_minutes: int = 30
    """Size of a schedule grid cell."""
    day_start: time = time(8, 0)
    """First hour shown in a schedule grid."""
    day_end: time = time(18, 0)
    """End of the span shown in a schedule grid."""
    secret_key: str | None = None
    """Signing key of a server's tokens; None means generated and kept on disk."""
    cors_origins: tuple[str, ...] = ()
    """Origins a server allows cross-site requests from; none by default."""


_ENVIRONMENT = {
    "RESERVER_DATABASE_URL": "database_url",
    "RESERVER_SERVER": "server",
    "RESERVER_TZ": "tz",
    "RESERVER_EXPIRY_INTERVAL": "expiry_interval",
    "RESERVER_SECRET_KEY": "secret_key",
    "RESERVER_BCRYPT_ROUNDS": "bcrypt_rounds",
    "RESERVER_ALLOW_REGISTRATION": "allow_registration",
    "RESERVER_CORS_ORIGINS": "cors_origins",
}


def config_dir() -> Path:
    """The user config directory (settings, server tokens)."""
    override = os.environ.get("RESERVER_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """The user data directory (the default SQLite database)."""
    override = os.environ.get("RESERVER_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def log_dir() -> Path:
    """The user log directory (details of unexpected errors)."""
    override = os.environ.get("RESERVER_LOG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME))


def check_server_url(url: str) -> str:
    """`url` without a trailing slash, if it can name a server: http(s)://host[:port][/path].

    A typo must not read as "cannot reach server", which a script would retry.
    """
    from urllib.parse import urlsplit

    cleaned = url.strip().rstrip("/")
    try:
        parts = urlsplit(cleaned)
        parts.port  # noqa: B018  (raises for a port that is not a number)
    except ValueError as exc:
        raise ValidationError(f"{url!r} is not a server URL: {exc}", "server") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"{url!r} is not a server URL: give it as http://host:port or https://host",
            "server",
        )
    return cleaned


def default_database_url() -> str:
    """The SQLite file in the user data directory."""
    return f"sqlite:///{data_dir() / 'reserver.db'}"


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings file, apply the environment, then non-None `overrides`."""
    values: dict[str, Any] = {}
    settings_file = path or config_dir() / "settings.toml"
    if settings_file.exists():
        try:
            raw = tomllib.loads(settings_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read {settings_file}: {exc}", "settings") from exc
        values.update(raw)
    if "DATABASE_URL" in os.environ:
        values["database_url"] = os.environ["DATABASE_URL"]
    for variable, name in _ENVIRONMENT.items():
        if variable in os.environ:
            values[name] = os.environ[variable]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return _build(values, str(settings_file))


def _build(values: dict[str, Any], source: str) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValidationError(f"unknown setting(s) in {source}: {', '.join(unknown)}", unknown[0])
    converted = {name: _coerce(name, known[name].type, value) for name, value in values.items()}
    settings = dataclasses.replace(Settings(), **converted)
    _check(settings)
    return settings


def _coerce(name: str, kind: Any, value: Any) -> Any:
    kind = str(kind)
    try:
        if value is None:
            return None
        if kind == "int":
            return int(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if kind == "time":
            return value if isinstance(value, time) else time.fromisoformat(str(value))
        if kind.startswith("tuple"):
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(item.strip() for item in items if item.strip())
        return str(value)
    except ValueError as exc:
        raise ValidationError(f"setting {name}: bad value {value!r}", name) from exc


def _check(settings: Settings) -> None:
    if settings.expiry_interval < 1:
        raise ValidationError("expiry_interval must be at least 1 second", "expiry_interval")
    if not 1 <= settings.min_booking_minutes <= settings.max_booking_hours * 60:
        raise ValidationError(
            "min_booking_minutes must be positive and below max_booking_hours",
            "min_booking_minutes",
        )
    if settings.sqlite_synchronous.upper() not in {"FULL", "NORMAL", "EXTRA"}:
        raise ValidationError(
            "sqlite_synchronous must be FULL, NORMAL or EXTRA", "sqlite_synchronous"
        )
    if not 4 <= settings.bcrypt_rounds <= 31:
        raise ValidationError("bcrypt_rounds must be between 4 and 31", "bcrypt_rounds")
    if settings.day_start >= settings.day_end and settings.day_end != time(0, 0):
        raise ValidationError("day_start must be before day_end", "day_start")
    if settings.slot_minutes not in {5, 10, 15, 20, 30, 60, 120}:
        raise ValidationError(
            "slot_minutes must be one of 5, 10, 15, 20, 30, 60, 120", "slot_minutes"
        )
