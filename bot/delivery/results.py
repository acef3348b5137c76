"""What one claim of the outbox came to: per row (`Result`), per claim (`Outcome`), and the lease
that proves the claim's rows are still this sender's."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from bot.delivery.queue import Claimed


@dataclass
class Outcome:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0  # put back untried: its channel is waiting out a 429


@dataclass
class Result:
    row: Claimed
    error: str | None = None
    retry_after: float | None = None
    in_doubt: bool = False  # the platform may have the message although we saw a failure
    tried: bool = True
    permanent: bool = False  # the channel cannot reach this person: trying again will not help

    @property
    def delivered(self) -> bool:
        return self.error is None and self.retry_after is None


@dataclass
class Lease:
    """The rows of one claim not yet recorded, and when their shared lease ends."""

    ids: set[int]
    until: datetime
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Rows whose send began: one of them given back unrecorded may have reached the person.
    attempted: set[int] = field(default_factory=set)
