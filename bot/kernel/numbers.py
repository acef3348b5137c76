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


_UNITS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
NUMBER_WORDS: dict[str, int] = {word: n for n, word in enumerate(_UNITS, start=1)}
NUMBER_WORDS |= {"twenty": 20, "thirty": 30, "a": 1, "an": 1, "a single": 1, "single": 1}
NUMBER_WORDS |= {f"twenty{gap}{_UNITS[n - 1]}": 20 + n for n in range(1, 10) for gap in " -"}
# Longest first, so that "twenty one" is read before "twenty".
NUMBER_WORD_PATTERN = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)).replace(" ", r"\s+")


def number_value(text: str) -> int | None:
    """The number written in digits or words ("two", "twenty-one"), or None."""
    key = " ".join(text.lower().split())
    return NUMBER_WORDS.get(key) if key in NUMBER_WORDS else whole_number(key, most_digits=3)
