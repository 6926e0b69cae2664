"""Signed bearer tokens (JWT, HS256) for a server's users.

Expiry is checked against reserver's clock rather than the system clock, so
tests can move time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from reserver_core.errors import AuthError

# PyJWT is imported inside the functions: it loads `cryptography` (~0.07 s), which
# every local `reserver` command would otherwise pay for tokens it never uses.

ALGORITHM = "HS256"


def issue_token(username: str, secret: str, now: datetime, ttl: timedelta) -> str:
    """A token naming `username`, valid from `now` for `ttl`."""
    import jwt

    claims = {
        "sub": username,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, secret: str, now: datetime) -> str:
    """The username in a valid token; AuthError for a tampered, malformed or expired one."""
    import jwt

    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            # Time claims are checked below against reserver's clock, not the system's.
            options={"verify_exp": False, "verify_iat": False, "require": ["sub", "exp"]},
        )
    except jwt.PyJWTError as exc:
        raise AuthError("invalid token: log in again") from exc
    expires = claims.get("exp")
    subject = claims.get("sub")
    if not isinstance(expires, int | float) or not isinstance(subject, str):
        raise AuthError("invalid token: log in again")
    if now.timestamp() >= expires:
        raise AuthError("your session has expired: log in again")
    return subject
