"""The outbox's sender: claimed rows out through their channels, each channel at its own pace.

Outcomes (`outcomes`): sent; retried later with backoff (or when the platform's Retry-After
says); parked as failed after MAX_ATTEMPTS, or at once when the channel cannot reach the person.
A row whose try may have reached the person is `maybe_sent`: before sending it again the sender
asks the channel whether a message with its dedupe key has arrived (`DeliveryCheck`), where the
channel can tell.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import outcomes
from bot.delivery.channels import Channel, DeliveryCheck, Prefetch, Unreachable
from bot.delivery.pacing import Pacing
from bot.delivery.queue import LEASE, Claimed, claim, release
from bot.delivery.results import Lease, Outcome, Result
from bot.kernel import request_id
from bot.kernel.clock import Clock
from bot.kernel.messages import Reply
from config.settings import Settings
from storage.shared_limits import SlotBook
from storage.tables import Delivery

log = logging.getLogger(__name__)

SEND_TIMEOUT = timedelta(minutes=1)  # well inside the lease, so a slow send cannot outlive it
# A channel's rows that must wait longer than this after a 429 go back untried, not holding up.
DEFER_AFTER = timedelta(seconds=2)
# Outcomes are written this many at a time: fewer statements, and fewer to ask about after a crash.
FLUSH_EVERY = 25


class RateLimited(Exception):
    """A channel's answer to slow down; `retry_after` seconds, as the platform said."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after


