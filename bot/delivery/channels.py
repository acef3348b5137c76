"""How the core reaches people without knowing platforms: adapters implement `Channel`.

The composition root hands the worker the channels that are configured, and the outbox's sender
(`bot.delivery.sender`) delivers each queued message through the one its row names.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.messages import Reply
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


@runtime_checkable
class Prefetch(Protocol):
    """A channel that sends faster when told the people of a claim up front."""

    async def prefetch(self, person_ids: Collection[int]) -> None:
        """Look up what sends to these people will need, in one go."""
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


async def identities_on(
    session: AsyncSession, person_ids: Collection[int], platform: str
) -> dict[int, str]:
    """Each person's external id on this platform, for those who have one, in one query."""
    found: dict[int, str] = {}
    for person_id, external_id in await session.execute(
        select(Identity.person_id, Identity.external_id)
        .where(Identity.person_id.in_(list(person_ids)), Identity.platform == platform)
        .order_by(Identity.id.desc())
    ):
        found[person_id] = external_id  # the oldest wins, as in identity_on
    return found
