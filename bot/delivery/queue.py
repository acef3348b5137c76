"""The outbox rows: messages to people, written once by dedupe key, claimed by many senders.

A job never sends directly: it `enqueue`s, and the unique dedupe key makes a second run of the
same job a no-op. Senders (`bot.delivery.sender`) `claim` due rows (on PostgreSQL with FOR UPDATE
SKIP LOCKED, so two senders never take the same row) and lease them for a while: a sender that
dies gives them back when the lease runs out, one that stops (`release`) at once. A row may carry
`expires_at`: one still unsent then is marked `expired`, never sent late; one whose reason went
away before it was sent is `cancelled` by its writer.

A row found still 'sending' after its lease is marked `maybe_sent`: its try may have reached the
person, so the next sender asks the channel before sending it again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel import request_id
from bot.kernel.messages import Reply
from storage.tables import Delivery
from storage.upsert import insert

LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Outgoing:
    """One message for the outbox: to whom, through which channel, and when it may go."""

    recipient_id: int
    channel: str
    reply: Reply
    dedupe_key: str
    not_before: datetime | None = None
    expires_at: datetime | None = None


def _row(message: Outgoing, now: datetime) -> dict[str, Any]:
    """The one shape of a new outbox row: pending, untried, due at `not_before` or now."""
    return {
        "recipient_id": message.recipient_id,
        "channel": message.channel,
        "message": message.reply.to_dict(),
        "dedupe_key": message.dedupe_key,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": max(now, message.not_before) if message.not_before else now,
        "expires_at": message.expires_at,
        "created_at": now,
        "request_id": request_id.current.get(),
    }


async def enqueue(
    session: AsyncSession,
    recipient_id: int,
    channel: str,
    reply: Reply,
    dedupe_key: str,
    now: datetime,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue a message, to go at `not_before` (e.g. the start of the person's working hours) or
    at once, and never after `expires_at` (then it is marked expired instead); False when one
    with this dedupe key exists already."""
    message = Outgoing(recipient_id, channel, reply, dedupe_key, not_before, expires_at)
    statement = (
        insert(session, Delivery)
        .values(**_row(message, now))
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return (await session.execute(statement)).rowcount == 1


async def enqueue_many(
    session: AsyncSession, messages: Sequence[Outgoing], now: datetime
) -> set[str]:
    """As `enqueue`, for many messages in one statement (a fan-out to thousands); the dedupe
    keys that were new."""
    if not messages:
        return set()
    statement = (
        insert(session, Delivery)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Delivery.dedupe_key)
    )
    connection = await session.connection()  # Core executemany: one cached statement
    rows = [_row(message, now) for message in messages]
    return set((await connection.execute(statement, rows)).scalars())


@dataclass(frozen=True)
class Claimed:
    """A row as a sender holds it: everything needed to send it, and the lease that proves it
    is still this sender's (`held`: the lease's end, shared by the whole claim)."""

    id: int
    channel: str
    recipient_id: int
    message: dict[str, Any]
    dedupe_key: str
    attempts: int
    maybe_sent: bool
    request_id: str | None
    held: datetime


async def claim(
    session: AsyncSession,
    now: datetime,
    limit: int,
    lease: timedelta = LEASE,
    skip_channels: Collection[str] = (),
) -> list[Claimed]:
    """Take up to `limit` due rows for this sender and lease them, in one statement.

    A row found still 'sending' was claimed by a sender whose lease ran out: it may have been
    sent, so it is marked `maybe_sent` and the next try asks the channel first. Due rows past
    their `expires_at` are marked 'expired' first, in one statement, and never sent."""
    due_now = (Delivery.status.in_(("pending", "sending")), Delivery.next_attempt_at <= now)
    # SKIP LOCKED here too: two senders expiring at once never wait on (or deadlock with) each
    # other; a row another sender holds is left out of this claim by `expires_at` below.
    stale = select(Delivery.id).where(*due_now, Delivery.expires_at <= now)
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(stale.with_for_update(skip_locked=True).scalar_subquery()))
        .values(status="expired", last_error="expired before it could be sent")
        .execution_options(synchronize_session=False)
    )
    due = (
        select(Delivery.id)
        .where(*due_now, or_(Delivery.expires_at.is_(None), Delivery.expires_at > now))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if skip_channels:
        due = due.where(Delivery.channel.not_in(list(skip_channels)))
    until = now + lease
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(
            status="sending",
            next_attempt_at=until,
            maybe_sent=or_(Delivery.maybe_sent, Delivery.status == "sending"),
        )
        .returning(
            Delivery.id,
            Delivery.channel,
            Delivery.recipient_id,
            Delivery.message,
            Delivery.dedupe_key,
            Delivery.attempts,
            Delivery.maybe_sent,
            Delivery.request_id,
        )
        .execution_options(synchronize_session=False)
    )
    rows = [Claimed(*row, held=until) for row in await session.execute(statement)]
    return sorted(rows, key=lambda row: row.id)


async def release(
    session: AsyncSession,
    ids: Collection[int],
    held: datetime,
    now: datetime,
    in_doubt: Collection[int] = (),
) -> int:
    """Give back rows a stopping sender claimed and did not record: pending and due `now`, for
    any sender to take at once rather than after the lease. Only rows still under this lease
    (`held`) are touched; those in `in_doubt` had a try cut short and are marked `maybe_sent`."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(list(ids)),
            Delivery.status == "sending",
            Delivery.next_attempt_at == held,
        )
        .values(
            status="pending",
            next_attempt_at=now,
            maybe_sent=or_(Delivery.maybe_sent, Delivery.id.in_(list(in_doubt))),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


async def listing(
    session: AsyncSession, failed_only: bool = False, limit: int = 200
) -> list[Delivery]:
    statement = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if failed_only:
        statement = statement.where(Delivery.status == "failed")
    return list((await session.execute(statement)).scalars())


async def cancel_pending(
    session: AsyncSession,
    recipients: Collection[int] | Select[tuple[int]],
    key_like: str,
    reason: str,
) -> int:
    """Cancel messages not sent yet to `recipients` (ids, or a query of ids) whose dedupe key
    is LIKE `key_like`: what they say no longer holds. One statement, in the caller's
    transaction; the sender never claims a cancelled row."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.recipient_id.in_(recipients),
            Delivery.status == "pending",
            Delivery.dedupe_key.like(key_like),
        )
        .values(status="cancelled", last_error=reason),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount
