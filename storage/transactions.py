"""A transaction that met a broken connection is run again, once, where nothing can be doubled.

A pooled connection is checked before use (`pool_pre_ping`), but one can still break in use: the
database restarted, a failover, a proxy that dropped the socket. SQLAlchemy then invalidates it
(`DBAPIError.connection_invalidated`) and the transaction is rolled back by the server, so running
the work again on a fresh connection is safe. A break while committing is different: the commit
may have landed, so it is raised as `CommitUncertain`, never retried.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")


class CommitUncertain(Exception):
    """The connection broke while the commit was on its way: it may have landed or not."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"the connection broke while committing: {error}")
        self.error = error


def broken_connection(error: BaseException) -> bool:
    """Whether `error` is the database connection breaking (not a statement that failed)."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def database_unreachable(error: BaseException) -> bool:
    """Whether `error` says the database is away (refused, unreachable, no free connection, a
    connection that broke) rather than a statement that failed: an outage, not a bug."""
    if isinstance(error, CommitUncertain):
        return True
    return isinstance(error, OSError | PoolTimeout) or broken_connection(error)


async def in_transaction(
    sessions: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[T]],
    retries: int = 1,
) -> T:
    """`work` in one transaction, committed; again on a fresh connection if the connection
    broke before the commit began. `work` must do nothing outside the database that a second
    run would repeat (replies are sent after this returns, from what it returned)."""
    attempt = 0
    while True:
        committing = False
        try:
            async with sessions.begin() as session:
                result = await work(session)
                committing = True
            return result
        except Exception as error:
            if committing and database_unreachable(error):
                raise CommitUncertain(error) from error
            if committing or not broken_connection(error) or attempt >= retries:
                raise
            attempt += 1
            log.warning("database connection broke mid-transaction; trying once more: %s", error)
