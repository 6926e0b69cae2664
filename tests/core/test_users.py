"""Users, passwords, roles, throttling and tokens (DESIGN.md section 5)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from support.settings import fast_settings

from reserver_core.clock import FixedClock
from reserver_core.db import Database
from reserver_core.errors import (
    AlreadyExistsError,
    AuthError,
    ForbiddenError,
    ThrottledError,
    ValidationError,
)
from reserver_core.local import LocalBackend
from reserver_core.models import RateCounter
from reserver_core.users import local_username

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
PASSWORD = "correct-horse"


def server_backend(url: str, clock: FixedClock, **settings: object) -> LocalBackend:
    """A backend as the server holds one: anonymous, issuing tokens."""
    chosen = fast_settings(**settings)
    return LocalBackend(Database.open(url, chosen), chosen, clock, token_secret=SECRET)


@pytest.fixture
def server(sqlite_url: str, clock: FixedClock) -> Iterator[LocalBackend]:
    backend = server_backend(sqlite_url, clock)
    yield backend
    backend.close()


@pytest.mark.parametrize(
    "name", ["ab", "x" * 51, "with space", "dots.not.allowed", "ümlaut", "", "semi;colon"]
)
def test_bad_usernames_are_refused_with_the_rule(server: LocalBackend, name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        server.register(name, PASSWORD)
    assert refused.value.field == "username"
    assert "3-50 characters of a-z, 0-9, _ and -" in str(refused.value)


def test_usernames_are_stored_lower_case_and_unique_in_any_case(server: LocalBackend) -> None:
    made = server.register("  Alice_01-x ", PASSWORD)
    assert made.username == "alice_01-x"
    assert server.register("x" * 50, PASSWORD).username == "x" * 50
    with pytest.raises(AlreadyExistsError, match="the username 'alice_01-x' is already taken"):
        server.register("ALICE_01-X", PASSWORD)


def test_password_rules_include_bcrypts_72_byte_limit(server: LocalBackend) -> None:
    with pytest.raises(ValidationError, match="at least 10 characters") as short:
        server.register("alice", "tr7-kq2-m")
    assert short.value.field == "password"
    # 37 characters but 74 bytes: refused, never silently truncated.
    with pytest.raises(ValidationError, match="at most 72 bytes") as long:
        server.register("alice", "é" * 37)
    assert long.value.field == "password"
    server.register("alice", "é" * 36)
    assert server.authenticate("alice", "é" * 36).username == "alice"
    # A longer password that starts the same must not pass as the stored one.
    with pytest.raises(AuthError):
        server.authenticate("alice", "é" * 36 + "tail")


def test_the_first_account_is_the_admin_and_registration_can_be_switched_off(
    server: LocalBackend, sqlite_url: str, clock: FixedClock
) -> None:
    assert server.register("first", PASSWORD).role == "admin"
    assert server.register("second", PASSWORD).role == "member"
    closed = server_backend(sqlite_url, clock, allow_registration=False)
    try:
        with pytest.raises(ForbiddenError, match="registration is switched off"):
            closed.register("third", PASSWORD)
    finally:
        closed.close()


def test_the_first_local_user_is_the_admin(sqlite_url: str, clock: FixedClock) -> None:
    first = LocalBackend.open(sqlite_url, fast_settings(), clock, username="Carol")
    second = LocalBackend.open(sqlite_url, fast_settings(), clock, username="dave")
    again = LocalBackend.open(sqlite_url, fast_settings(), clock, username="carol")
    try:
        assert (first.whoami().username, first.whoami().role) == ("carol", "admin")
        assert second.whoami().role == "member"
        assert again.whoami() == first.whoami()
    finally:
        for backend in (first, second, again):
            backend.close()


def test_the_os_account_name_becomes_a_valid_username(monkeypatch: pytest.MonkeyPatch) -> None:
    def account(name: str) -> Callable[[int], SimpleNamespace]:
        return lambda uid: SimpleNamespace(pw_name=name)

    monkeypatch.setattr("pwd.getpwuid", account("Jane.Doe@EXAMPLE"))
    assert local_username() == "jane-doe-example"
    monkeypatch.setattr("pwd.getpwuid", account("jo"))
    assert local_username() == "jo-user"
    # The account database decides, never the environment.
    monkeypatch.setenv("USER", "admin")
    monkeypatch.setenv("LOGNAME", "admin")
    assert local_username() == "jo-user"


def test_wrong_credentials_give_one_message_and_throttle_after_five(
    server: LocalBackend, clock: FixedClock
) -> None:
    server.register("alice", PASSWORD)
    with pytest.raises(AuthError) as unknown:
        server.authenticate("nobody", PASSWORD)
    assert str(unknown.value) == "wrong username or password"
    for _ in range(5):
        clock.advance(timedelta(seconds=10))
        with pytest.raises(AuthError, match="wrong username or password"):
            server.authenticate("alice", "wrong-password", "127.0.0.2")
    # From that address even the right password is refused, with the wait named.
    with pytest.raises(ThrottledError, match="from this address") as throttled:
        server.authenticate("ALICE", PASSWORD, "127.0.0.2")
    # The window opened with the first failure, 40 s ago: it closes in 860 s.
    assert throttled.value.retry_after == 860
    assert "try again in 15 minutes" in str(throttled.value)  # 14 min 20 s, rounded up
    # The owner elsewhere is not stopped; the guessing address stays stopped.
    assert server.authenticate("alice", PASSWORD, "127.0.0.3").username == "alice"
    with pytest.raises(ThrottledError, match="from this address"):
        server.authenticate("alice", PASSWORD, "127.0.0.2")
    clock.advance(timedelta(seconds=860))
    assert server.authenticate("alice", PASSWORD, "127.0.0.2").username == "alice"


def test_guesses_spread_over_addresses_only_slow_the_username(
    server: LocalBackend, clock: FixedClock
) -> None:
    server.register("alice", PASSWORD)
    for n in range(10):
        with pytest.raises(AuthError):
            server.authenticate("alice", "wrong-password", f"10.0.0.{n + 1}")
    # Ten failures from everywhere: each attempt now waits a delay doubling from 1 s.
    with pytest.raises(ThrottledError, match="many failed logins") as slowed:
        server.authenticate("alice", PASSWORD, "10.0.1.1")
    assert slowed.value.retry_after == 1
    clock.advance(timedelta(seconds=1))
    with pytest.raises(AuthError):
        server.authenticate("alice", "wrong-password", "10.0.1.2")
    with pytest.raises(ThrottledError) as slower:
        server.authenticate("alice", PASSWORD, "10.0.1.1")
    assert slower.value.retry_after == 2
    # Refused attempts do not extend the delay: the owner waits it out, once.
    clock.advance(timedelta(seconds=2))
    assert server.authenticate("alice", PASSWORD, "10.0.1.1").username == "alice"
    with pytest.raises(AuthError, match="wrong username"):
        server.authenticate("alice", "wrong-password", "10.0.1.3")


def test_the_slowdown_is_capped(server: LocalBackend, clock: FixedClock) -> None:
    server.register("alice", PASSWORD)
    waits = []
    for n in range(20):
        try:
            server.authenticate("alice", "wrong-password", f"10.0.0.{n + 1}")
        except ThrottledError as slowed:
            waits.append(slowed.retry_after)
            clock.advance(timedelta(seconds=slowed.retry_after))
            with pytest.raises(AuthError):
                server.authenticate("alice", "wrong-password", f"10.0.0.{n + 1}")
        except AuthError:
            pass
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    with pytest.raises(ThrottledError) as slowed:
        server.authenticate("alice", PASSWORD, "10.0.1.1")
    assert slowed.value.retry_after == 60


def test_a_malformed_username_is_refused_before_anything_is_stored(server: LocalBackend) -> None:
    for bad in ("x" * 51, "x" * 900_000, "ab", "bad name", "émile"):
        with pytest.raises(ValidationError, match="a username is 3-50 characters"):
            server.authenticate(bad, PASSWORD, "127.0.0.2")
    assert server.database.read(lambda s: s.scalar(select(func.count(RateCounter.key)))) == 0


def test_upkeep_forgets_counters_no_window_needs(server: LocalBackend, clock: FixedClock) -> None:
    with pytest.raises(AuthError):
        server.authenticate("nobody", "wrong-password", "127.0.0.2")
    server.run_expiry()
    assert server.database.read(lambda s: s.scalar(select(func.count(RateCounter.key)))) == 2
    clock.advance(timedelta(hours=1, seconds=1))
    server.run_expiry()
    assert server.database.read(lambda s: s.scalar(select(func.count(RateCounter.key)))) == 0


def test_a_success_clears_earlier_failures(server: LocalBackend) -> None:
    server.register("alice", PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthError):
            server.authenticate("alice", "wrong-password")
    server.authenticate("alice", PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthError):
            server.authenticate("alice", "wrong-password")
    assert server.authenticate("alice", PASSWORD).username == "alice"


def test_tokens_name_their_user_and_expire_tampered_or_old_ones_are_refused(
    server: LocalBackend, clock: FixedClock
) -> None:
    server.register("alice", PASSWORD)
    token = server.login("alice", PASSWORD).access_token
    assert server.user_for_token(token).username == "alice"
    head, body, signature = token.split(".")
    forged_signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    for tampered in (f"{head}.{body}.{forged_signature}", "not-a-token", "", token + "x"):
        with pytest.raises(AuthError, match="invalid token"):
            server.user_for_token(tampered)
    other = LocalBackend(
        server.database,
        server.settings,
        clock,
        token_secret="another-secret-also-long-enough-for-hs256",
    )
    with pytest.raises(AuthError, match="invalid token"):
        other.user_for_token(token)
    clock.advance(timedelta(minutes=server.settings.token_ttl_minutes))
    with pytest.raises(AuthError, match="your session has expired"):
        server.user_for_token(token)


def test_a_token_of_an_account_that_is_gone_is_refused(server: LocalBackend) -> None:
    server.register("alice", PASSWORD)
    token = server.login("alice", PASSWORD).access_token
    with server.database.write_engine.begin() as connection:
        connection.exec_driver_sql("UPDATE users SET active = 0 WHERE username = 'alice'")
    with pytest.raises(AuthError, match="no longer exists"):
        server.user_for_token(token)
    with pytest.raises(AuthError, match="wrong username or password"):
        server.authenticate("alice", PASSWORD)


def test_a_store_without_a_secret_issues_no_tokens(local: LocalBackend) -> None:
    with pytest.raises(AuthError, match="does not issue tokens"):
        local.login("alice", PASSWORD)


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_registrations_at_once_on_an_empty_server_make_one_admin(
    kind: str, request: pytest.FixtureRequest, clock: FixedClock
) -> None:
    url = str(request.getfixturevalue(f"{kind}_url"))
    backends = [server_backend(url, clock) for _ in range(6)]
    barrier = threading.Barrier(len(backends))
    outcomes: list[str] = []

    def register(backend: LocalBackend, name: str) -> None:
        barrier.wait(timeout=60)
        try:
            outcomes.append(backend.register(name, PASSWORD).role)
        except AlreadyExistsError:
            outcomes.append("taken")

    # Four different names and two clashing ones, all at the same moment.
    names = ["ann", "ben", "cid", "dan", "eve", "eve"]
    threads = [
        threading.Thread(target=register, args=(backend, name))
        for backend, name in zip(backends, names, strict=True)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        for backend in backends:
            backend.close()
    assert sorted(outcomes) == ["admin", "member", "member", "member", "member", "taken"]
