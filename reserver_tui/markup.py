"""Putting names, reasons and typed text into Textual and Rich markup safely."""

from __future__ import annotations


def literal(text: str) -> str:
    """`text` to embed in markup so it shows exactly as it is.

    Every "[" is escaped: the escape functions of Textual and Rich leave a "["
    without a closing "]" alone, and "[/" alone, typed into a field, still
    failed as an unmatched closing tag.
    """
    return text.replace("[", "\\[")
