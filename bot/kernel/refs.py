"""Public references (PL-2027-0042): short, readable, unique, safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import RefCounter
from storage.upsert import insert


async def next_ref(session: AsyncSession, prefix: str) -> str:
    """`{prefix}-{n:04d}` with n one more than the last, counted in the database."""
    statement = (
        insert(session, RefCounter)
        .values(prefix=prefix, last=1)
        .on_conflict_do_update(index_elements=["prefix"], set_={"last": RefCounter.last + 1})
        .returning(RefCounter.last)
    )
    number = (await session.execute(statement)).scalar_one()
    return f"{prefix}-{number:04d}"
