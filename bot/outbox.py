"""The outbox: messages to people, written once by dedupe key, delivered by any number of senders.

A job never sends directly: it `enqueue`s, and the unique dedupe key makes a second run of the
same job a no-op. Senders `claim` due rows (on PostgreSQL with FOR UPDATE SKIP LOCKED, so two
senders never take the same row), lease them for a while (a sender that dies gives them back
when the lease runs out), send through the recipient's `Channel`, and record the outcome:
sent; retried later with backoff (or when the platform's Retry-After says); parked as failed
after MAX_ATTEMPTS.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import Channel, Unreachable
from bot.clock import Clock
from bot.messages import Reply
from storage.tables import Delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)
SEND_TIMEOUT = timedelta(minutes=1)  # well inside the lease, so a slow send cannot outlive it
FIRST_RETRY = timedelta(seconds=30)


class RateLimited(Exception):
    """A channel's answer to slow down; `retry_after` seconds, as the platform said."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after


async def enqueue(
    session: AsyncSession,
    recipient_id: int,
    channel: str,
    reply: Reply,
    dedupe_key: str,
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Queue a message, to go at `not_before` (e.g. the start of the person's working hours) or
    at once; False when one with this dedupe key exists already."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Delivery)
        .values(
            recipient_id=recipient_id,
            channel=channel,
            message=reply.to_dict(),
            dedupe_key=dedupe_key,
            status="pending",
            attempts=0,
            next_attempt_at=max(now, not_before) if not_before else now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return (await session.execute(statement)).rowcount == 1


@dataclass(frozen=True)
class Outgoing:
    """One message for `enqueue_many`."""

    recipient_id: int
    channel: str
    reply: Reply
    dedupe_key: str
    not_before: datetime | None = None


async def enqueue_many(
    session: AsyncSession, messages: Sequence[Outgoing], now: datetime
) -> set[str]:
    """As `enqueue`, for many messages in one statement (a fan-out to thousands); the dedupe
    keys that were new."""
    if not messages:
        return set()
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [
        {
            "recipient_id": m.recipient_id,
            "channel": m.channel,
            "message": m.reply.to_dict(),
            "dedupe_key": m.dedupe_key,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": max(now, m.not_before) if m.not_before else now,
            "created_at": now,
        }
        for m in messages
    ]
    statement = (
        insert(Delivery)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Delivery.dedupe_key)
    )
    connection = await session.connection()  # Core executemany: one cached statement
    return set((await connection.execute(statement, rows)).scalars())


async def claim(session: AsyncSession, now: datetime, limit: int) -> list[Delivery]:
    """Take up to `limit` due rows for this sender and lease them."""
    statement = (
        select(Delivery)
        .where(Delivery.status.in_(("pending", "sending")), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.execute(statement)).scalars())
    for row in rows:
        row.status = "sending"
        row.next_attempt_at = now + LEASE
    await session.flush()
    return rows


@dataclass
class Outcome:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


class Sender:
    """Delivers due messages through the channels the composition root hands it."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: Mapping[str, Channel],
        clock: Clock,
        batch: int = 50,
    ) -> None:
        self.sessions = sessions
        self.channels = channels
        self.clock = clock
        self.batch = batch

    async def run_once(self) -> Outcome:
        async with self.sessions.begin() as session:
            claimed = [
                (
                    row.id,
                    row.next_attempt_at,
                    row.channel,
                    row.recipient_id,
                    row.message,
                    row.attempts,
                    row.dedupe_key,
                )
                for row in await claim(session, self.clock.now(), self.batch)
            ]
        outcome = Outcome(claimed=len(claimed))
        for (
            delivery_id,
            claimed_lease,
            channel_name,
            recipient_id,
            message,
            attempts,
            key,
        ) in claimed:
            lease = await self._renew(delivery_id, claimed_lease)
            if lease is None:
                continue  # our lease ran out and another sender has the row now
            try:
                async with asyncio.timeout(SEND_TIMEOUT.total_seconds()):
                    error, retry_after = await self._send(channel_name, recipient_id, message, key)
            except TimeoutError:
                error, retry_after = f"no answer within {SEND_TIMEOUT}", None
            await self._record(delivery_id, lease, attempts + 1, error, retry_after, outcome)
        return outcome

    async def _renew(self, delivery_id: int, held: datetime) -> datetime | None:
        """A fresh lease just before sending; None when the row is no longer ours to send
        (our lease ran out while earlier rows were sent and another sender claimed it)."""
        lease = max(self.clock.now() + LEASE, held + timedelta(microseconds=1))
        async with self.sessions.begin() as session:
            renewed = await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.next_attempt_at == held)
                .values(next_attempt_at=lease)
            )
        return lease if renewed.rowcount == 1 else None

    async def _send(
        self, channel_name: str, recipient_id: int, message: dict[str, Any], key: str
    ) -> tuple[str | None, float | None]:
        channel = self.channels.get(channel_name)
        if channel is None:
            return f"no {channel_name} channel is configured", None
        try:
            await channel.send(recipient_id, Reply.from_dict(message), key)
        except RateLimited as limited:
            return str(limited), limited.retry_after
        except Unreachable as unreachable:
            return str(unreachable), None
        except Exception as error:  # a channel's failure must not stop the others
            log.warning("delivery through %s failed: %r", channel_name, error)
            return f"{type(error).__name__}: {error}"[:500], None
        return None, None

    async def _record(
        self,
        delivery_id: int,
        lease: datetime,
        attempts: int,
        error: str | None,
        retry_after: float | None,
        outcome: Outcome,
    ) -> None:
        now = self.clock.now()
        values: dict[str, object] = {"attempts": attempts, "last_error": error}
        if error is None:
            values |= {"status": "sent", "sent_at": now}
            outcome.sent += 1
        elif retry_after is not None or attempts < MAX_ATTEMPTS:
            delay = (
                timedelta(seconds=retry_after)
                if retry_after is not None
                else FIRST_RETRY * 2 ** (attempts - 1)
            )
            values |= {"status": "pending", "next_attempt_at": now + delay}
            outcome.retried += 1
        else:
            values |= {"status": "failed"}
            outcome.failed += 1
        async with self.sessions.begin() as session:  # only while the lease is still ours
            await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.next_attempt_at == lease)
                .values(**values)
            )


async def listing(
    session: AsyncSession, failed_only: bool = False, limit: int = 200
) -> list[Delivery]:
    statement = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if failed_only:
        statement = statement.where(Delivery.status == "failed")
    return list((await session.execute(statement)).scalars())
