"""Kept answers: an answer that goes after its acknowledgement (a Slack response_url, a Teams
message) is kept with its delivery's receipt until it has gone, so a crash does not lose it.

Marking an answer as given is a small write after each answer; under a burst these are
written together (`GroupCommit`), one transaction for all that arrived meanwhile.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chat import receipts
from bot.chat.faults import Faults
from bot.kernel.clock import Clock
from bot.kernel.group_commit import GroupCommit
from bot.kernel.messages import Reply

ANSWER_WINDOW = timedelta(minutes=30)  # how long a Slack response_url takes answers


class KeptAnswers:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, faults: Faults
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.faults = faults
        self._given = GroupCommit[str](self._mark_given)

    async def due(self, key: str, answered: bool) -> None:
        """Record that a kept answer has gone (True), or is still due at its `respond_to`."""
        async with self.sessions.begin() as session:
            await receipts.mark_answered(session, [key], self.clock.now() if answered else None)

    async def given(self, key: str) -> None:
        """Record that a kept answer has gone. With the database away the record is skipped
        (logged once per outage): the answer may then be given again after a restart, which is
        better than a traceback per answer or an answer never given."""
        try:
            await self._given.add(key)
        except Exception as error:
            self.faults.noted(error, f"answer {key} given but not marked as given")

    async def waiting(
        self, prefix: str, settle_seconds: float = 10
    ) -> list[tuple[str, str, Reply]]:
        """Kept answers not yet given, for deliveries of the last 30 minutes (as long as a
        Slack response_url lasts) and older than `settle_seconds` (still in hand elsewhere)."""
        now = self.clock.now()
        async with self.sessions() as session:
            return await receipts.unanswered(
                session, prefix, now - ANSWER_WINDOW, now - timedelta(seconds=settle_seconds)
            )

    async def _mark_given(self, keys: list[str]) -> None:
        async with self.sessions.begin() as session:
            await receipts.mark_answered(session, keys, self.clock.now())
