"""The request's dependencies: the backend acting as the caller, and who the caller is."""

from __future__ import annotations

import asyncio
import functools
import inspect
import ipaddress
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, ParamSpec, TypeVar, TypeVarTuple

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer
from pydantic import AfterValidator, Field

from reserver_core.errors import AuthError, ForbiddenError, ValidationError
from reserver_core.local import LocalBackend
from reserver_core.schemas import UserInfo
from reserver_core.text import check_storable

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/token", auto_error=False)

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
P = ParamSpec("P")


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

Id = Annotated[int, Path(description="A numeric id; one no row can have is simply not found")]
"""An id in a path: the core answers 404 for any id it does not know, in range or not."""


def client_address(request: Request) -> str:
    """The address a request came from: the peer's, or, when the peer is a trusted
    proxy (`trusted_proxies`), the nearest untrusted address in X-Forwarded-For."""
    backend: LocalBackend = request.app.state.backend
    peer = request.client.host if request.client else "unknown"
    trusted = [ipaddress.ip_network(n, strict=False) for n in backend.settings.trusted_proxies]
    if not trusted:
        return peer
    hops = [peer]
    for header in request.headers.getlist("x-forwarded-for"):
        hops[:0] = [hop.strip() for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return hop  # a forged or broken entry: the client, as far as we can tell
        if not any(address in network for network in trusted):
            return hop
    return hops[0]


ClientAddress = Annotated[str, Depends(client_address)]
"""Where the request came from, for throttling."""


class CallerCache:
    """The backend acting as a token's user, remembered for a few seconds per token.

    A token is checked in full (signature, claims, the account) when first seen
    and again every `ttl_seconds`; in between, only its expiry is checked, on the
    core's clock, on every request. A removed account thus stops working within
    `ttl_seconds` on each server process, and a token past its expiry at once.
    """

    def __init__(self, ttl_seconds: float = 10.0, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        # token -> (fresh until on the monotonic clock, the token's expiry, the acting backend)
        self._entries: dict[str, tuple[float, float, LocalBackend]] = {}

    def get(self, token: str, now: float) -> LocalBackend | None:
        """The remembered backend of a token, if still fresh and the token unexpired at `now`."""
        entry = self._entries.get(token)
        if entry is None or entry[0] < time.monotonic() or now >= entry[1]:
            return None
        return entry[2]

    def put(self, token: str, expires: float, backend: LocalBackend) -> None:
        """Remember a checked token's backend for `ttl_seconds`."""
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[token] = (time.monotonic() + self.ttl_seconds, expires, backend)


async def in_thread(work: Callable[[*Ts], T], *args: *Ts) -> T:
    """`work(*args)` on the server's worker threads (the loop's default executor).

    The one way the server leaves the event loop: a plain executor hop costs
    about half of the anyio one FastAPI wraps a sync route in (~50 against ~100
    microseconds here).
    """
    return await asyncio.get_running_loop().run_in_executor(None, work, *args)


def on_workers(handler: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """A route whose body runs through `in_thread`, off the event loop."""

    @functools.wraps(handler)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return await in_thread(functools.partial(handler, *args, **kwargs))

    # FastAPI reads the parameters from this signature; its annotations are
    # resolved here, as the wrapper's globals are not the route module's.
    run.__signature__ = inspect.signature(handler, eval_str=True)  # type: ignore[attr-defined]
    return run


def _expiry(token: str) -> float:
    """The `exp` claim of a token whose signature and claims were already checked."""
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return float(claims["exp"])


async def _caller(request: Request, token: str | None) -> LocalBackend:
    base: LocalBackend = request.app.state.backend
    if token is None:
        return base
    callers: CallerCache = request.app.state.callers
    acting = callers.get(token, base.now().timestamp())
    if acting is None:
        user = await in_thread(base.user_for_token, token)
        acting = base.as_user(user)
        callers.put(token, _expiry(token), acting)
    return acting


async def caller_backend(
    request: Request, token: Annotated[str | None, Depends(_bearer)]
) -> LocalBackend:
    """The shared backend acting as the caller of a valid token, anonymous without one.

    401 for a bad token.
    """
    return await _caller(request, token)


def _logged_in(backend: LocalBackend) -> UserInfo:
    if backend.user is None:
        raise AuthError("not logged in: send a bearer token from POST /token")
    return backend.user


async def member_backend(
    request: Request, token: Annotated[str | None, Depends(_bearer)]
) -> LocalBackend:
    """The shared backend acting as the caller; 401 without a valid token."""
    backend = await _caller(request, token)
    _logged_in(backend)
    return backend


async def admin_backend(
    request: Request, token: Annotated[str | None, Depends(_bearer)]
) -> LocalBackend:
    """The shared backend acting as an admin; 401 without a valid token, 403 for a member."""
    backend = await _caller(request, token)
    if not _logged_in(backend).is_admin:
        raise ForbiddenError("access denied: only an admin may do this")
    return backend


async def anonymous_backend(request: Request) -> LocalBackend:
    """The shared backend acting as nobody, whatever token came: for registering and
    logging in, which an expired or foreign token must not stop."""
    backend: LocalBackend = request.app.state.backend
    return backend


AnonymousBackend = Annotated[LocalBackend, Depends(anonymous_backend)]
BackendDep = Annotated[LocalBackend, Depends(caller_backend)]
MemberBackend = Annotated[LocalBackend, Depends(member_backend)]
AdminBackend = Annotated[LocalBackend, Depends(admin_backend)]
