"""Another connection holding what every command writes (the people table), as a stuck or
busy database would, until the block ends."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from storage.engine import make_engine
from storage.tables import Person


@asynccontextmanager
async def people_locked(database_url: str, mode: str = "EXCLUSIVE") -> AsyncIterator[None]:
    """SQLite: a write transaction held open. PostgreSQL: the people table locked in `mode`
    (EXCLUSIVE still lets reads through; ACCESS EXCLUSIVE stops them too)."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f"LOCK TABLE {Person.__tablename__} IN {mode} MODE"))
            yield
            await connection.rollback()
    finally:
        await engine.dispose()
