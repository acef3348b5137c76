"""Exactly-once handling of platform deliveries: a retried or doubled delivery acts once.

The receipt is written in the same transaction as the work it guards, so a delivery either
did its work and left its receipt, or did neither.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.messages import Reply
from storage.tables import InboundReceipt

# Built once: Core statements skip the ORM's unit of work and statement building on every turn.
_INSERT = insert(InboundReceipt)
_RECEIPTS = InboundReceipt.__table__
_KEEP_REPLY = (
    update(_RECEIPTS)
    .where(_RECEIPTS.c.key == bindparam("receipt_key"))
    .values(
        reply=bindparam("kept_reply"),
        respond_to=bindparam("kept_respond_to"),
        answered_at=bindparam("kept_answered_at"),
    )
)


class AlreadyHandled(Exception):
    """This delivery's key was handled before; say and do nothing."""


async def check_new(session: AsyncSession, key: str) -> None:
    if await session.get(InboundReceipt, key) is not None:
        raise AlreadyHandled(key)


async def record(session: AsyncSession, key: str, at: datetime) -> None:
    """Keep the receipt, or raise AlreadyHandled when it is there (or a twin is writing it:
    the insert then waits for the twin's transaction and fails if it committed)."""
    try:
        connection = await session.connection()  # Core, past the ORM's bulk-insert machinery
        await connection.execute(_INSERT, {"key": key[:255], "received_at": at, "reply": None})
    except IntegrityError:
        raise AlreadyHandled(key) from None


async def keep_reply(
    session: AsyncSession, key: str, reply: Reply, respond_to: str | None, answered: datetime | None
) -> None:
    """Keep the answer with the receipt, in the work's transaction: a platform's retry of a
    delivery whose answer never arrived (the process died after storing) is answered again, and
    one due at `respond_to` and not `answered` yet is sent again after a restart."""
    connection = await session.connection()
    await connection.execute(
        _KEEP_REPLY,
        {
            "receipt_key": key[:255],
            "kept_reply": reply.to_dict(),
            "kept_respond_to": respond_to,
            "kept_answered_at": answered,
        },
    )


async def kept_reply(session: AsyncSession, key: str) -> Reply | None:
    stored = await session.scalar(
        select(InboundReceipt.reply).where(InboundReceipt.key == key[:255])
    )
    return Reply.from_dict(stored) if stored else None


async def mark_answered(session: AsyncSession, keys: list[str], at: datetime | None) -> None:
    await session.execute(
        update(InboundReceipt)
        .where(InboundReceipt.key.in_([key[:255] for key in keys]))
        .values(answered_at=at)
    )


async def unanswered(
    session: AsyncSession, prefix: str, since: datetime, before: datetime, limit: int = 200
) -> list[tuple[str, str, Reply]]:
    """(key, respond_to, answer) of deliveries received between `since` and `before` whose
    answer is due somewhere and has not gone, oldest first."""
    rows = await session.execute(
        select(InboundReceipt.key, InboundReceipt.respond_to, InboundReceipt.reply)
        .where(
            InboundReceipt.key.startswith(prefix),
            InboundReceipt.respond_to.is_not(None),  # set only with the answer
            InboundReceipt.answered_at.is_(None),
            InboundReceipt.received_at > since,
            InboundReceipt.received_at < before,
        )
        .order_by(InboundReceipt.received_at)
        .limit(limit)
    )
    return [(key, respond_to, Reply.from_dict(reply)) for key, respond_to, reply in rows]
