"""Which channel reaches each person: the one they prefer if it can, else where they talk to us."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Identity, Person

# Chat first (where clinicians live), in this order; email when nothing else reaches them.
CHAT_PLATFORMS = ("slack", "teams", "local")


def choose(preferred: str | None, platforms: Collection[str], has_email: bool) -> str | None:
    reachable = [p for p in CHAT_PLATFORMS if p in platforms] + (["email"] if has_email else [])
    if preferred in reachable:
        return preferred
    return reachable[0] if reachable else None


async def channels_for(session: AsyncSession, person_ids: Collection[int]) -> dict[int, str]:
    """Each reachable person's channel, in two queries however many people; the unreachable are
    left out."""
    if not person_ids:
        return {}
    ids = list(set(person_ids))
    platforms: dict[int, set[str]] = {person_id: set() for person_id in ids}
    for person_id, platform in await session.execute(
        select(Identity.person_id, Identity.platform).where(Identity.person_id.in_(ids))
    ):
        platforms[person_id].add(platform)
    chosen: dict[int, str] = {}
    for person_id, preferred, email in await session.execute(
        select(Person.id, Person.preferred_channel, Person.email).where(Person.id.in_(ids))
    ):
        channel = choose(preferred, platforms[person_id], bool(email))
        if channel is not None:
            chosen[person_id] = channel
    return chosen


async def reachable(session: AsyncSession, person_ids: Collection[int]) -> set[int]:
    """Who some channel reaches: the people a job may plan a message for. Which channel is
    `bot.delivery.tell`'s choice when the message is queued."""
    return set(await channels_for(session, person_ids))
