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


def json_whole_number(value: object) -> int | None:
    """A JSON number that is whole, as JSON Schema's "integer" reads it: 9 and 9.0 alike (a
    client's JSON library may write either); never a bool, 9.5 or text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
