"""The key that signs the server's tokens: from the environment or kept on disk.

There is no built-in default: without `RESERVER_SECRET_KEY` the server makes a
random key on first start and keeps it, readable by its owner only, in its
data directory, so tokens stay valid across restarts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from reserver_core.errors import StoreError
from reserver_core.settings import Settings, data_dir

SECRET_FILE_NAME = "server-secret.key"
_MIN_LENGTH = 32


def secret_path() -> Path:
    """Where the generated key is kept."""
    return data_dir() / SECRET_FILE_NAME


def load_secret(settings: Settings) -> str:
    """The configured key, else the stored one, else a new one stored with mode 0600."""
    if settings.secret_key:
        if len(settings.secret_key) < _MIN_LENGTH:
            raise StoreError(f"RESERVER_SECRET_KEY must be at least {_MIN_LENGTH} characters")
        return settings.secret_key
    path = secret_path()
    try:
        if path.exists():
            return _read_existing(path)
        return _create(path)
    except OSError as exc:
        raise StoreError(f"cannot keep the token signing key in {path}: {exc.strerror}") from exc


def _create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    try:
        # A hard link appears complete or not at all, so two servers starting
        # together agree on one key.
        os.link(draft, path)
    except FileExistsError:
        return _read_existing(path)
    finally:
        draft.unlink()
    return key


def _read_existing(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < _MIN_LENGTH:
        raise StoreError(f"the token signing key in {path} is damaged; delete it to make a new one")
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return key