class Sender:
    """Delivers due messages through the channels the composition root hands it.

    Several sends are in flight at once (`concurrency`), each channel at its own pace. The
    database sees one statement per claim, one per lease renewal and about two per
    `FLUSH_EVERY` outcomes; every write after the claim is conditional on the lease, so a
    sender whose lease ran out never records over a row another sender took."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: Mapping[str, Channel],
        clock: Clock,
        batch: int = 100,
        concurrency: int = 16,
        lease: timedelta = LEASE,
        pacing: Pacing | None = None,
    ) -> None:
        self.sessions = sessions
        self.channels = channels
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.pacing = pacing or Pacing()
        self.in_flight = asyncio.Semaphore(concurrency)
        # A send must end well inside the lease, so a slow one cannot outlive it.
        self.send_timeout = min(SEND_TIMEOUT, lease / 3)
        self.stopping = False

    @classmethod
    def configured(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        channels: Mapping[str, Channel],
        clock: Clock,
        settings: Settings,
    ) -> Sender:
        return cls(
            sessions,
            channels,
            clock,
            batch=settings.placebot_outbox_batch,
            concurrency=settings.placebot_outbox_concurrency,
            lease=timedelta(seconds=settings.placebot_outbox_lease_seconds),
            pacing=Pacing(settings.send_rates, SlotBook(sessions)),  # shared by all workers
        )

    def stop(self) -> None:
        """Claim nothing more and start no more sends; what a claim holds untried goes back."""
        self.stopping = True

    async def run_once(self) -> Outcome:
        """Claim one batch, send it, record what happened. After `stop()` (or when cancelled)
        rows not tried go back to the outbox at once, for another sender to take, and a try
        cut short is marked maybe sent, so the next sender asks the channel first."""
        if self.stopping:
            return Outcome()
        async with self.sessions.begin() as session:
            claimed = await claim(
                session, self.clock.now(), self.batch, self.lease, self.pacing.paused()
            )
        outcome = Outcome(claimed=len(claimed))
        if not claimed:
            return outcome
        lease = Lease({row.id for row in claimed}, claimed[0].held)
        results: list[Result] = []
        try:
            await self._prefetch(claimed)
            async with asyncio.TaskGroup() as tasks:
                for row in claimed:
                    tasks.create_task(self._deliver(row, lease, results, outcome))
        finally:
            await self._flush(lease, results, outcome)
            await self._give_back(lease)
        return outcome

    async def _give_back(self, lease: Lease) -> None:
        """Rows of the claim neither recorded nor lost to another sender: due again now."""
        if not lease.ids:
            return
        now = self.clock.now()
        async with self.sessions.begin() as session:
            given = await release(session, lease.ids, lease.until, now, lease.attempted)
        log.info("gave back %d claimed messages to the outbox", given)
        lease.ids = set()

    async def _prefetch(self, claimed: list[Claimed]) -> None:
        """Let channels that can look up a claim's people in one query, not one per send."""
        for name in {row.channel for row in claimed}:
            channel = self.channels.get(name)
            if isinstance(channel, Prefetch):
                try:
                    await channel.prefetch(
                        [row.recipient_id for row in claimed if row.channel == name]
                    )
                except Exception as error:  # each send looks up for itself then
                    log.warning("prefetch for %s failed: %r", name, error)

    async def _deliver(
        self, row: Claimed, lease: Lease, results: list[Result], outcome: Outcome
    ) -> None:
        pace = self.pacing.of(row.channel)
        while True:
            if (left := pace.pause_left()) > DEFER_AFTER.total_seconds():
                waiting = f"{row.channel} asked us to slow down; waiting"
                results.append(Result(row, waiting, retry_after=left, tried=False))
                break
            if self.stopping:
                return  # left in the lease: `run_once` gives it back untried
            await pace.wait()
            async with self.in_flight:
                if pace.pause_left() > 0:
                    continue  # a 429 came back while this one queued for a place
                if self.stopping or not await self._still_ours(row, lease):
                    return  # stopping; or our lease ran out and another sender has the row
                lease.attempted.add(row.id)
                result = await self._attempt(row)
                if result.retry_after is not None:
                    pace.slow_down(result.retry_after)
                results.append(result)
                break
        if len(results) >= FLUSH_EVERY:
            await self._flush(lease, results, outcome)

    async def _still_ours(self, row: Claimed, lease: Lease) -> bool:
        """Renew the claim's lease when too little of it is left for a send (one statement
        for the whole claim); False when the row is no longer ours to send."""
        async with lease.lock:
            now = self.clock.now()
            if row.id in lease.ids and lease.until - now < self.send_timeout * 2:
                until = max(now + self.lease, lease.until + timedelta(microseconds=1))
                async with self.sessions.begin() as session:
                    kept = await session.execute(
                        update(Delivery)
                        .where(
                            Delivery.id.in_(list(lease.ids)),
                            Delivery.status == "sending",
                            Delivery.next_attempt_at == lease.until,
                        )
                        .values(next_attempt_at=until)
                        .returning(Delivery.id)
                        .execution_options(synchronize_session=False)
                    )
                    lease.ids = set(kept.scalars())
                lease.until = until
            return row.id in lease.ids

    async def _attempt(self, row: Claimed) -> Result:
        request_id.current.set(row.request_id)  # this send's task only: its log lines carry it
        log.debug("sending outbox row %d through %s", row.id, row.channel)
        channel = self.channels.get(row.channel)
        if channel is None:
            return Result(row, f"no {row.channel} channel is configured")
        try:
            async with asyncio.timeout(self.send_timeout.total_seconds()):
                if (
                    row.maybe_sent
                    and isinstance(channel, DeliveryCheck)
                    and await channel.delivered(row.recipient_id, row.dedupe_key)
                ):
                    return Result(row)  # a sender that died had sent it: nothing to do
                await channel.send(row.recipient_id, Reply.from_dict(row.message), row.dedupe_key)
        except RateLimited as limited:
            return Result(row, str(limited), retry_after=limited.retry_after)
        except Unreachable as unreachable:
            return Result(row, str(unreachable), permanent=True)
        except TimeoutError:
            return Result(row, f"no answer within {self.send_timeout}", in_doubt=True)
        except Exception as error:  # a channel's failure must not stop the others
            log.warning("delivery through %s failed: %r", row.channel, error)
            return Result(row, f"{type(error).__name__}: {error}"[:500], in_doubt=True)
        return Result(row)

    async def _flush(self, lease: Lease, results: list[Result], outcome: Outcome) -> None:
        """Record outcomes (`outcomes.record`), only for rows whose lease is still ours."""
        async with lease.lock:
            done, results[:] = list(results), []
            if not done:
                return
            now = self.clock.now()
            async with self.sessions.begin() as session:
                await outcomes.record(session, done, lease.until, now)
            lease.ids -= {r.row.id for r in done}
            outcomes.count(done, outcome, now)
