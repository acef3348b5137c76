"""What a scheduled job is handed: where to open transactions, the clock and the settings.

It lives in the kernel so that the jobs themselves (nudges, digests, the summary) need nothing
from the machinery that runs them (`bot.runtime`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel.clock import Clock
from config.settings import Settings


@dataclass(frozen=True)
class JobContext:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    settings: Settings
    # Who runs the slots: a leader's term. A new leader takes over its predecessor's unfinished
    # slots at once (the predecessor lost the lock, so it died or lost its database).
    runner: str = ""
