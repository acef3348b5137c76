"""What someone typed, quoted back whole (an ellipsis only past `QUOTE_MAX` characters), and
the closest of a few known words. The chat's "did you mean" and the offer grammar share it."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

QUOTE_MAX = 120


def quoted(text: str) -> str:
    """“text”, shortened to `QUOTE_MAX` characters with an ellipsis when longer."""
    text = " ".join(text.split())
    if len(text) > QUOTE_MAX:
        text = text[: QUOTE_MAX - 1].rstrip() + "…"
    return f"“{text}”"


def closest(word: str, known: Iterable[str]) -> str | None:
    """difflib's ratio is plenty for a few dozen words."""
    found = get_close_matches(word.lower(), list(known), n=1, cutoff=0.6)
    return found[0] if found else None
