"""How fast the outbox may send through each channel, and how a platform's 429 slows it.

Each channel gets a leaky bucket (aiolimiter) at its configured rate, with a burst of a tenth of
a second's worth, so sends arrive spread out rather than in clumps a platform would refuse.
A 429 pauses the whole channel for the Retry-After the platform asked for and halves its rate
(once for the 429s of sends already in flight); the rate then climbs back to the configured
one over `RECOVERY_SECONDS` without another 429. Pacing is in real time (the event loop's
clock), whatever clock the outbox rows use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from aiolimiter import AsyncLimiter

RECOVERY_SECONDS = 30.0
SLOWEST_SHARE = 0.05  # a 429 never takes a channel below this share of its configured rate
BURST_SECONDS = 0.1


class Pace:
    """One channel's pace; shared by every send through that channel in this process."""

    def __init__(self, rate: float | None) -> None:
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
            if self._limiter is not None:
                await self._limiter.acquire()
            if self.pause_left() == 0:  # a 429 while we queued sends us round again
                return

    def slow_down(self, retry_after: float) -> None:
        """The platform said 429: pause everyone, and go at half the rate for a while."""
        now = self._now()
        self.limited += 1
        already = now < self.paused_until  # sent before the first 429 came back: one episode
        self.paused_until = max(self.paused_until, now + max(retry_after, 0.0))
        if self.configured is None or self.rate is None or already:
            return
        self.rate = max(self.configured * SLOWEST_SHARE, self.rate / 2)
        self._slowed_to, self._slowed_at = self.rate, self.paused_until
        self._limiter = self._bucket(self.rate)

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

    def __init__(self, rates: Mapping[str, float] | None = None) -> None:
        self.rates = dict(rates or {})
        self._paces: dict[str, Pace] = {}

    def of(self, channel: str) -> Pace:
        if channel not in self._paces:
            self._paces[channel] = Pace(self.rates.get(channel))
        return self._paces[channel]

    def paused(self) -> list[str]:
        """Channels waiting out a 429 right now."""
        return [name for name, pace in self._paces.items() if pace.pause_left() > 0]
