"""Exactly-once handling of platform deliveries: a retried or doubled delivery acts once.

The receipt is written in the same transaction as the work it guards, so a delivery either
did its work and left its receipt, or did neither.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import InboundReceipt

# Built once: a Core insert skips the ORM's unit of work and statement building on every turn.
_INSERT = insert(InboundReceipt)


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
