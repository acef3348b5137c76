"""Limits several processes share through the database: a channel's send slots, and the register
API's calls per caller per minute.

Send slots are a GCRA schedule: one row per channel holds the next free slot; a worker reserves
its next few slots in one UPDATE, so N workers together keep to the channel's rate. On
PostgreSQL the time is the server's (`clock_timestamp()`), so clocks on different machines
cannot make two workers' slots overlap; on SQLite (one machine) it is this machine's.

API calls are a sliding-window counter (calls in this minute-long window plus the previous
window's, weighted by how much of it still lies within the last minute), kept in a row per
caller locked FOR UPDATE for the moment of the decision.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.tables import RateWindow, SendPace
from storage.upsert import insert

_RESERVE = {
    "postgresql": text(
        "WITH now AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS t) "
        "UPDATE send_paces SET next_slot = GREATEST(send_paces.next_slot, now.t) + :span "
        "FROM now WHERE channel = :channel "
        "RETURNING send_paces.next_slot - :span - now.t"
    ),
    "sqlite": text(
        "UPDATE send_paces SET next_slot = max(next_slot, :now) + :span "
        "WHERE channel = :channel RETURNING next_slot - :span - :now"
    ),
}
_PUSH_BACK = {
    "postgresql": text(
        "UPDATE send_paces SET next_slot = GREATEST(next_slot, "
        "extract(epoch FROM clock_timestamp())::float8 + :pause) WHERE channel = :channel"
    ),
    "sqlite": text(
        "UPDATE send_paces SET next_slot = max(next_slot, :now + :pause) WHERE channel = :channel"
    ),
}


class SlotBook:
    """Send slots per channel, shared by every worker on the database."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._known: set[str] = set()

    async def reserve(self, channel: str, span: float) -> float:
        """Reserve the next `span` seconds of `channel`'s sends; seconds until they begin."""
        async with self.sessions.begin() as session:
            dialect = await self._ensure(session, channel)
            delay = (
                await session.execute(
                    _RESERVE[dialect], {"channel": channel, "span": span, "now": time.time()}
                )
            ).scalar_one()
        return max(0.0, float(delay))

    async def push_back(self, channel: str, pause: float) -> None:
        """No slot of `channel` begins within `pause` seconds (the platform asked us to wait)."""
        async with self.sessions.begin() as session:
            dialect = await self._ensure(session, channel)
            await session.execute(
                _PUSH_BACK[dialect], {"channel": channel, "pause": pause, "now": time.time()}
            )

    async def _ensure(self, session: AsyncSession, channel: str) -> str:
        dialect = session.bind.dialect.name
        if channel not in self._known:
            await session.execute(
                insert(session, SendPace)
                .values(channel=channel, next_slot=0.0)
                .on_conflict_do_nothing()
            )
            self._known.add(channel)
        return "postgresql" if dialect == "postgresql" else "sqlite"


@dataclass
class Window:
    started: float
    current: int = 0
    previous: int = 0

    def rolled(self, now: float, span: float) -> Window:
        """The window `now` falls in: the next one, or a fresh one after a quiet spell."""
        elapsed = now - self.started
        if elapsed >= 2 * span:
            return Window(now)
        if elapsed >= span:
            return Window(self.started + span, 0, self.current)
        return self

    def admit(self, now: float, limit: int, span: float, count: bool) -> tuple[Window, float]:
        """(the window after this call, 0 if it may go ahead or else seconds until one may)."""
        window = self.rolled(now, span)
        share = 1 - (now - window.started) / span
        if window.previous * share + window.current + 1 <= limit:
            if count:
                window = Window(window.started, window.current + 1, window.previous)
            return window, 0.0
        end = window.started + span
        if window.current + 1 <= limit and window.previous:
            # the previous window's weight falls far enough before this one ends
            free = window.started + span * (1 - (limit - window.current - 1) / window.previous)
            return window, max(free - now, 0.001)
        return window, max(end - now, 0.001)


SPAN = 60.0
DATABASE_NOW = literal_column("extract(epoch FROM clock_timestamp())::float8")


class MemoryWindows:
    """Windows in this process: where one process serves (SQLite's server lock sees to that)."""

    def __init__(self, span: float = SPAN) -> None:
        self.span = span
        self._windows: dict[str, Window] = {}

    async def admit(self, key: str, limit: int, count: bool = True) -> float:
        now = time.monotonic()
        window, wait = self._windows.get(key, Window(now)).admit(now, limit, self.span, count)
        if len(self._windows) >= 10_000 and key not in self._windows:
            self._forget_idle(now)
        self._windows[key] = window
        return wait

    def _forget_idle(self, now: float) -> None:
        """Drop callers quiet for two windows (their counts are zero anyway)."""
        self._windows = {k: w for k, w in self._windows.items() if now - w.started < 2 * self.span}


class DatabaseWindows:
    """Windows in `rate_windows`, shared by every web process on PostgreSQL."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], span: float = SPAN) -> None:
        self.sessions = sessions
        self.span = span

    async def admit(self, key: str, limit: int, count: bool = True) -> float:
        async with self.sessions.begin() as session:
            await session.execute(
                insert(session, RateWindow)
                .values(key=key, started=DATABASE_NOW, current=0, previous=0)
                .on_conflict_do_nothing()
            )
            row, now = (
                await session.execute(
                    select(RateWindow, DATABASE_NOW)
                    .where(RateWindow.key == key)
                    .with_for_update(of=RateWindow)
                )
            ).one()  # the time once the row is ours, not before a wait for its lock
            now = float(now)
            stored = Window(row.started, row.current, row.previous)
            window, wait = stored.admit(now, limit, self.span, count)
            if window != stored:
                row.started, row.current, row.previous = (
                    window.started,
                    window.current,
                    window.previous,
                )
        return wait
