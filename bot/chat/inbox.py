"""The command inbox: a command acknowledged before its work runs is kept in the database first.

An edge answers a platform within its deadline (Slack: 3 seconds) by doing the work before the
acknowledgement while it can; under a burst, queueing for the database would outlast the
deadline, so the command is kept here (one insert) and acknowledged at once, and worked from
here. Claims are leases: a process that dies leaves its rows to be taken when the lease ends;
one that stops gives them back at once. The work itself is exactly once through its delivery's
receipt (`receipts`), so a row worked twice (a lease that ran out mid-work) acts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.kernel.clock import Clock
from storage.tables import InboundCommand
from storage.upsert import insert

LEASE = timedelta(seconds=15)  # renewed every few seconds by the process working the row


class CommandInbox:
    """The rows of one edge ("slack")."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, edge: str) -> None:
        self.sessions = sessions
        self.clock = clock
        self.edge = edge

    async def keep(self, commands: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Store (key, body) commands in one transaction, committed; a key delivered twice is
        kept once. One insert for many: under a burst the edge keeps commands in batches."""
        now = self.clock.now()
        rows = {key[:255]: body for key, body in commands}
        if not rows:
            return
        async with self.sessions.begin() as session:
            statement = (
                insert(session, InboundCommand)
                .values(
                    [
                        {"key": key, "edge": self.edge, "body": body, "received_at": now,
                         "attempts": 0}
                        for key, body in rows.items()
                    ]
                )
                .on_conflict_do_nothing(index_elements=["key"])
            )  # fmt: skip
            await session.execute(statement)

    async def claim(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Up to `limit` rows no one holds, oldest first, held by this process for `LEASE`.
        PostgreSQL skips rows another process is claiming; SQLite has one writer anyway."""
        now = self.clock.now()
        async with self.sessions.begin() as session:
            free = (
                select(InboundCommand.id)
                .where(
                    InboundCommand.edge == self.edge,
                    or_(InboundCommand.claimed_until.is_(None), InboundCommand.claimed_until < now),
                )
                .order_by(InboundCommand.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ids = list((await session.scalars(free)).all())
            if not ids:
                return []
            rows = await session.execute(
                update(InboundCommand)
                .where(InboundCommand.id.in_(ids))
                .values(claimed_until=now + LEASE, attempts=InboundCommand.attempts + 1)
                .returning(InboundCommand.id, InboundCommand.body)
            )
            return sorted((row.id, row.body) for row in rows)

    async def renew(self, ids: Sequence[int]) -> None:
        """Keep holding rows still being worked."""
        if ids:
            await self._set_claim(ids, self.clock.now() + LEASE)

    async def give_back(self, ids: Sequence[int]) -> None:
        """Rows this process will not work after all (it is stopping): anyone may take them."""
        if ids:
            await self._set_claim(ids, None)

    async def give_back_all(self) -> int:
        """Every claim, for a process that is the only one on its database (SQLite): a claim
        still standing at its start was left by a process that died."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(InboundCommand)
                .where(InboundCommand.edge == self.edge, InboundCommand.claimed_until.is_not(None))
                .values(claimed_until=None)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def done(self, ids: Sequence[int]) -> None:
        """Rows whose work is stored (their answers are kept with their receipts)."""
        if ids:
            async with self.sessions.begin() as session:
                await session.execute(delete(InboundCommand).where(InboundCommand.id.in_(ids)))

    async def depth(self) -> dict[str, int]:
        """This edge's rows waiting and claimed."""
        async with self.sessions() as session:
            counts = await depth_by_edge(session, self.clock.now())
        return counts.get(self.edge, {"waiting": 0, "claimed": 0})

    async def _set_claim(self, ids: Sequence[int], until: Any) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(InboundCommand).where(InboundCommand.id.in_(ids)).values(claimed_until=until)
            )


async def depth_by_edge(
    on: AsyncSession | AsyncConnection, now: datetime
) -> dict[str, dict[str, int]]:
    """Rows waiting and claimed, by edge (`/metrics` reads it at each scrape)."""
    claimed = InboundCommand.claimed_until >= now
    rows = await on.execute(
        select(InboundCommand.edge, claimed, func.count()).group_by(InboundCommand.edge, claimed)
    )
    counts: dict[str, dict[str, int]] = {}
    for edge, is_claimed, number in rows:
        states = counts.setdefault(edge, {"waiting": 0, "claimed": 0})
        states["claimed" if is_claimed else "waiting"] += number
    return counts
