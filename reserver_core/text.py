"""Checks on text people type: what no database can store, what no terminal should show,
and what an idempotency key may be."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from reserver_core.errors import ValidationError

LINE_BREAKS_AND_TABS = "\n\t\r"

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Marks, embeddings, overrides and isolates: they reorder the text shown around them."""

INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
"""Format characters (category Cf) and Default_Ignorable_Code_Point (Unicode 15.1), which
the unicodedata module does not expose: what a font draws as nothing at all."""


def _character_class(ranges: Iterable[tuple[int, int]]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"\\U{a:08X}-\\U{b:08X}" for a, b in ranges) + "]")


# One regular expression scans a string in C: a loop over its characters in Python
# would make importing 100,000 accented names three times slower.
_INVISIBLE = _character_class(INVISIBLE_RANGES)
_BIDI = _character_class((ord(c), ord(c)) for c in sorted(BIDI_CONTROLS))

_BLANK_SYMBOLS = frozenset("\u2800")
"""Symbols drawn as empty space (BRAILLE PATTERN BLANK), often used to fake a blank name."""


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


def describe_character(character: str) -> str:
    """A character as people can look it up: `U+202E RIGHT-TO-LEFT OVERRIDE`."""
    return f"U+{ord(character):04X} {unicodedata.name(character, '<unassigned>')}"


def is_invisible(character: str) -> bool:
    """Whether a character is a format character (Cf) or default-ignorable: never drawn."""
    return _INVISIBLE.match(character) is not None


def check_unmisleading(value: str, field: str, noun: str, invisible: bool = True) -> str:
    """Refuse bidi controls and, when `invisible`, every character that is never drawn:
    both make text look other than it is (two names that look the same, a file name
    that reads backwards). The error names the character and its 1-based position."""
    if value.isascii():
        return value  # the common case, and none of these is ASCII
    found = (_INVISIBLE if invisible else _BIDI).search(value)
    if found is None:
        return value
    character = found.group()
    reason = "it changes how the text is shown" if character in BIDI_CONTROLS else "it is invisible"
    raise ValidationError(
        f"{noun} must not contain {describe_character(character)} "
        f"(at character {found.start() + 1}): {reason}",
        field,
    )


def check_visible(value: str, field: str, noun: str) -> str:
    """Refuse text made only of blanks, combining marks and other characters that draw
    nothing of their own: it would show as an empty or stray mark."""
    if not any(_draws_something(character) for character in value):
        shown = ", ".join(dict.fromkeys(describe_character(c) for c in value if not c.isspace()))
        raise ValidationError(
            f"{noun} must have something to see: it holds only {shown}, "
            "which draw nothing of their own",
            field,
        )
    return value


def _draws_something(character: str) -> bool:
    category = unicodedata.category(character)
    if character in _BLANK_SYMBOLS or is_invisible(character):
        return False
    return category[0] in "LNPS" or category == "Co"


def normalized(value: str) -> str:
    """Text in NFC, the composed form: what looks the same is stored the same."""
    return unicodedata.normalize("NFC", value)


def clean_free_text(
    value: str, field: str, max_length: int, noun: str, allowed: str = LINE_BREAKS_AND_TABS
) -> str:
    """Trim free text (a description, a reason) and normalize it to NFC: storable,
    printable but for `allowed` (line breaks and tabs), no bidi controls, at most
    `max_length` characters, which the error names as `noun`."""
    check_unmisleading(check_storable(value, field), field, noun, invisible=False)
    cleaned = check_printable(normalized(value), field, allowed).strip()
    if len(cleaned) > max_length:
        raise ValidationError(f"{noun} is at most {max_length} characters", field)
    return cleaned


def clean_one_line(value: str, field: str, max_length: int, noun: str) -> str:
    """`clean_free_text` for text shown on one line (a booking's note): no control
    characters at all, line breaks and tabs included."""
    return clean_free_text(value, field, max_length, noun, allowed="")


MAX_IDEMPOTENCY_KEY_LENGTH = 100


def clean_idempotency_key(key: str) -> str:
    """Trim a request's idempotency key: 1-100 printable ASCII characters, which any
    HTTP header carries unchanged."""
    cleaned = key.strip(" ")
    if not 1 <= len(cleaned) <= MAX_IDEMPOTENCY_KEY_LENGTH or not all(
        " " <= character <= "~" for character in cleaned
    ):
        raise ValidationError(
            f"an idempotency key is 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters",
            "idempotency_key",
        )
    return cleaned
