"""Bearer tokens for reserver servers, one per server URL, kept readable by the owner only.

The store is `tokens.json` in the user config directory, written with mode
0600 (and re-written atomically, so a crash never leaves half a file).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from reserver_core.errors import StoreError
from reserver_core.settings import config_dir

TOKENS_FILE_NAME = "tokens.json"


def tokens_path() -> Path:
    """The file holding the stored tokens."""
    return config_dir() / TOKENS_FILE_NAME


def server_key(url: str) -> str:
    """The URL tokens are filed under: no trailing slash, scheme and host lower-cased."""
    url = url.strip().rstrip("/")
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def _read_all() -> dict[str, str]:
    path = tokens_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StoreError(f"cannot read the stored tokens in {path}: {exc.strerror}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        # A damaged file holds nothing usable; logging in again rewrites it.
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def _write_all(tokens: dict[str, str]) -> None:
    path = tokens_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, draft = tempfile.mkstemp(prefix=".tokens-", dir=path.parent)
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(tokens, handle, indent=2, sort_keys=True)
            os.replace(draft, path)
        except BaseException:
            Path(draft).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StoreError(f"cannot store the token in {path}: {exc.strerror}") from exc


def get_token(url: str) -> str | None:
    """The stored token for the server at `url`, if any."""
    return _read_all().get(server_key(url))


def set_token(url: str, token: str) -> None:
    """Store the token for the server at `url`, replacing an older one."""
    tokens = _read_all()
    tokens[server_key(url)] = token
    _write_all(tokens)


def remove_token(url: str) -> bool:
    """Forget the token for the server at `url`; returns whether there was one."""
    tokens = _read_all()
    if tokens.pop(server_key(url), None) is None:
        return False
    _write_all(tokens)
    return True
