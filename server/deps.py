"""The request's dependencies: the backend acting as the caller, and who the caller is."""

from __future__ import annotations

import time
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer
from pydantic import AfterValidator, Field

from reserver_core import tokens
from reserver_core.errors import AuthError, ForbiddenError, ValidationError
from reserver_core.local import LocalBackend
from reserver_core.resources import check_storable
from reserver_core.schemas import UserInfo

MAX_ID = 2**31 - 1
"""The largest id a store can hold (a 32-bit integer column on PostgreSQL)."""

_bearer = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)


def check_text(value: str) -> str:
    """Refuse, at parsing, text the core would refuse to store (see check_storable)."""
    try:
        return check_storable(value, "value")
    except ValidationError as exc:
        raise ValueError(str(exc).removeprefix("value ")) from exc


Text = Annotated[str, AfterValidator(check_text)]
"""A string input a database can store."""

Instant = Annotated[Text, Field(json_schema_extra={"format": "date-time"})]
"""An ISO 8601 time: an offset is honoured, none means UTC (parsed by the core)."""

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="A numeric id")]


async def server_backend(request: Request) -> LocalBackend:
    """The server's shared backend (anonymous; opened at startup)."""
    backend: LocalBackend = request.app.state.backend
    return backend


class CallerCache:
    """Who a username is, remembered for a few seconds so most requests skip the lookup.

    Tokens are still checked in full (signature, expiry on the core's clock) on
    every request; only the account row is reused, so a removed account stops
    working within `ttl_seconds` on each server process.
    """

    def __init__(self, ttl_seconds: float = 10.0, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, UserInfo]] = {}

    def get(self, username: str) -> UserInfo | None:
        """The remembered account, if still fresh."""
        entry = self._entries.get(username)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, user: UserInfo) -> None:
        """Remember an account for `ttl_seconds`."""
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[user.username] = (time.monotonic() + self.ttl_seconds, user)


async def optional_user(
    request: Request,
    base: Annotated[LocalBackend, Depends(server_backend)],
    token: Annotated[str | None, Depends(_bearer)],
) -> UserInfo | None:
    """The caller named by a valid token, None without a token; 401 for a bad token."""
    if token is None:
        return None
    callers: CallerCache = request.app.state.callers
    username = tokens.read_token(token, base.token_secret or "", base.now())
    user = callers.get(username)
    if user is None:
        user = await anyio.to_thread.run_sync(base.user_for_token, token)
        callers.put(user)
    return user


async def acting_backend(
    base: Annotated[LocalBackend, Depends(server_backend)],
    user: Annotated[UserInfo | None, Depends(optional_user)],
) -> LocalBackend:
    """The shared backend acting as the caller (or anonymous)."""
    return base.as_user(user)


async def current_user(user: Annotated[UserInfo | None, Depends(optional_user)]) -> UserInfo:
    """The caller; 401 without a token."""
    if user is None:
        raise AuthError("not logged in: send a bearer token from POST /token")
    return user


async def admin_user(user: Annotated[UserInfo, Depends(current_user)]) -> UserInfo:
    """The caller when an admin; 403 for a member."""
    if not user.is_admin:
        raise ForbiddenError("only an admin may do this")
    return user


BackendDep = Annotated[LocalBackend, Depends(acting_backend)]
CurrentUser = Annotated[UserInfo, Depends(current_user)]
AdminUser = Annotated[UserInfo, Depends(admin_user)]
