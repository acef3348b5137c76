"""aiosqlite with one thread hop per statement instead of four.

aiosqlite runs every call on its connection's thread: SQLAlchemy's cursor() + execute() +
fetchall() + close() are four hops through a queue, each waking the thread, waiting for the GIL
and waking the event loop again through its self-pipe. A Teams turn made 15 of them, and they
cost more CPU than the SQL itself. Here a statement is one hop: the cursor is opened, the
statement run and the first rows fetched together on the connection's thread. Results larger
than one batch are fetched in further batches, so streamed exports stay within bounded memory.
BEGIN rides along with the transaction's first statement, and a rollback with no transaction
open (the pool's reset after a commit) makes no hop at all.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection

BATCH = 500  # rows fetched with the statement; more come in batches of this size


class OneHopCursor:
    """Cursor with the surface SQLAlchemy's aiosqlite adapter uses; rows buffered per batch."""

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self._cursor: sqlite3.Cursor | None = None
        self._rows: deque[Any] = deque()
        self._exhausted = True
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneHopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def _run(self, many: bool, sql: str, parameters: Any) -> list[Any] | None:
        """On the connection's thread: open, execute, take the first batch, close if done."""
        connection = self._connection
        if self._cursor is None:
            self._cursor = connection._conn.cursor()
        if connection.pending_begin:
            begin, connection.pending_begin = connection.pending_begin, ""
            self._cursor.execute(begin)
        cursor = self._cursor
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        self.description, self.rowcount, self.lastrowid = (
            cursor.description,
            cursor.rowcount,
            cursor.lastrowid,
        )
        rows = cursor.fetchmany(BATCH) if cursor.description else None
        if rows is None or len(rows) < BATCH:
            cursor.close()
            self._cursor = None
        return rows

    async def _start(self, many: bool, sql: str, parameters: Any) -> OneHopCursor:
        rows = await self._connection._execute(self._run, many, sql, parameters)
        self._rows = deque(rows or ())
        self._exhausted = self._cursor is None
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneHopCursor:
        return await self._start(False, sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneHopCursor:
        return await self._start(True, sql, parameters)

    def _next_batch(self) -> list[Any]:
        assert self._cursor is not None
        rows = self._cursor.fetchmany(BATCH)
        if len(rows) < BATCH:
            self._cursor.close()
            self._cursor = None
        return rows

    async def _fill(self, wanted: int | None) -> None:
        while not self._exhausted and (wanted is None or len(self._rows) < wanted):
            self._rows.extend(await self._connection._execute(self._next_batch))
            self._exhausted = self._cursor is None

    async def fetchone(self) -> Any:
        await self._fill(1)
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        wanted = size or self.arraysize
        await self._fill(wanted)
        return [self._rows.popleft() for _ in range(min(wanted, len(self._rows)))]

    async def fetchall(self) -> Sequence[Any]:
        await self._fill(None)
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()
        if self._cursor is not None:
            cursor, self._cursor, self._exhausted = self._cursor, None, True
            await self._connection._execute(cursor.close)


class _CursorResult:
    """What `connection.cursor()` returns: awaitable, and an async context manager."""

    def __init__(self, cursor: OneHopCursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Any:
        return self.__aenter__().__await__()

    async def __aenter__(self) -> OneHopCursor:
        return self._cursor

    async def __aexit__(self, *_exc: object) -> None:
        await self._cursor.close()


class OneHopConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors need no hop of their own."""

    pending_begin = ""  # run on the connection's thread just before the next statement

    def begin_with_next_statement(self, begin: str) -> None:
        self.pending_begin = begin

    def cursor(self) -> _CursorResult:  # type: ignore[override]
        return _CursorResult(OneHopCursor(self))

    async def commit(self) -> None:
        if self.pending_begin:  # nothing ran in this transaction: it never began
            self.pending_begin = ""
            return
        await super().commit()

    async def rollback(self) -> None:
        self.pending_begin = ""
        # No statement is running (SQLAlchemy awaits each one), so this read is safe here.
        if self._connection is not None and not self._connection.in_transaction:
            return
        await super().rollback()


def connector(database_url: str) -> Callable[[], Awaitable[DBAPIConnection]]:
    """`async_creator` for create_async_engine: the same connect arguments SQLAlchemy uses."""
    from sqlalchemy.dialects.sqlite.aiosqlite import dialect

    args, kwargs = dialect().create_connect_args(make_url(database_url))

    def open_database() -> sqlite3.Connection:
        return sqlite3.connect(*args, **kwargs)

    def create() -> Awaitable[DBAPIConnection]:
        connection = OneHopConnection(open_database, 64)
        # As SQLAlchemy does for aiosqlite: a connection never disposed of (a crash at start-up,
        # a turn cut off at shutdown) must not keep the process alive.
        connection._thread.daemon = True
        return connection  # type: ignore[return-value]

    return create
