"""Users, passwords and roles; login throttling kept in the database."""

from __future__ import annotations

import functools
import os
import re
from datetime import datetime, timedelta
from importlib.resources import files

import bcrypt
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from reserver_core import throttle
from reserver_core.errors import AlreadyExistsError, AuthError, ValidationError
from reserver_core.models import User
from reserver_core.schemas import UserInfo

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_BYTES = 72
"""bcrypt reads only the first 72 bytes; longer passwords are refused, never truncated."""
_USERNAME = re.compile(r"^[a-z0-9_-]{3,50}$")


def local_username() -> str:
    """The name of the operating-system account this process runs as, made into a valid
    reserver username.

    Read from the account database by the process's user id, never from `USER` or
    `LOGNAME`, which anyone can set to pose as someone else.
    """
    try:
        import pwd

        raw = pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        raw = f"uid-{os.getuid()}" if hasattr(os, "getuid") else "local-user"
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
    """At least 10 characters, not only white space, not among the most common
    passwords (any case), and at most 72 bytes (bcrypt's limit)."""
    if password and not password.strip():
        raise ValidationError("a password cannot be only spaces or other white space", "password")
    if password.strip().casefold() in common_passwords():
        raise ValidationError(
            "this password is among the most common ones, which are guessed first: choose another",
            "password",
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"a password has at least {MIN_PASSWORD_LENGTH} characters", "password"
        )
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise ValidationError(
            f"a password has at most {MAX_PASSWORD_BYTES} bytes (bcrypt ignores the rest)",
            "password",
        )


@functools.cache
def common_passwords() -> frozenset[str]:
    """The most common passwords, lower case, read once from the list shipped with reserver."""
    listing = files("reserver_core") / "data" / "common_passwords.txt"
    lines = listing.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


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


def login_keys(username: str, address: str) -> tuple[str, str]:
    """The counters of a login: the username at this address, and the username anywhere."""
    return f"login:{username}@{address}", f"login:{username}"


def admit_login(
    session: Session,
    username: str,
    address: str,
    now: datetime,
    max_failures: int,
    window: timedelta,
) -> User | None:
    """The account a login names, once the throttle lets the attempt through.

    The attempt counts as a failure until it succeeds (`forget_failures`), under
    a lock on each counter: a burst of parallel guesses is counted one by one.
    Failures from one address stop only that address, after `max_failures`.
    Failures from everywhere only slow the username down, with a delay doubling
    after twice that many and capped, so that guesses spread over many
    addresses cannot lock the owner out for longer than the delay.
    """
    here_key, anywhere_key = login_keys(username, address)
    here = throttle.locked_counter(session, here_key, now, window)
    if here.count >= max_failures:
        raise throttle.refuse(
            f"too many failed logins for {username!r} from this address",
            throttle.retry_seconds(here.window_start + window, now),
        )
    anywhere = throttle.locked_counter(session, anywhere_key, now, window)
    delay = timedelta(seconds=throttle.slowdown_seconds(anywhere.count, 2 * max_failures))
    if delay and now < anywhere.last_at + delay:
        raise throttle.refuse(
            f"many failed logins for {username!r} lately",
            throttle.retry_seconds(anywhere.last_at + delay, now),
        )
    throttle.bump(here, now)
    throttle.bump(anywhere, now)
    return find_user(session, username)


def forget_failures(session: Session, username: str, address: str) -> None:
    """Forget a username's failed logins after a successful one."""
    throttle.forget(session, *login_keys(username, address))


@functools.cache
def dummy_hash(rounds: int) -> str:
    """A hash to check unknown usernames' passwords against, so that they take as long."""
    return hash_password("not a password anyone has", rounds)


def wrong_credentials() -> AuthError:
    """The one message for an unknown user or a wrong password (no hint which)."""
    return AuthError("wrong username or password")
