"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from storage import sqlite_driver

# SQLite's wait for the write lock where no statement timeout is given (the CLI, migrations).
SQLITE_BUSY_SECONDS = 5.0
# asyncpg's own timer runs this much longer than the server's, for a server that cannot answer.
CLIENT_MARGIN = 2.0


def _sqlite_pragmas(
    dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry, busy_ms: int
) -> None:
    # WAL lets readers go on while one writer writes; foreign keys are off by default in SQLite.
    # The driver's own BEGIN is turned off so that `_begin_immediate` decides how to begin.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL never corrupts the database; it syncs at checkpoints, not every commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    """Take the write lock at BEGIN: a transaction that reads and then writes would otherwise
    fail at once with "database is locked" when another writer got there first. On our own
    driver the BEGIN is sent with the transaction's first statement, saving a thread hop."""
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite_driver.OneHopConnection):
        driver.begin_with_next_statement("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_options(timeout: float | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Connections checked before use (one that broke while pooled is replaced, not handed
    out), and every wait bounded: connecting, a pool slot, each statement on the server and,
    for a server that cannot even say no, on the client."""
    # Connections past `pool_size` are closed as they come back, so a burst of more concurrent
    # transactions than it opens (and PostgreSQL forks a backend for) one each time: 5 kept open
    # served 32 Teams conversations at 210-230 turns/s, 20 at 250-270. 25 at most a process.
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_size": 20, "max_overflow": 5}
    if timeout is not None:
        connect_args = {
            "timeout": timeout,
            "command_timeout": timeout + CLIENT_MARGIN,
            "server_settings": {"statement_timeout": str(int(timeout * 1000))},
        }
        options |= {"pool_timeout": timeout}
        kwargs = kwargs | {"connect_args": connect_args | kwargs.get("connect_args", {})}
    return options | kwargs


def make_engine(
    database_url: str, statement_timeout: float | None = None, **kwargs: Any
) -> AsyncEngine:
    """An async engine with the settings each backend needs. With `statement_timeout` (the
    serving processes pass PLACEBOT_STATEMENT_TIMEOUT_SECONDS) a statement, or SQLite's wait for
    the write lock, fails after that many seconds; without, PostgreSQL sets no limit."""
    if database_url.startswith("postgresql"):
        kwargs = _postgres_options(statement_timeout, kwargs)
    if database_url.startswith("sqlite"):
        # SQLite has one writer at a time. One pooled connection makes tasks queue for it in
        # asyncio, in order, instead of backing off in SQLite's busy handler (sleeps of up to
        # 100 ms while the lock stands free). Other processes still meet the busy handler.
        kwargs = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60} | kwargs
        kwargs.setdefault("async_creator", sqlite_driver.connector(database_url))
    engine = create_async_engine(database_url, **kwargs)
    if engine.dialect.name == "sqlite":
        busy_ms = int((statement_timeout or SQLITE_BUSY_SECONDS) * 1000)
        event.listen(
            engine.sync_engine,
            "connect",
            lambda dbapi, record: _sqlite_pragmas(dbapi, record, busy_ms),
        )
        event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def sqlite_reader(database_url: str) -> Engine:
    """A plain engine on the same SQLite file for long reads in a worker thread: they neither
    hold the server's one pooled connection nor hop threads per statement, and WAL lets them
    read beside the writer. Dispose of it when done: that closes its connections."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        raise ValueError(f"not an SQLite file: {url.render_as_string()}")
    return create_engine(url.set(drivername="sqlite+pysqlite"))


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
