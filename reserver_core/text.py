"""Checks on text people type: what no database can store, and what no terminal should show."""

from __future__ import annotations

import unicodedata

from reserver_core.errors import ValidationError

LINE_BREAKS_AND_TABS = "\n\t\r"


def check_storable(value: str, field: str) -> str:
    """Refuse text no database can keep: NUL characters and unpaired surrogates."""
    if "\x00" in value:
        raise ValidationError(f"{field} must not contain NUL characters", field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(f"{field} must be valid Unicode text", field) from exc
    return value


def check_printable(value: str, field: str, allowed: str = "") -> str:
    """Refuse control characters (but those in `allowed`): stored, they would reach
    every terminal that shows the text, where ESC starts an escape sequence."""
    for character in value:
        if character not in allowed and unicodedata.category(character) == "Cc":
            raise ValidationError(
                f"{field} must not contain control characters such as {character!r}", field
            )
    return value


def clean_free_text(value: str, field: str, max_length: int, noun: str) -> str:
    """Trim free text (a description, a reason): storable, printable but for line breaks
    and tabs, at most `max_length` characters, which the error names as `noun`."""
    cleaned = check_printable(check_storable(value, field), field, LINE_BREAKS_AND_TABS).strip()
    if len(cleaned) > max_length:
        raise ValidationError(f"{noun} is at most {max_length} characters", field)
    return cleaned
