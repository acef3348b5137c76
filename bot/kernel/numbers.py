"""Whole numbers as people and buttons send them: ASCII digits only, and not too many of them.

`str.isdigit` accepts "²" and "٣", which `int` then refuses or reads unexpectedly.
"""

from __future__ import annotations


def whole_number(text: str, most_digits: int = 6) -> int | None:
    """The number `text` spells in ASCII digits, or None."""
    text = text.strip()
    if text.isascii() and text.isdecimal() and len(text) <= most_digits:
        return int(text)
    return None
