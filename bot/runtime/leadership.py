"""Which worker runs the schedules: the one holding a lock that dies with its holder.

On PostgreSQL the lock is a session advisory lock on a connection kept open for the purpose: if
the worker dies, the server closes its session and the lock is free for a standby at its next
try. On SQLite (one machine) it is an exclusive `flock` on a file beside the database, which
the kernel frees when the process ends. Every worker sends from the outbox either way; only the
leader writes new deliveries on schedule.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# pg_try_advisory_lock takes a bigint: "PlaceBot" in ASCII, so no other application collides.
ADVISORY_KEY = int.from_bytes(b"PlaceBot", "big") & 0x7FFF_FFFF_FFFF_FFFF


class Leadership(Protocol):
    async def acquire(self) -> bool:
        """Try once to become the leader; True when this process holds the lock."""
        ...

    async def still_held(self) -> bool:
        """Whether the lock is still ours (the connection behind it may have died)."""
        ...

    async def release(self) -> None: ...


class AdvisoryLock:
    """PostgreSQL: `pg_try_advisory_lock` on a dedicated connection."""

    def __init__(self, engine: AsyncEngine, key: int = ADVISORY_KEY) -> None:
        self.engine = engine
        self.key = key
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if self._connection is not None:
            return await self.still_held()
        connection = await self.engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            got = (
                await connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                )
            ).scalar_one()
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
        except Exception as error:  # the server or the network went away: so did the lock
            log.warning("lost the schedule lock's connection: %r", error)
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        if self._connection is None:
            return
        try:
            await self._connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}
            )
        finally:
            await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception as error:  # already broken; nothing more to free
                log.debug("closing a broken lock connection: %r", error)


class FileLock:
    """SQLite: an exclusive, non-blocking `flock` on `<database>.worker.lock`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    async def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._file = handle
        return True

    async def still_held(self) -> bool:
        return self._file is not None

    async def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


class AlwaysLeader:
    """An in-memory SQLite database has one process by definition."""

    async def acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


def _sqlite_file(engine: AsyncEngine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def leadership_for(engine: AsyncEngine) -> Leadership:
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    database = _sqlite_file(engine)
    if database is None:
        return AlwaysLeader()
    return FileLock(database.with_name(database.name + ".worker.lock"))


def server_lock_for(engine: AsyncEngine) -> FileLock | None:
    """The lock a serving process holds on an SQLite file (`<database>.server.lock`), so that a
    second server on the same file refuses to start; None where many may serve (PostgreSQL).
    The worker beside a server is not a server: it takes only the schedule lock."""
    database = _sqlite_file(engine)
    if database is None:
        return None
    return FileLock(database.with_name(database.name + ".server.lock"))
