"""Time, injectable: tests and benchmarks set the clock; the bot reads London dates from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def system_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Clock:
    """The current instant (aware, UTC) and the local date in the faculty's time zone."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/London"))
    source: Callable[[], datetime] = system_now

    def now(self) -> datetime:
        return self.source()

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)


@dataclass
class FixedClock(Clock):
    """A clock that says what it is told; `advance` moves it."""

    at: datetime = field(default_factory=system_now)

    def __post_init__(self) -> None:
        self.source = lambda: self.at
