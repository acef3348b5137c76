"""Messages to people, not to channels: the one way the core queues something for a person.

The channel is chosen here (`recipients`: their preferred one if it reaches them, else where
they talk to the bot, else email), so no caller guesses it, and the dedupe key makes a second
call a no-op. A person no channel reaches gets nothing queued, and the answer says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import queue
from bot.delivery.recipients import channels_for
from bot.kernel.messages import Reply


@dataclass(frozen=True)
class ForPerson:
    """One message for a person: what, its dedupe key, and when it may go."""

    person_id: int
    reply: Reply
    dedupe_key: str
    not_before: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Told:
    """What became of the messages: queued now, queued before (same key), or no channel."""

    queued: tuple[ForPerson, ...] = ()
    already: tuple[ForPerson, ...] = ()
    unreachable: tuple[ForPerson, ...] = ()

    @property
    def reached(self) -> bool:
        """Every message is in the outbox (now or from before)."""
        return not self.unreachable


async def tell_many(session: AsyncSession, messages: Sequence[ForPerson], now: datetime) -> Told:
    """Queue each message through the channel that reaches its person, in one statement."""
    channels = await channels_for(session, {m.person_id for m in messages})
    reachable = [m for m in messages if m.person_id in channels]
    new = await queue.enqueue_many(
        session,
        [
            queue.Outgoing(
                m.person_id,
                channels[m.person_id],
                m.reply,
                m.dedupe_key,
                m.not_before,
                m.expires_at,
            )
            for m in reachable
        ],
        now,
    )
    return Told(
        queued=tuple(m for m in reachable if m.dedupe_key in new),
        already=tuple(m for m in reachable if m.dedupe_key not in new),
        unreachable=tuple(m for m in messages if m.person_id not in channels),
    )


async def tell(
    session: AsyncSession,
    person_id: int,
    reply: Reply,
    dedupe_key: str,
    now: datetime,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> Told:
    """Queue one message to a person (see `tell_many`)."""
    message = ForPerson(person_id, reply, dedupe_key, not_before, expires_at)
    return await tell_many(session, [message], now)
