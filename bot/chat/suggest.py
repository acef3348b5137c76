"""What someone typed, quoted back whole, and the command they most likely meant.

People type between patients: `placment help`, `placement ofer`. A refusal quotes the words
(shortened, with an ellipsis, only past `QUOTE_MAX` characters) and names the closest command,
so the next try is a copy, not a guess. difflib's ratio is plenty for a few dozen words.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

from bot.kernel.errors import UserError

QUOTE_MAX = 120


def quoted(text: str) -> str:
    """“text”, shortened to `QUOTE_MAX` characters with an ellipsis when longer."""
    text = " ".join(text.split())
    if len(text) > QUOTE_MAX:
        text = text[: QUOTE_MAX - 1].rstrip() + "…"
    return f"“{text}”"


def closest(word: str, known: Iterable[str]) -> str | None:
    found = get_close_matches(word.lower(), list(known), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_word(
    group: str, word: str, rest: str, known: Iterable[str], examples: dict[str, str], example: str
) -> UserError:
    """The refusal of `group word rest` whose `word` is not one of `known`: the closest one as
    a command to copy, with that command's own example when there is one."""
    typed = " ".join(part for part in (group, word, rest) if part)
    names = list(known)
    meant = closest(word, names)
    if meant is None:
        return UserError(
            f"I don't know {quoted(typed)}. Try one of: {', '.join(names)}.", example=example
        )
    again = " ".join(part for part in (group, meant, rest) if part)
    return UserError(
        f"I don't know {quoted(typed)}. Did you mean `{again}`?",
        example=examples.get(meant, example),
    )
