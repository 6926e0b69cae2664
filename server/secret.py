"""The key that signs the server's tokens: from the environment or kept on disk.

There is no built-in default: without `RESERVER_SECRET_KEY` the server makes a
random key on first start and keeps it, readable by its owner only, in its
data directory, so tokens stay valid across restarts. A key given that anyone
could guess (a published example such as the seed's default, a short one)
stops the server from starting.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from reserver_core.errors import StoreError, ValidationError
from reserver_core.files import PRIVATE_FILE_MODE, make_private_dirs
from reserver_core.settings import Settings, data_dir

SECRET_FILE_NAME = "server-secret.key"
_MIN_LENGTH = 32
_MIN_DISTINCT_CHARACTERS = 8

KNOWN_WEAK_KEYS = frozenset(
    {
        # The seed's published default, and the examples of popular templates and docs.
        "your-secret-key-change-in-production",
        "your-secret-key",
        "your_secret_key",
        "your-secret-key-here",
        "your-256-bit-secret",
        "your-super-secret-jwt-token-with-at-least-32-characters-long",
        "super-secret-jwt-token-with-at-least-32-characters-long",
        "change-me-to-a-long-random-string-in-production",
        "change-this-secret-key-in-production",
        "please-change-this-secret-key",
        "changethis",
        "changeme",
        "change-me",
        "secret",
        "secret-key",
        "secretkey",
        "supersecret",
        "super-secret-key",
        "mysecretkey",
        "my-secret-key",
        "jwt-secret",
        "jwtsecret",
        "test-secret-key",
        "development-secret-key",
        "insecure-secret-key",
        "django-insecure",
        "0123456789abcdef0123456789abcdef",
        "12345678901234567890123456789012",
        "abcdefghijklmnopqrstuvwxyz123456",
    }
)
"""Keys published in examples: anyone could sign tokens with them. Compared in any case."""

GOOD_KEY_HINT = (
    "set a random one, e.g. "
    "RESERVER_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
    "or leave RESERVER_SECRET_KEY unset to have one generated and kept in {path}"
)


def secret_path() -> Path:
    """Where the generated key is kept."""
    return data_dir() / SECRET_FILE_NAME


def check_secret_key(key: str) -> str:
    """Refuse a signing key anyone could guess: a published example, fewer than 32
    characters, or fewer than 8 different ones; the error says how to make a good one."""
    if key.strip().casefold() in KNOWN_WEAK_KEYS:
        problem = "RESERVER_SECRET_KEY is a key published in examples, so anyone can sign tokens"
    elif len(key) < _MIN_LENGTH:
        problem = f"RESERVER_SECRET_KEY must be at least {_MIN_LENGTH} characters"
    elif len(set(key)) < _MIN_DISTINCT_CHARACTERS:
        problem = "RESERVER_SECRET_KEY repeats a few characters, so it is easy to guess"
    else:
        return key
    hint = GOOD_KEY_HINT.format(path=secret_path())
    raise ValidationError(f"{problem}: {hint}", "secret_key")


def load_secret(settings: Settings) -> str:
    """The configured key (if strong enough), else the stored one, else a new one
    stored with mode 0600 in a data directory made 0700."""
    if settings.secret_key:
        return check_secret_key(settings.secret_key)
    path = secret_path()
    try:
        if path.exists():
            return _read_existing(path)
        return _create(path)
    except OSError as exc:
        raise StoreError(f"cannot keep the token signing key in {path}: {exc.strerror}") from exc


def _create(path: Path) -> str:
    make_private_dirs(path.parent)
    key = secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
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
        path.chmod(PRIVATE_FILE_MODE)
    return key
