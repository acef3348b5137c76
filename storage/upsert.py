"""The one database-specific insert: PostgreSQL's and SQLite's INSERT both know ON CONFLICT, but
SQLAlchemy builds each from its own dialect, so every upsert asks here which one to build."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

Insert = postgresql.Insert | sqlite.Insert


def insert(on: AsyncSession | AsyncConnection, entity: Any) -> Insert:
    """An INSERT for `entity` in the dialect `on` is bound to (SQLite when it is not bound yet),
    ready for `.on_conflict_do_nothing()` or `.on_conflict_do_update()`."""
    dialect = on.bind.dialect.name if on.bind is not None else "sqlite"
    return postgresql.insert(entity) if dialect == "postgresql" else sqlite.insert(entity)
