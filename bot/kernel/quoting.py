"""What someone typed, quoted back whole (an ellipsis only past `QUOTE_MAX` characters), and
the closest of a few known words. The chat's "did you mean" and the offer grammar share it."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process

QUOTE_MAX = 120


def quoted(text: str) -> str:
    """“text”, shortened to `QUOTE_MAX` characters with an ellipsis when longer."""
    text = " ".join(text.split())
    if len(text) > QUOTE_MAX:
        text = text[: QUOTE_MAX - 1].rstrip() + "…"
    return f"“{text}”"


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known word most like `word` by edit similarity (difflib's ratio, as rapidfuzz
    computes it, 60% or more): a typo of a profession or a command."""
    found = process.extractOne(word.lower(), list(known), scorer=fuzz.ratio, score_cutoff=60)
    return found[0] if found else None
