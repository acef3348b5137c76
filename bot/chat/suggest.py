"""What someone typed, quoted back whole, and the command they most likely meant.

People type between patients: `placment help`, `placement ofer`. A refusal quotes the words
(shortened, with an ellipsis, only past `QUOTE_MAX` characters) and names the closest command,
so the next try is a copy, not a guess (the quoting itself is in bot/kernel/quoting.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.kernel.errors import UserError
from bot.kernel.quoting import QUOTE_MAX, closest, quoted

__all__ = ["QUOTE_MAX", "closest", "quoted", "unknown_word"]


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
