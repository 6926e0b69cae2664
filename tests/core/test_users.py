"""Users, passwords, roles, throttling and tokens (DESIGN.md section 5)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
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
    with pytest.raises(ValidationError, match="at least 8 characters") as short:
        server.register("alice", "1234567")
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
    monkeypatch.setattr("getpass.getuser", lambda: "Jane.Doe@EXAMPLE")
    assert local_username() == "jane-doe-example"
    monkeypatch.setattr("getpass.getuser", lambda: "jo")
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
            server.authenticate("alice", "wrong-password")
    # Even the right password is refused while throttled, with the wait named.
    with pytest.raises(ThrottledError) as throttled:
        server.authenticate("ALICE", PASSWORD)
    # The oldest failure was 40 s ago: it leaves the 15-minute window in 860 s.
    assert throttled.value.retry_after == 861
    assert "try again in 15 minutes" in str(throttled.value)  # 14 min 21 s, rounded up
    clock.advance(timedelta(seconds=861))
    assert server.authenticate("alice", PASSWORD).username == "alice"


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
