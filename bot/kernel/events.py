"""What happened, announced by the package that did it, for packages above it to react to.

Offers and blocks sit below nudges and must not call into them, yet a queued nudge about an offer
or a block must be withdrawn the moment its subject is answered. So offers and blocks announce
the change here, in their own transaction, and nudges react (`bot.nudges.withdrawal`). The bot
package connects the reactions when it is imported, so no entry point can forget them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.kernel.context import Context


@dataclass(frozen=True)
class OfferChanged:
    """An offer was edited or withdrawn, or a request on it was confirmed or declined."""

    ref: str


@dataclass(frozen=True)
class BlockAnswered:
    """A team answered a block for itself: an offer on it, "maybe" or "no capacity"."""

    ref: str
    team_id: int | None
    person_id: int


EventT = TypeVar("EventT")
Reaction = Callable[[Context, EventT], Awaitable[None]]

_reactions: defaultdict[type, list[Reaction[Any]]] = defaultdict(list)


def reacts_to(event_type: type[EventT]) -> Callable[[Reaction[EventT]], Reaction[EventT]]:
    """Register the decorated coroutine to run, in the announcer's transaction, on each event
    of this type."""

    def register(reaction: Reaction[EventT]) -> Reaction[EventT]:
        if reaction not in _reactions[event_type]:
            _reactions[event_type].append(reaction)
        return reaction

    return register


async def announce(ctx: Context, event: object) -> None:
    """Run every reaction to `event`, in order, in the caller's transaction."""
    for reaction in _reactions[type(event)]:
        await reaction(ctx, event)
