"""Replies that fit a platform's message, and say so when they do not.

Each platform caps a message (Slack: 50 blocks, 100 in a modal or the Home tab; Teams: about
100 KB of activity, 80 KB advised). The core does not know which platform it speaks to, so each
renderer asks here for the reply cut to what it can show, measured by its own `fits`:

- `cut` (an answer to a command, one message): as many items as fit, then a last item that says
  how many are shown and names the rest, with what to type (or press: a reply's own buttons,
  such as the core's "Show more", are always kept) to see them;
- `split` (a digest or summary, sent by the outbox): nothing left out, the items spread over a
  head message, which keeps the text, facts, chart and buttons, and follow-up messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.kernel.messages import Item, Reply

Fits = Callable[[Reply], bool]
NAMES_SHOWN = 15  # of the items left out, this many named in the note
NARROWER = (
    "To see them here, ask for fewer: add a profession, a site or dates "
    "(e.g. “placement list PT from 1 Mar”)."
)
CONTINUED = "Continued in the next message."


def _largest(count: int, fits: Callable[[int], bool]) -> int:
    """The largest n in 0..count for which fits(n) holds (fits is monotone: fewer fit better)."""
    low, high = 0, count
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _name(item: Item) -> str:
    """How an item is called in the note: an offer by its reference, others by their title."""
    return item.title.split(" · ")[0]


def _has_more_button(reply: Reply) -> bool:
    return any(b.label.lower().startswith("show more") for b in reply.buttons)


def shown_note(reply: Reply, shown: int) -> Item:
    """The plain sentence a cut reply ends with: how many of how many, and the rest by name."""
    rest = reply.items[shown:]
    names = ", ".join(_name(item) for item in rest[:NAMES_SHOWN])
    if len(rest) > NAMES_SHOWN:
        names += f" and {len(rest) - NAMES_SHOWN} more"
    how = "Press Show more for the next ones." if _has_more_button(reply) else NARROWER
    return Item(
        title=f"Showing {shown} of {len(reply.items)} here: the rest did not fit in one message.",
        text=f"The rest: {names}. {how}",
    )


def cut_to(reply: Reply, shown: int) -> Reply:
    if shown >= len(reply.items):
        return reply
    return replace(reply, items=(*reply.items[:shown], shown_note(reply, shown)))


def cut(reply: Reply, fits: Fits) -> Reply:
    """The reply with as many of its items as fit, and a note on the rest when some did not."""
    if fits(reply):
        return reply
    return cut_to(reply, _largest(len(reply.items), lambda n: fits(cut_to(reply, n))))


def _follow_up(reply: Reply, items: tuple[Item, ...], number: int) -> Reply:
    return Reply(
        text=f"{reply.text} (continued, part {number})",
        tone=reply.tone,
        items=items,
        private=reply.private,
    )


def _head(reply: Reply, shown: int) -> Reply:
    if shown >= len(reply.items):
        return reply
    return replace(reply, items=(*reply.items[:shown], Item(title=CONTINUED)))


def split(reply: Reply, fits: Fits) -> list[Reply]:
    """The reply as messages that each fit, together holding every item, in order. An item
    too big for a message of its own is cut (`cut`) rather than looping for ever."""
    if fits(reply):
        return [reply]
    shown = _largest(len(reply.items), lambda n: fits(_head(reply, n)))
    parts = [_head(reply, shown)]
    rest = reply.items[shown:]
    while rest:
        number = len(parts) + 1
        following = _follow_up(reply, rest, number)
        taken = _largest(len(rest), lambda n, part=following: fits(_head(part, n)))
        if taken == 0:  # one item alone is too big: shown as far as it goes
            parts.append(cut(_follow_up(reply, rest[:1], number), fits))
            rest = rest[1:]
            continue
        parts.append(_head(following, taken))
        rest = rest[taken:]
    return parts
