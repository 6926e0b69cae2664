"""Users, passwords and roles; login throttling kept in the database."""

from __future__ import annotations

import getpass
import re
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from reserver_core.errors import AlreadyExistsError, AuthError, ThrottledError, ValidationError
from reserver_core.models import LoginFailure, User
from reserver_core.schemas import UserInfo

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72
"""bcrypt reads only the first 72 bytes; longer passwords are refused, never truncated."""
_USERNAME = re.compile(r"^[a-z0-9_-]{3,50}$")


def local_username() -> str:
    """The operating-system account name, made into a valid reserver username."""
    try:
        raw = getpass.getuser()
    except (KeyError, OSError):
        raw = "local-user"
    name = re.sub(r"[^a-z0-9_-]", "-", raw.lower())[:50]
    return name if len(name) >= 3 else f"{name}-user"[:50]


def clean_username(username: str) -> str:
    """Lower-case a username and check it: 3-50 of a-z, 0-9, `_` and `-`."""
    cleaned = username.strip().lower()
    if not _USERNAME.match(cleaned):
        raise ValidationError(
            f"a username is 3-50 characters of a-z, 0-9, _ and - (got {username.strip()[:60]!r})",
            "username",
        )
    return cleaned


def check_password(password: str) -> None:
    """At least 8 characters and at most 72 bytes (bcrypt's limit)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"a password has at least {MIN_PASSWORD_LENGTH} characters", "password"
        )
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise ValidationError(
            f"a password has at most {MAX_PASSWORD_BYTES} bytes (bcrypt ignores the rest)",
            "password",
        )


def hash_password(password: str, rounds: int) -> str:
    """A bcrypt hash of `password` at cost `rounds`."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def password_matches(password: str, password_hash: str) -> bool:
    """Whether `password` matches a bcrypt hash (False for an empty hash)."""
    encoded = password.encode("utf-8")
    if not password_hash or len(encoded) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(encoded, password_hash.encode("ascii"))
    except ValueError:
        return False


def user_info(user: User) -> UserInfo:
    """The public view of a user row."""
    return UserInfo(
        id=user.id,
        username=user.username,
        role="admin" if user.role == "admin" else "member",
        active=user.active,
        created_at=user.created_at,
    )


def find_user(session: Session, username: str) -> User | None:
    """The user with this (case-folded) username, if any."""
    return session.scalars(select(User).where(User.username == username.strip().lower())).first()


def create_user(session: Session, username: str, password_hash: str, now: datetime) -> User:
    """Insert a user; the first user of an empty store becomes an admin.

    Registrations are serialized first, so that two at once on an empty store do
    not both see it empty and both become admins (SQLite's write transaction
    already is exclusive).
    """
    dialect = session.get_bind().dialect.name
    count = select(func.count()).select_from(User)
    if dialect == "postgresql":
        # Blocks other inserts into users (and itself), not readers nor bookings.
        session.execute(text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))
    elif dialect in ("mysql", "mariadb"):
        # A locking read of the whole table locks its gaps: other inserts wait.
        count = count.with_for_update()
    first = session.scalar(count) == 0
    if _locked_user(session, username) is not None:
        raise AlreadyExistsError(f"the username {username!r} is already taken", "username")
    user = User(
        username=username,
        password_hash=password_hash,
        role="admin" if first else "member",
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def ensure_user(session: Session, username: str, now: datetime) -> User:
    """The implicit local user, created (without password) on first use."""
    found = find_user(session, username)
    if found is not None:
        return found
    try:
        return create_user(session, username, "", now)
    except AlreadyExistsError:
        # Another process opened the store as this user at the same moment.
        existing = _locked_user(session, username)
        if existing is None:
            raise
        return existing


def _locked_user(session: Session, username: str) -> User | None:
    # A locking read sees the latest committed rows even inside an older
    # snapshot (MySQL's repeatable read); SQLite ignores FOR UPDATE.
    query = select(User).where(User.username == username).with_for_update()
    return session.scalars(query).first()


def check_throttle(
    session: Session, username: str, now: datetime, max_failures: int, window: timedelta
) -> None:
    """Refuse further attempts after `max_failures` failures within `window`."""
    failures = session.execute(
        select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.username == username, LoginFailure.at > now - window
        )
    ).one()
    count, oldest = failures
    if count >= max_failures and oldest is not None:
        retry_after = max(1, int((oldest + window - now).total_seconds()) + 1)
        raise ThrottledError(
            f"too many failed logins for {username!r}; try again in {_wait(retry_after)}",
            retry_after,
        )


def login_candidate(
    session: Session, username: str, now: datetime, max_failures: int, window: timedelta
) -> User | None:
    """The account a login names, once the throttle lets the attempt through."""
    check_throttle(session, username, now, max_failures, window)
    return find_user(session, username)


def _wait(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)  # rounded up: trying at the minute said must work
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def record_failure(session: Session, username: str, now: datetime, window: timedelta) -> None:
    """Count one failed login and forget failures older than the window."""
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == username, LoginFailure.at <= now - window
        )
    )
    session.add(LoginFailure(username=username, at=now))


def clear_failures(session: Session, username: str) -> None:
    """Forget a username's failed logins after a successful one."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))


def wrong_credentials() -> AuthError:
    """The one message for an unknown user or a wrong password (no hint which)."""
    return AuthError("wrong username or password")
