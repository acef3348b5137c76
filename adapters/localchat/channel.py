"""The local chat's `Channel`: the outbox row is the message, and the page reads it from there."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.channels import identity_on
from bot.kernel.messages import Reply


class LocalChannel:
    """Nothing to transmit: a delivery marked sent is in the person's local inbox."""

    name = "local"

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        async with self.sessions() as session:
            await identity_on(session, person_id, "local")  # Unreachable when they have none
