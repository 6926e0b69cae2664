"""Passwords: long enough, not blank, not one of those every guesser tries first."""

from __future__ import annotations

import pytest

from reserver_core.errors import ValidationError
from reserver_core.users import MIN_PASSWORD_LENGTH, check_password, common_passwords

COMMON = "this password is among the most common ones, which are guessed first"


def test_the_shipped_list_holds_thousands_of_lower_case_passwords() -> None:
    listed = common_passwords()
    assert len(listed) >= 3000
    assert common_passwords() is listed  # read once
    assert {"password", "123456", "qwerty", "iloveyou", "1234567890", "qwertyuiop"} <= listed
    assert all(p == p.strip().lower() and not p.startswith("#") for p in listed)
    # Those long enough to pass the length rule are what the list is for.
    assert sum(len(p) >= MIN_PASSWORD_LENGTH for p in listed) >= 1000


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("password", COMMON),
        ("PassWord", COMMON),
        ("  Password123 ", COMMON),
        ("QWERTYUIOP", COMMON),
        ("1q2w3e4r5t", COMMON),
        ("passw0rd123", COMMON),
        (" " * 8, "a password cannot be only spaces or other white space"),
        ("\t\u00a0\u3000" * 4, "a password cannot be only spaces or other white space"),
        ("", f"a password has at least {MIN_PASSWORD_LENGTH} characters"),
        ("Tr7-kq2-m", f"a password has at least {MIN_PASSWORD_LENGTH} characters"),
        ("é" * 37, "a password has at most 72 bytes"),
    ],
)
def test_weak_passwords_are_refused_saying_why(password: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_password(password)
    assert str(refused.value).startswith(says)
    assert refused.value.field == "password"


@pytest.mark.parametrize(
    "password", ["Tr7-kq2-m4", "correct-horse-battery", "  spaced out  ", "é" * 36]
)
def test_other_passwords_pass(password: str) -> None:
    check_password(password)
