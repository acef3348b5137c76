"""How the core reaches people without knowing platforms: adapters implement `Channel`.

The composition root hands the core the channels that are configured; the outbox of a later
release delivers through them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Reply
from storage.tables import Identity


class Channel(Protocol):
    """One way to reach a person: Slack DM, Teams proactive message, email, local chat."""

    name: str

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        """Deliver `reply`. `key` is the outbox's dedupe key: a channel that can should use it
        so that a second send of the same delivery (after a sender died mid-send) is a no-op."""
        ...


@runtime_checkable
class DeliveryCheck(Protocol):
    """A channel that can tell whether a message it sent with a dedupe key has arrived."""

    async def delivered(self, person_id: int, key: str) -> bool:
        """Asked before sending again a delivery whose earlier try may have gone through."""
        ...


class Unreachable(Exception):
    """The person has no identity on this channel."""


async def identity_on(session: AsyncSession, person_id: int, platform: str) -> Identity:
    found = (
        await session.execute(
            select(Identity)
            .where(Identity.person_id == person_id, Identity.platform == platform)
            .order_by(Identity.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if found is None:
        raise Unreachable(f"person {person_id} has no {platform} identity")
    return found
