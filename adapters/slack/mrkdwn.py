"""Text into Slack mrkdwn so that what people wrote shows as they wrote it, never as markup.

Slack asks for &, < and > as HTML entities, which also stops `<https://x|Confirm>` links and
`<!channel>` mentions. It has no escape for the formatting marks * _ ~ and `, so a mark from a
person's text goes in as a date token whose format is invalid: Slack shows its fallback, the
mark itself, as plain text. The core's own sentences keep their `command` code spans.
"""

from __future__ import annotations

import re

ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
MARKS = frozenset("*_~`")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def _mark(char: str) -> str:
    return f"<!date^0^{{_}}|{char}>"


def _pieces(text: str) -> list[str]:
    """One piece per character of `text`, each shown literally."""
    return [ENTITIES.get(char) or (_mark(char) if char in MARKS else char) for char in text]


def _fit(pieces: list[str], limit: int) -> str:
    """The pieces joined, at most `limit` long, cut between pieces (never inside an entity or
    a date token) and ending in … when cut."""
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept, used = [], 1  # room for the ellipsis
    for piece in pieces:
        if used + len(piece) > limit:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + "…"


def entities(text: str, limit: int = 3000) -> str:
    """Only &, < and > escaped: for the notification text, which shows no formatting."""
    return _fit([ENTITIES.get(char, char) for char in text], limit)


def literal(text: str, limit: int = 3000) -> str:
    """Text from people (names, places, notes, titles): every character as itself."""
    return _fit(_pieces(text), limit)


def sentence(text: str, limit: int = 3000) -> str:
    """A sentence the core wrote, perhaps quoting people: its `command` spans stay code (what
    is inside them escaped), everything else is literal."""
    pieces: list[str] = []
    at = 0
    for span in _CODE_SPAN.finditer(text):
        pieces += _pieces(text[at : span.start()])
        inside = "".join(ENTITIES.get(char, char) for char in span.group(1))
        pieces.append(f"`{inside}`")
        at = span.end()
    pieces += _pieces(text[at:])
    return _fit(pieces, limit)


def bold(text: str, limit: int = 3000) -> str:
    """Text from people in bold: the marks around it are Slack's, none inside it are."""
    return f"*{literal(text, limit - 2)}*"
