"""Charts kept for their signed links: kept once per PNG, found while not expired, dropped after."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import upsert
from storage.tables import Chart


def chart_id(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()


async def keep(session: AsyncSession, png: bytes, now: datetime, until: datetime) -> str:
    """The chart's id; kept until `until` at least (a chart kept already lives on to then)."""
    found = chart_id(png)
    insert = upsert.insert(session, Chart).values(
        id=found, png=png, created_at=now, expires_at=until
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[Chart.id],
            set_={"expires_at": insert.excluded.expires_at},
            where=Chart.expires_at < insert.excluded.expires_at,
        )
    )
    return found


async def find(session: AsyncSession, found: str, now: datetime) -> bytes | None:
    """The PNG while it is kept, else None."""
    return await session.scalar(select(Chart.png).where(Chart.id == found, Chart.expires_at > now))


async def drop_expired(session: AsyncSession, now: datetime) -> int:
    """How many expired charts were dropped."""
    result = await session.execute(delete(Chart).where(Chart.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
