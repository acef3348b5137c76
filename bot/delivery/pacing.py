"""How fast the outbox may send through each channel, and how a platform's 429 slows it.

Each channel gets a leaky bucket (aiolimiter) at its configured rate, with a burst of a tenth of
a second's worth, so sends arrive spread out rather than in clumps a platform would refuse.
A 429 pauses the whole channel for the Retry-After the platform asked for and halves its rate
(once for the 429s of sends already in flight); the rate then climbs back to the configured
one over `RECOVERY_SECONDS` without another 429. Pacing is in real time (the event loop's
clock), whatever clock the outbox rows use.

With `Slots` (the worker's: `storage.shared_limits.SlotBook`) the rate is shared by every
worker: each reserves its next `RESERVE_SECONDS` of the channel's send slots in the database
and sends at them, so N workers together keep to the rate; a 429 pushes every worker's next
slot back by the Retry-After. Without it (tests, one process) the bucket is this process's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from typing import Protocol

from aiolimiter import AsyncLimiter

log = logging.getLogger(__name__)

RECOVERY_SECONDS = 30.0
SLOWEST_SHARE = 0.05  # a 429 never takes a channel below this share of its configured rate
BURST_SECONDS = 0.1
RESERVE_SECONDS = 0.05  # a worker reserves this much of a channel's shared sends at a time
STALE_SECONDS = 0.25  # a reserved slot nobody used within this is dropped, not sent late


class Slots(Protocol):
    """A channel's send slots, shared by every worker."""

    async def reserve(self, channel: str, span: float) -> float:
        """Reserve the next `span` seconds of sends; seconds until they begin."""
        ...

    async def push_back(self, channel: str, pause: float) -> None:
        """Let no worker's slot begin within `pause` seconds."""
        ...


class Pace:
    """One channel's pace; shared by every send through that channel in this process."""

    def __init__(self, rate: float | None, channel: str = "", slots: Slots | None = None) -> None:
        self.channel = channel
        self.slots = slots if rate is not None else None
        self._ahead: deque[float] = deque()  # reserved slots, in the event loop's time
        self._reserving = asyncio.Lock()
        self._pushing: set[asyncio.Task[None]] = set()
        self.configured = rate
        self.rate = rate
        self.paused_until = 0.0
        self.limited = 0  # 429s seen
        self._slowed_at = 0.0
        self._slowed_to = rate
        self._limiter = self._bucket(rate)

    @staticmethod
    def _bucket(rate: float | None) -> AsyncLimiter | None:
        if rate is None:
            return None
        burst = max(1.0, rate * BURST_SECONDS)
        return AsyncLimiter(burst, burst / rate)

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def pause_left(self) -> float:
        """Seconds until the channel may be used again after a 429 (0 when it may)."""
        return max(0.0, self.paused_until - self._now())

    async def wait(self) -> None:
        """Return when the next send may go: after any pause, at the current rate."""
        while True:
            if (left := self.pause_left()) > 0:
                await asyncio.sleep(left)
            self._recover()
            if self.slots is not None:
                await self._shared_slot()
            elif self._limiter is not None:
                await self._limiter.acquire()
            if self.pause_left() == 0:  # a 429 while we queued sends us round again
                return

    async def _shared_slot(self) -> None:
        """Wait for this process's next reserved slot, reserving more when none is left."""
        assert self.slots is not None
        assert self.rate is not None
        async with self._reserving:
            now = self._now()
            while self._ahead and self._ahead[0] < now - STALE_SECONDS:
                self._ahead.popleft()
            if not self._ahead:
                count = max(1, round(self.rate * RESERVE_SECONDS))
                delay = await self.slots.reserve(self.channel, count / self.rate)
                start = self._now() + delay
                self._ahead.extend(start + n / self.rate for n in range(count))
            at = self._ahead.popleft()
        if (left := at - self._now()) > 0:
            await asyncio.sleep(left)

    def slow_down(self, retry_after: float) -> None:
        """The platform said 429: pause everyone, and go at half the rate for a while."""
        now = self._now()
        self.limited += 1
        already = now < self.paused_until  # sent before the first 429 came back: one episode
        self.paused_until = max(self.paused_until, now + max(retry_after, 0.0))
        if self.slots is not None and not already:
            self._ahead.clear()
            task = asyncio.get_running_loop().create_task(self._push_back(retry_after))
            self._pushing.add(task)
            task.add_done_callback(self._pushing.discard)
        if self.configured is None or self.rate is None or already:
            return
        self.rate = max(self.configured * SLOWEST_SHARE, self.rate / 2)
        self._slowed_to, self._slowed_at = self.rate, self.paused_until
        self._limiter = self._bucket(self.rate)

    async def _push_back(self, pause: float) -> None:
        assert self.slots is not None
        try:
            await self.slots.push_back(self.channel, max(pause, 0.0))
        except Exception as error:  # the other workers find the 429 for themselves
            log.warning("could not share a %s pause with other workers: %r", self.channel, error)

    def _recover(self) -> None:
        if self.configured is None or self.rate is None or self.rate >= self.configured:
            return
        climbed = (self._now() - self._slowed_at) / RECOVERY_SECONDS * self.configured
        rate = min(self.configured, self._slowed_to + max(0.0, climbed))  # type: ignore[operator]
        if rate > self.rate * 1.1 or rate == self.configured:
            self.rate = rate
            self._limiter = self._bucket(rate)


class Pacing:
    """The paces of all channels; a channel without a configured rate is not held back."""

    def __init__(
        self, rates: Mapping[str, float] | None = None, slots: Slots | None = None
    ) -> None:
        self.rates = dict(rates or {})
        self.slots = slots
        self._paces: dict[str, Pace] = {}

    def of(self, channel: str) -> Pace:
        if channel not in self._paces:
            self._paces[channel] = Pace(self.rates.get(channel), channel, self.slots)
        return self._paces[channel]

    def paused(self) -> list[str]:
        """Channels waiting out a 429 right now."""
        return [name for name, pace in self._paces.items() if pace.pause_left() > 0]
