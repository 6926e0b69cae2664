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
    database_connect_timeout: float = 5.0
    """Seconds to wait for a connection to a PostgreSQL or MySQL/MariaDB server, or for
    a free one in the pool, before the database counts as unavailable (PostgreSQL
    waits at least 2)."""
    database_statement_timeout: float = 30.0
    """Seconds one statement may take on PostgreSQL or MySQL/MariaDB, lock waits
    included, before it is cancelled and the database counts as unavailable. Schema
    upgrades are exempt; expiring a backlog of 100,000 reservations takes ~5 s."""
    bcrypt_rounds: int = 12
    """bcrypt cost factor for password hashes."""
    token_ttl_minutes: int = 60 * 24
    """Lifetime of a server's bearer tokens."""
    allow_registration: bool = True
    """Whether a server accepts new accounts through POST /register."""
    login_max_failures: int = 5
    """Failed logins of one username from one address tolerated within the window;
    from everywhere together, twice as many before each attempt waits a doubling delay."""
    login_window_minutes: int = 15
    """Length of the window in which failed logins are counted."""
    registration_limit: int = 20
    """Accounts a server creates per client address per hour; 0 means no limit."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses (or networks) of reverse proxies whose X-Forwarded-For names the client."""
    slot_minutes: int = 30
    """Size of a schedule grid cell."""
    day_start: time = time(8, 0)
    """First hour shown in a schedule grid."""
    day_end: time = time(18, 0)
    """End of the span shown in a schedule grid."""
    secret_key: str | None = None
    """Signing key of a server's tokens (32 characters or more, not a published example);
    None means generated and kept on disk."""
    cors_origins: tuple[str, ...] = ()
    """Origins a server allows cross-site requests from; none by default."""


_ENVIRONMENT = {
    "RESERVER_DATABASE_URL": "database_url",
    "RESERVER_SERVER": "server",
    "RESERVER_TZ": "tz",
    "RESERVER_EXPIRY_INTERVAL": "expiry_interval",
    "RESERVER_SECRET_KEY": "secret_key",
    "RESERVER_BCRYPT_ROUNDS": "bcrypt_rounds",
    "RESERVER_DATABASE_CONNECT_TIMEOUT": "database_connect_timeout",
    "RESERVER_DATABASE_STATEMENT_TIMEOUT": "database_statement_timeout",
    "RESERVER_ALLOW_REGISTRATION": "allow_registration",
    "RESERVER_CORS_ORIGINS": "cors_origins",
    "RESERVER_REGISTRATION_LIMIT": "registration_limit",
    "RESERVER_TRUSTED_PROXIES": "trusted_proxies",
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
        if kind == "float":
            return float(value)
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
    if settings.registration_limit < 0:
        raise ValidationError(
            "registration_limit must be 0 (no limit) or more", "registration_limit"
        )
    _check_networks(settings.trusted_proxies)
    for name in ("database_connect_timeout", "database_statement_timeout"):
        if not 0 < getattr(settings, name) <= 3600:
            raise ValidationError(f"{name} must be more than 0 and at most 3600 seconds", name)
    if not 4 <= settings.bcrypt_rounds <= 31:
        raise ValidationError("bcrypt_rounds must be between 4 and 31", "bcrypt_rounds")
    if settings.day_start >= settings.day_end and settings.day_end != time(0, 0):
        raise ValidationError("day_start must be before day_end", "day_start")
    if settings.slot_minutes not in {5, 10, 15, 20, 30, 60, 120}:
        raise ValidationError(
            "slot_minutes must be one of 5, 10, 15, 20, 30, 60, 120", "slot_minutes"
        )


def _check_networks(networks: tuple[str, ...]) -> None:
    import ipaddress

    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ValidationError(
                f"trusted_proxies: {network!r} is not an address or network", "trusted_proxies"
            ) from exc
