"""Email delivery (SMTP_URL)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import Unreachable
from bot.messages import Reply
from config.settings import Settings


class EmailChannel:
    name = "email"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        raise Unreachable("email delivery is not available yet")
